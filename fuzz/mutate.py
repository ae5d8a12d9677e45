"""Seeded mutations of seed files: the malformed inputs the campaign and the tests feed the
targets. Every mutation is a pure function of ``(data, numpy Generator)``, so a seed replays a
campaign input for input.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]

#: hostile values spliced into fields
SPLICE = [b"nan", b"NaN", b"inf", b"-inf", b".inf", b"1e308", b"-1e308", b"1e999", b"5e-324",
          b"-0", b"0x10", b"1_000", b"", b"[/x]", b"[bold]", b"\xef\xbb\xbf", b"\xc3\xa9",
          b"\xf0\x9f\x92\xa5", b"\xff\xfe", b"\"", b"'", b"\\", b"%s%n", b"\r\n", b"\t", b"#",
          b"!!python/object:os.system", b"!!timestamp x", b"*a", b"&a [1]", b"<!DOCTYPE x>",
          b"<![CDATA[", b"&lt;", b"15/01/2025", b"fifteen", b"2014-02-30", b"QMV(10)"]


def _lines(data: bytes) -> list[bytes]:
    return data.split(b"\n")


def flip_bytes(data: bytes, rng: np.random.Generator) -> bytes:
    buf = bytearray(data or b" ")
    for _ in range(int(rng.integers(1, 8))):
        buf[int(rng.integers(len(buf)))] = int(rng.integers(256))
    return bytes(buf)


def truncate(data: bytes, rng: np.random.Generator) -> bytes:
    return data[: int(rng.integers(len(data) + 1))]


def duplicate_line(data: bytes, rng: np.random.Generator) -> bytes:
    lines = _lines(data)
    k = int(rng.integers(len(lines)))
    return b"\n".join(lines[:k + 1] + [lines[k]] * int(rng.integers(1, 4)) + lines[k + 1:])


def delete_line(data: bytes, rng: np.random.Generator) -> bytes:
    lines = _lines(data)
    del lines[int(rng.integers(len(lines)))]
    return b"\n".join(lines)


def _column_op(data: bytes, rng: np.random.Generator, delete: bool) -> bytes:
    separator = max((b",", b"\t", b";"), key=data.count)
    column = int(rng.integers(8))
    out = []
    for line in _lines(data):
        cells = line.split(separator)
        if column < len(cells):
            if delete:
                del cells[column]
            else:
                cells.insert(column, cells[column])
        out.append(separator.join(cells))
    return b"\n".join(out)


def delete_column(data: bytes, rng: np.random.Generator) -> bytes:
    return _column_op(data, rng, delete=True)


def duplicate_column(data: bytes, rng: np.random.Generator) -> bytes:
    return _column_op(data, rng, delete=False)


def splice_value(data: bytes, rng: np.random.Generator) -> bytes:
    """Replace one number or word with a hostile value."""
    import re

    tokens = [m.span() for m in re.finditer(rb"[A-Za-z0-9_.+-]+", data)]
    value = SPLICE[int(rng.integers(len(SPLICE)))]
    if not tokens:
        return data + value
    start, stop = tokens[int(rng.integers(len(tokens)))]
    return data[:start] + value + data[stop:]


def huge_field(data: bytes, rng: np.random.Generator) -> bytes:
    """A field of tens of thousands of digits, spaces or tabs (once a quadratic-time trap)."""
    import re

    filler = [b"7", b" ", b"\t", b"a", b"9.9"][int(rng.integers(5))]
    tail = [b"", b"x", b"e5", b","][int(rng.integers(4))]
    blob = filler * int(rng.integers(1_000, 40_000)) + tail
    tokens = [m.span() for m in re.finditer(rb"[A-Za-z0-9_.+-]+", data)]
    if not tokens:
        return blob
    start, stop = tokens[int(rng.integers(len(tokens)))]
    return data[:start] + blob + data[stop:]


def line_endings(data: bytes, rng: np.random.Generator) -> bytes:
    choice = int(rng.integers(3))
    if choice == 0:
        return data.replace(b"\n", b"\r\n")
    if choice == 1:
        return b"\xef\xbb\xbf" + data
    return data.replace(b"\n", b"\r")


def scale_numbers(data: bytes, rng: np.random.Generator) -> bytes:
    """Multiply every number by the same extreme factor (scale invariance and overflow)."""
    import re

    factor = [1e-12, 1e-11, 1e12, 1e300, -1.0][int(rng.integers(5))]

    def scaled(match):
        try:
            return repr(float(match.group()) * factor).encode()
        except (ValueError, OverflowError):
            return match.group()

    # atomic, so a long run of digits followed by a letter is scanned once, not backtracked
    return re.sub(rb"(?<![\w.])(?>\d+(?:\.\d*)?)(?![\w.])", scaled, data)


def hostile_yaml(data: bytes, rng: np.random.Generator) -> bytes:
    bombs = [
        b"a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
        b"c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
        b"e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n",
        b"id: !!python/object/apply:os.system [echo]\n",
        b"id: !!timestamp x\ntitle: t\n",
        b"[" * 10_000 + b"]" * 10_000,
        b"id: x\n<<: {title: y}\n",
        b"--- a\n--- b\n",
    ]
    return bombs[int(rng.integers(len(bombs)))] + data[: int(rng.integers(len(data) + 1))]


def hostile_xml(data: bytes, rng: np.random.Generator) -> bytes:
    heads = [
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">]><Scenario>&lol;</Scenario>',
        b'<!DOCTYPE x SYSTEM "file:///etc/passwd"><Scenario/>',
        b"<Scenario>" + b"<a>" * 200 + b"</a>" * 200 + b"</Scenario>",
    ]
    return heads[int(rng.integers(len(heads)))] if rng.random() < 0.5 else data.replace(
        b"<Actors>", b"<Actors>" + b"<Actor/>" * int(rng.integers(1, 5000)), 1)


MUTATIONS: dict[str, Callable[[bytes, np.random.Generator], bytes]] = {
    f.__name__: f for f in (flip_bytes, truncate, duplicate_line, delete_line, delete_column,
                            duplicate_column, splice_value, huge_field, line_endings,
                            scale_numbers, hostile_yaml, hostile_xml)
}


def mutate(data: bytes, rng: np.random.Generator, target: str) -> bytes:
    """One to three seeded mutations of ``data`` suited to ``target``."""
    names = [n for n in MUTATIONS
             if not (n == "hostile_xml" and target != "ktab-xml")
             and not (n == "hostile_yaml" and target not in ("yaml", "render"))]
    for _ in range(int(rng.integers(1, 4))):
        data = MUTATIONS[names[int(rng.integers(len(names)))]](data, rng)
    return data


def seed_files(target: str) -> list[bytes]:
    """The files mutations start from: the built-in scenarios and the reference inputs shipped in
    tests/data (and ../shared/reference where present) of ``target``'s format."""
    from allegiance.io import FORMATS, builtin_scenarios, detect_format

    roots = [REPO / "tests" / "data", REPO.parent / "shared" / "reference"]
    found: list[bytes] = []
    if target in ("yaml", "render"):
        found += [Path(p).read_bytes() for p in builtin_scenarios().values()]
        found += [p.read_bytes() for p in (REPO / "tests" / "data" / "hostile").glob("*.yaml")]
        return found
    for root in roots:
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*")):
            if path.suffix.lower() not in FORMATS[target].suffixes or not path.is_file():
                continue
            if path.stat().st_size > 2_000_000:
                continue
            text = path.read_text("utf-8", "replace")
            try:
                if detect_format(path, text) != target:
                    continue
            except Exception:  # noqa: BLE001 - a file no format claims is not a seed
                continue
            if target == "deu":  # seeds of a few proposals each, so an input reads in ms
                lines = path.read_bytes().split(b"\n")
                found += [b"\n".join(lines[:2] + lines[k:k + 8]) for k in range(2, 60, 8)]
            else:
                found.append(path.read_bytes())
    return found
