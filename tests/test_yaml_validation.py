"""Reading the native YAML format: every problem located by line and column, hostile files refused
cleanly, round trips lossless."""

from __future__ import annotations

import textwrap

import pytest

from allegiance.io import load_scenario, validate_file
from allegiance.io.yaml_format import MAX_BYTES, dump_yaml, read_yaml
from allegiance.scenario import ScenarioInvalid

GOOD = textwrap.dedent("""\
    id: toy
    title: Toy
    sources:
      - {id: s1, title: Report, reliability: C, credibility: 3}
    issues:
      - id: tax
        name: Tax
        low_label: none
        high_label: all
    actors:
      - id: a
        name: A
        capability: {value: 3, low: 1, high: 5, sources: [s1]}
        issues:
          tax: {position: 60, salience: 0.4}
      - id: b
        name: B
        capability: 2
        issues:
          tax: {position: 20, salience: {value: 0.5, sources: [s1], note: from the report}}
    """)


def write(tmp_path, text, name="s.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def errors_of(path):
    return [p for p in validate_file(path) if p.severity == "error"]


def test_good_file_loads_and_round_trips(tmp_path):
    scenario = read_yaml(write(tmp_path, GOOD))
    again = read_yaml(write(tmp_path, dump_yaml(scenario), "again.yaml"))
    assert again == scenario
    assert again.content_hash() == scenario.content_hash()


def test_unsourced_estimates_are_warnings(tmp_path):
    problems = validate_file(write(tmp_path, GOOD))
    assert all(p.severity == "warning" for p in problems)
    assert any("analyst assumption" in p.message and p.line == 15 for p in problems)


@pytest.mark.parametrize(
    ("old", "new", "line", "message"),
    [
        ("  - id: b\n", "  - id: a\n", 16, "duplicate actor id 'a'"),
        ("sources: [s1]}", "sources: [s9]}", 13, "unknown source 's9'"),
        ("position: 60", "position: 160", 15, "outside the scale"),
        ("salience: 0.4", "salience: 4", 15, "outside the salience range"),
        ("capability: 2", "capability: -2", 18, "outside the capability range"),
        ("low: 1, high: 5", "low: 4, high: 5", 13, "low 4 > value 3"),
        ("tax: {position: 60, salience: 0.4}", "tax: {position: 60}", 15,
         "missing: this field is required"),
        ("tax: {position: 60,", "tux: {position: 60,", 15, "unknown issue 'tux'"),
        ("credibility: 3", "credibility: 9", 4, "write one of 1, 2, 3, 4, 5 or 6"),
    ],
)
def test_each_error_is_reported_with_its_line(tmp_path, old, new, line, message):
    assert old in GOOD
    errors = errors_of(write(tmp_path, GOOD.replace(old, new)))
    assert any(message in e.message and e.line == line for e in errors), errors
    assert all(e.file and e.file.endswith("s.yaml") for e in errors)


def test_all_errors_at_once(tmp_path):
    text = (GOOD.replace("position: 60", "position: 160").replace("capability: 2", "capability: -2")
            .replace("sources: [s1]}", "sources: [s9]}"))
    assert len(errors_of(write(tmp_path, text))) == 3


def test_malformed_dates_and_history_order(tmp_path):
    text = GOOD.replace(
        "salience: 0.4}",
        "salience: {value: 0.4, history: [{date: 2014-09-01, value: 0.3}, "
        "{date: 2014-08-01, value: 0.4}, {date: 2014-13-45, value: 0.2}]}}",
    )
    errors = errors_of(write(tmp_path, text))
    messages = " | ".join(e.message for e in errors)
    assert "date" in messages.lower()
    assert all(e.line == 15 for e in errors)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"\x00\x01\x02binary\xff", "binary"),
        (b"\xff\xfe\xfa not utf8", "UTF-8"),
        (b"id: [unclosed\n", "not valid YAML"),
        (b"!!python/object/apply:os.system ['echo hacked']\n", "refused"),
        (b"a: !!python/name:os.system\n", "refused"),
        (b"- just\n- a list\n", "must be a mapping"),
        (b"[" * 5000 + b"]" * 5000, "nest"),
    ],
)
def test_hostile_files_give_a_clear_error(tmp_path, content, message):
    path = tmp_path / "bad.yaml"
    path.write_bytes(content)
    with pytest.raises(ScenarioInvalid) as info:
        load_scenario(path)
    assert any(message in p.message for p in info.value.problems), info.value.problems


def test_alias_bomb_is_refused(tmp_path):
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 12):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i-1}"] * 10) + "]")
    path = write(tmp_path, "\n".join(lines) + "\n")
    with pytest.raises(ScenarioInvalid, match="nodes"):
        load_scenario(path)


def test_huge_file_is_refused_without_reading_it(tmp_path):
    path = tmp_path / "huge.yaml"
    with path.open("wb") as handle:
        handle.seek(MAX_BYTES + 1)
        handle.write(b"\n")
    with pytest.raises(ScenarioInvalid, match="limit"):
        load_scenario(path)


def test_missing_file_and_unknown_builtin():
    with pytest.raises(ScenarioInvalid, match="not a built-in scenario"):
        load_scenario("no-such-scenario")
