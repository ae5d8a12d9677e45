"""The reference copies in tests/data/reference are the files they were copied from.

The permissively licensed references (KTAB's inputs and logs, the BDM example) are shipped with
the tests so that no reference test depends on ``../shared``; when ``../shared/reference`` is
present (always in CI), every copy must equal its original byte for byte, and every original
of those folders must have a copy.
"""

from __future__ import annotations

from pathlib import Path

from conftest import REFERENCE, SHIPPED_REFERENCE

COPIED = ("ktab", "bdm")


def _files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for folder in COPIED for p in (root / folder).rglob("*")
            if p.is_file() and p.name != "NOTES.md"}


def test_every_copied_reference_is_documented():
    readme = (SHIPPED_REFERENCE / "README.md").read_text()
    for relative in _files(SHIPPED_REFERENCE):
        assert relative in readme, f"{relative} has no origin in tests/data/reference/README.md"


def test_copies_equal_the_originals(reference):
    originals, copies = _files(reference), _files(SHIPPED_REFERENCE)
    assert originals == copies
    for relative in sorted(copies):
        assert (SHIPPED_REFERENCE / relative).read_bytes() == (REFERENCE / relative).read_bytes()
