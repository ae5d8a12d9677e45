"""The results tables in docs/ are the ones the code produces (allegiance.docs, `make docs`).

The quick blocks are regenerated and must equal the committed text; of the slow full backtest
table, the rows of the quick deterministic models are recomputed and compared, and the table
must say when and where it was measured. Every block sits between markers naming its command.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from allegiance import docs

REPO = Path(__file__).resolve().parents[1]
DEU = REPO.parent / "shared" / "reference" / "deu" / docs.DEU_NAME


@pytest.fixture(scope="module")
def deu() -> Path:
    if not DEU.is_file():
        pytest.skip(f"DEU development split not found at {DEU} (it sits beside the repository)")
    docs.use_deu(DEU)
    return DEU


def _committed(name: str) -> str:
    block = docs.BLOCKS[name]
    text = (REPO / block.file).read_text(encoding="utf-8")
    marker = f"<!-- begin generated {name}: {block.command} -->"
    assert marker in text, f"{block.file} lacks {marker}"
    content = docs.committed(text, name)
    assert content, f"{block.file}: block {name} is empty"
    return content


@pytest.mark.parametrize("name", sorted(n for n, b in docs.BLOCKS.items() if b.fast))
def test_fast_blocks_equal_what_the_code_produces(name, request):
    if docs.BLOCKS[name].needs_deu:
        request.getfixturevalue("deu")
    assert _committed(name) == docs.BLOCKS[name].render(REPO), (
        f"{docs.BLOCKS[name].file}: block {name} differs from the code's output; run `make docs`")


@pytest.mark.parametrize("name", sorted(n for n, b in docs.BLOCKS.items() if not b.fast))
def test_slow_blocks_have_markers_and_say_when_and_where(name):
    content = _committed(name)
    if name == "backtest":
        assert re.search(r"\*Measured \d{4}-\d\d-\d\d \d\d:\d\d UTC on a \d+-core .* in \d+ s\.\*",
                         content)


def test_quick_rows_of_the_full_backtest_table_are_reproduced(deu):
    committed = {tuple(line.split(" | ")[:2]): line for line in _committed("backtest").splitlines()
                 if line.startswith("| ") and not line.startswith("| model")}
    fresh = docs.backtest_table(docs.FAST_MODELS)
    rows = [line for line in fresh.splitlines()[2:]]
    assert len(rows) == len(docs.FAST_MODELS) * 5  # four options and the cv rows
    for line in rows:
        key = tuple(line.split(" | ")[:2])
        assert committed.get(key) == line, f"row {key} of the committed table differs"


def test_block_markers_replace_only_their_content():
    text = ("a\n<!-- begin generated x: cmd -->\nold\n<!-- end generated x -->\nb\n"
            "<!-- begin generated y: c -->\nkeep\n<!-- end generated y -->\n")
    out = docs.replace_block(text, "x", "new\n")
    assert docs.committed(out, "x") == "new\n" and docs.committed(out, "y") == "keep\n"
    with pytest.raises(KeyError):
        docs.replace_block(text, "z", "")
