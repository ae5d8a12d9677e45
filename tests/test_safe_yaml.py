"""The hostile-safe YAML reader (io/safe_yaml.py): the data and locations it gives agree with
PyYAML's safe loader on plain documents, and every limit holds while the document is read."""

from __future__ import annotations

import pytest
import yaml

from allegiance.io.errors import ReadError
from allegiance.io.safe_yaml import parse_yaml
from allegiance.scenario import limits

PLAIN_DOCUMENTS = [
    "id: x\ntitle: T\nissues: [a, 2, 3.5, -1e3, null, true, off, '7', 2014-02-03]\n",
    "a:\n  b:\n    - {c: 1, d: [x, y]}\n    - ~\n  e: |\n    text\n    more\n",
    "x: &one {v: 1, w: [1, 2]}\ny: *one\nz: [*one, *one]\n",
    "- 0x1f\n- 0o17\n- 1_000\n- .inf\n- -.inf\n- 2014-01-02 10:00:00\n- 'quoted: yes'\n",
    "--- \nk: v\n...\n",
    "1: int key\n2.5: float key\nno: bool key\n",
]


@pytest.mark.parametrize("text", PLAIN_DOCUMENTS)
def test_same_data_as_pyyamls_safe_loader(text):
    expected = yaml.safe_load(text)

    def dates(value):  # timestamps are read as dates (a time of day means nothing here)
        if isinstance(value, dict):
            return {str(k): dates(v) for k, v in value.items()}
        if isinstance(value, list):
            return [dates(v) for v in value]
        return value.date() if hasattr(value, "date") and callable(value.date) else value

    data, _ = parse_yaml(text, "f.yaml")
    assert data == dates(expected)


def test_locations_of_keys_values_and_items():
    _, where = parse_yaml("id: x\nissues:\n  - {id: a}\n  - b\n", "f.yaml")
    assert where[("id",)] == (1, 1)  # a key's location is where its key is written
    assert where[("issues", 0)] == (3, 5)
    assert where[("issues", 0, "id")] == (3, 6)
    assert where[("issues", 1)] == (4, 5)


def test_an_alias_is_a_copy_located_at_its_anchor():
    data, where = parse_yaml("x: &one {v: [1]}\ny: *one\n", "f.yaml")
    assert data["x"] == data["y"]
    data["y"]["v"].append(2)
    assert data["x"] == {"v": [1]}  # a fresh object, not shared
    assert where[("y", "v")] == where[("x", "v")] == (1, 10)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: &a [1, *a]\n", "max-nodes"),  # a document that contains itself
        ("a: *nowhere\n", "undefined alias"),
        ("a: &x 1\nb: &x 2\n", "duplicate anchor"),
        ("a: 1\n---\nb: 2\n", "single document"),
        ("a: !!python/object:os.system 1\n", "refused"),
        ("a: !!set {x}\n", "refused"),
        ("a: !custom [1]\n", "refused"),
        ("<<: {a: 1}\n", "refused"),
        ("? [a, b]\n: 1\n", "mapping keys must be plain values"),
        ("a: [unclosed\n", "not valid YAML"),
        ("", "empty"),
        ("# only a comment\n", "empty"),
    ],
)
def test_refusals(text, message):
    with pytest.raises(ReadError) as info:
        parse_yaml(text, "f.yaml")
    assert message in str(info.value.problems[0].message), info.value.problems


def test_depth_counts_the_content_of_an_alias():
    inner = "[" * (limits.MAX_DEPTH - 2) + "1" + "]" * (limits.MAX_DEPTH - 2)
    parse_yaml(f"a: &deep {inner}\n", "f.yaml")  # fits
    with pytest.raises(ReadError, match="max-depth"):
        parse_yaml(f"a: &deep {inner}\nb: [[[*deep]]]\n", "f.yaml")


def test_alias_bomb_refused_at_once():
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 12)]
    with pytest.raises(ReadError, match="max-nodes") as refused:
        parse_yaml("\n".join(lines) + "\n", "bomb.yaml")
    # refused at the line whose aliases first go over the limit (a5: a million values), not
    # after reading on to the last line (a11)
    assert [p.line for p in refused.value.problems] == [6]


def test_impossible_date_stays_text():
    data, _ = parse_yaml("d: 2014-02-30\n", "f.yaml")
    assert data == {"d": "2014-02-30"}
