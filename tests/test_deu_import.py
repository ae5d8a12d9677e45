"""The DEU importer (allegiance.io.deu) and the capability options (io.deu_capability).

The real development split is read from ../shared/reference/deu/deu3-dev.tsv (beside the
repository; the tests that need it skip when it is absent). Expected counts are recomputed here
from the raw file with the standard csv module, independently of the importer.
"""

from __future__ import annotations

import csv
import itertools
import math
from collections import Counter
from pathlib import Path

import pytest

from allegiance.io import load_scenario
from allegiance.io.deu import (
    ACTOR_NAMES,
    detect,
    parse_text,
    read_dataset,
    read_dataset_text,
    write_dataset_yaml,
)
from allegiance.io.deu_capability import (
    EU15,
    MEMBER_STATES,
    NICE_VOTES,
    OPTIONS,
    capabilities,
    check_option,
    council_votes,
    infer_council,
    shapley_shubik,
)
from allegiance.io.errors import ReadError

DEU = Path(__file__).resolve().parents[1].parent / "shared" / "reference" / "deu" / "deu3-dev.tsv"


@pytest.fixture(scope="module")
def deu_file() -> Path:
    if not DEU.is_file():
        pytest.skip(f"DEU development split not found at {DEU} (it sits beside the repository)")
    return DEU


@pytest.fixture(scope="module")
def raw_rows(deu_file: Path) -> tuple[list[str], list[dict[str, str]], dict[str, str]]:
    with deu_file.open(newline="") as handle:
        rows = list(csv.reader(handle, delimiter="\t"))
    header = rows[0]
    return header, [dict(zip(header, r, strict=True)) for r in rows[2:]], dict(zip(header,
                                                                                  rows[1],
                                                                                  strict=True))


ACTORS = list(ACTOR_NAMES)


# ------------------------------------------------------------------------------ the real file
def test_real_file_one_scenario_per_issue(deu_file, raw_rows):
    _, rows, _ = raw_rows
    scenarios = read_dataset(deu_file)
    assert len(scenarios) == len(rows) == 188
    assert [s.id for s in scenarios] == [r["isnr"] for r in rows]
    assert len({s.id for s in scenarios}) == 188
    assert all(len(s.issues) == 1 and s.issues[0].scale == (0.0, 100.0) for s in scenarios)


def test_real_file_actors_absent_where_no_position(deu_file, raw_rows):
    _, rows, _ = raw_rows
    scenarios = read_dataset(deu_file)
    absent_total = 0
    for scenario, row in zip(scenarios, rows, strict=True):
        expected = [a for a in ACTORS if row[f"p{a}"] != ""]
        assert scenario.actor_ids == expected
        absent_total += len(ACTORS) - len(expected)
        issue = scenario.issue_ids[0]
        for actor in scenario.actors:
            stance = actor.issues[issue]
            assert stance.position.value == float(row[f"p{actor.id}"])
            if row[f"s{actor.id}"] != "":
                assert stance.salience.value == pytest.approx(float(row[f"s{actor.id}"]) / 100)
    assert absent_total > 1500  # many actors take no position (1813 + 196 empty cells)
    first = scenarios[0]
    assert first.id == "d00032i1"
    assert "cz" not in first.actor_ids and "cr" not in first.actor_ids  # EU-15 era, no position
    arrays = first.to_arrays()
    assert arrays.present.all() and arrays.n_actors == len(first.actors)


def test_real_file_metadata(deu_file, raw_rows):
    _, rows, _ = raw_rows
    scenarios = read_dataset(deu_file)
    metas = [s.issues[0].metadata for s in scenarios]
    assert Counter(m["procedure"] for m in metas) == Counter(r["proc"] for r in rows)
    assert Counter(m["voting_rule"] for m in metas) == Counter(r["counvte"] for r in rows)
    assert Counter(m["procedure"] for m in metas) == {"COD": 108, "CNS": 80}
    no_outcome = [m for m in metas if m["outcome"] is None]
    assert len(no_outcome) == sum(r["out"] == "" for r in rows) == 8
    for scenario, row, meta in zip(scenarios, rows, metas, strict=True):
        assert meta["proposal"] == row["prnr"]
        assert meta["proposal_number"] == int(row["prnrnmc"])
        if row["out"]:
            assert meta["outcome"] == float(row["out"])
        sq = scenario.issues[0].status_quo
        assert sq == (None if row["rp"] == "" else float(row["rp"]))
    assert sum(s.issues[0].status_quo is None for s in scenarios) == 52
    # a position without a salience: the issue's mean salience is used and the actor is named
    imputed = [(s, m["imputed_salience"]) for s, m in zip(scenarios, metas, strict=True)
               if "imputed_salience" in m]
    empty_cells = sum(1 for r in rows for a in ACTORS if r[f"p{a}"] != "" and r[f"s{a}"] == "")
    assert sum(len(names) for _, names in imputed) == empty_cells == 17
    scenario, names = imputed[0]
    issue = scenario.issue_ids[0]
    given = [a.issues[issue].salience.value for a in scenario.actors if a.id not in names]
    assert scenario.actor(names[0]).issues[issue].salience.value == pytest.approx(
        sum(given) / len(given))
    assert scenario.actor(names[0]).issues[issue].salience.note.startswith("imputed")
    # every position and salience cites the DEU source; equal capabilities are an assumption
    assert [src.id for src in scenario.sources] == ["deu"]
    assert all(a.issues[issue].position.sources == ["deu"] for a in scenario.actors)
    assert all(a.capability.sources == [] for a in scenario.actors)


def test_detect(deu_file, tmp_path):
    assert detect(deu_file, deu_file.read_text())
    other = tmp_path / "x.csv"
    assert not detect(other, "Actor,Capability,Position,Salience\nA,1,2,3\n")
    assert not detect(other, "prnrnmc,isnrnmc,out\n")


def test_yaml_round_trip(deu_file, tmp_path):
    scenarios = read_dataset(deu_file, capability="council-votes")[:5]
    paths = write_dataset_yaml(scenarios, tmp_path / "out")
    assert [p.name for p in paths] == [f"{s.id}.yaml" for s in scenarios]
    for path, scenario in zip(paths, scenarios, strict=True):
        again = load_scenario(path)
        assert again == scenario
        assert again.issues[0].metadata["outcome"] == scenario.issues[0].metadata["outcome"]
    assert not list((tmp_path / "out").glob(".*"))  # no temporary files left behind


# ------------------------------------------------------------------------------ capabilities
def test_equal_and_gdp_options(deu_file, raw_rows):
    _, rows, proxy_row = raw_rows
    equal = read_dataset(deu_file, capability="equal")
    assert {a.capability.value for s in equal for a in s.actors} == {1.0}
    gdp = read_dataset(deu_file, capability="gdp")
    for scenario in gdp[:20]:
        for actor in scenario.actors:
            assert actor.capability.value == float(proxy_row[f"p{actor.id}"])
    assert gdp[0].actor("de").capability.value == 4.1
    assert gdp[0].actor("de").capability.sources == ["gdp-proxy"]
    assert gdp[0].source("gdp-proxy").grade == "C3"
    assert gdp[0].actor("lu").capability.value == 0.08


def test_council_votes_option(deu_file):
    scenarios = read_dataset(deu_file, capability="council-votes")
    for scenario in scenarios:
        meta = scenario.issues[0].metadata
        council = meta["council_members"]
        total = sum(NICE_VOTES[s] for s in council)
        for actor in scenario.actors:
            value = actor.capability.value
            if actor.id == "ep":
                assert value == (total if meta["procedure"] == "COD" else 0.0)
            elif actor.id == "com":
                assert value == pytest.approx(total / len(council))
            else:
                assert value == NICE_VOTES[actor.id]
    assert scenarios[0].actor("de").capability.value == 29


def test_council_inferred_from_accession_waves():
    assert infer_council(["de", "fr"]) == list(EU15)
    assert len(infer_council(["de", "pl"])) == 25
    assert len(infer_council(["ro"])) == 27
    assert infer_council(["cr"]) == list(MEMBER_STATES)
    for size, (votes_total, quota) in {15: (87, 62), 25: (321, 232), 27: (345, 255),
                                       28: (352, 260)}.items():
        members = list(MEMBER_STATES[:size])
        votes, q = council_votes(members)
        assert (sum(votes.values()), q) == (votes_total, quota)


def _wins(procedure, rule, coalition, states, votes, quota):
    """The procedures' voting games, written out plainly (reference for the exact index)."""
    held = sum(votes[s] for s in coalition if s in votes)
    everyone = all(s in coalition for s in states)
    if procedure == "CNS" and rule == "QMV":
        return ("com" in coalition and held >= quota) or everyone
    if procedure == "CNS":
        return everyone
    if rule == "QMV":
        return "ep" in coalition and held >= quota
    return "ep" in coalition and everyone


def _brute_force_ssi(procedure, rule, states):
    votes, quota = council_votes(list(states))
    players = [*states, "com", "ep"]
    pivots = Counter()
    orders = list(itertools.permutations(players))
    for order in orders:
        coalition: list[str] = []
        for player in order:
            coalition.append(player)
            if _wins(procedure, rule, coalition, states, votes, quota):
                pivots[player] += 1
                break
    return {p: pivots[p] / len(orders) for p in players}


@pytest.mark.parametrize("procedure,rule", [("CNS", "QMV"), ("CNS", "Unan"), ("COD", "QMV"),
                                            ("COD", "Unan")])
def test_shapley_shubik_matches_brute_force(procedure, rule):
    states = ("de", "fr", "nl", "lu", "mt")  # a 5-state council: quota by the Nice ratio
    exact = shapley_shubik(procedure, rule, states)
    reference = _brute_force_ssi(procedure, rule, states)
    for player, value in reference.items():
        assert exact[player] == pytest.approx(value, abs=1e-12), player
    assert sum(exact.values()) == pytest.approx(1.0)


def test_shapley_shubik_known_values():
    eu15 = shapley_shubik("CNS", "Unan", tuple(EU15))
    assert all(eu15[s] == pytest.approx(1 / 15) for s in EU15)
    assert eu15["com"] == eu15["ep"] == 0.0
    cod = shapley_shubik("COD", "Unan", tuple(EU15))
    assert cod["ep"] == pytest.approx(1 / 16) and cod["com"] == 0.0
    eu28 = shapley_shubik("CNS", "QMV", tuple(MEMBER_STATES))
    assert sum(eu28.values()) == pytest.approx(1.0)
    assert eu28["com"] > eu28["de"] > eu28["nl"] > eu28["mt"] > 0
    assert eu28["ep"] == 0.0


def test_capability_option_names():
    assert check_option("Council_Votes") == "council-votes"
    assert check_option("ssi") == "shapley-shubik"
    assert set(OPTIONS) == {"equal", "gdp", "council-votes", "shapley-shubik"}
    with pytest.raises(ValueError, match="unknown capability option 'power'"):
        check_option("power")
    with pytest.raises(ValueError, match="no value for"):
        capabilities("gdp", present=["de"], procedure="COD", voting_rule="QMV", council=["de"],
                     proxy={})


# ------------------------------------------------------------------------------ malformed input
HEADER = ["prnrnmc", "isnrnmc", "prnr", "prname", "isnr", "proc", "counvte", "pcom", "pde", "pfr",
          "scom", "sde", "sfr", "rp", "out"]


def _tsv(*rows: list[str]) -> str:
    return "\n".join("\t".join(r) for r in [HEADER, *rows]) + "\n"


PROXY = ["", "", "", "", "", "", "", "4.1", "4.1", "2.8", "", "", "", "", ""]


def test_tiny_file_reads():
    text = _tsv(PROXY,
                ["1", "1", "p1", "toy", "p1i1", "CNS", "QMV", "100", "0", "", "50", "80", "0", "0",
                 "40"],
                ["1", "2", "p1", "toy", "p1i2", "CNS", "QMV", "10", "20", "30", "50", "80", "",
                 "", ""])
    first, second = read_dataset_text(text, "toy.tsv", capability="gdp")
    assert first.actor_ids == ["com", "de"]
    assert first.actor("de").issues["p1i1"].salience.value == 0.8
    assert first.issues[0].metadata["outcome"] == 40.0
    assert second.actor_ids == ["com", "de", "fr"]
    assert second.actor("fr").issues["p1i2"].salience.value == pytest.approx(0.65)  # imputed
    assert second.issues[0].status_quo is None and second.issues[0].metadata["outcome"] is None


def test_file_without_capability_row():
    text = _tsv(["1", "1", "p1", "toy", "p1i1", "CNS", "QMV", "100", "0", "", "50", "80", "0",
                 "0", "40"])
    [scenario] = read_dataset_text(text, "norow.tsv")
    assert scenario.actor_ids == ["com", "de"] and scenario.actor("de").capability.value == 1.0
    with pytest.raises(ReadError, match="needs the capability row") as info:
        read_dataset_text(text, "norow.tsv", capability="gdp")
    assert len(info.value.problems) == 1


def test_malformed_rows_all_reported_with_location():
    good = ["1", "1", "p1", "toy", "p1i1", "CNS", "QMV", "100", "0", "", "50", "80", "0", "0", "40"]
    bad_number = ["1", "2", "p1", "toy", "p1i2", "CNS", "QMV", "abc", "0", "", "50", "80", "0", "0",
                  "40"]
    bad_range = ["1", "3", "p1", "toy", "p1i3", "XXX", "QMV", "10", "0", "", "50", "180", "0", "0",
                 "40"]
    short = ["1", "4", "p1"]
    duplicate = list(good)
    text = _tsv(PROXY, good, bad_number, bad_range, short, duplicate)
    with pytest.raises(ReadError) as info:
        read_dataset_text(text, "bad.tsv")
    problems = info.value.problems
    found = {(p.line, p.column, p.message.split(":")[0]) for p in problems}
    col = {name: 1 + sum(len(c) + 1 for c in row[:i]) for row in [bad_number]
           for i, name in enumerate(HEADER)}
    assert (4, col["pcom"], "pcom") in found  # 'abc' is not a number
    col3 = {name: 1 + sum(len(c) + 1 for c in bad_range[:i]) for i, name in enumerate(HEADER)}
    assert (5, col3["proc"], "proc") in found  # XXX not a procedure
    assert (5, col3["sde"], "sde") in found  # salience 180 > 100
    assert any(p.line == 6 and "3 fields" in p.message for p in problems)
    assert any(p.line == 7 and "repeats line 3" in p.message for p in problems)
    assert all(p.file == "bad.tsv" for p in problems)
    assert len(problems) == 5
    assert "bad.tsv:4:" in str(info.value)


def test_not_a_deu_file():
    with pytest.raises(ReadError, match="missing column"):
        parse_text("a\tb\n1\t2\n", "x.tsv")
    with pytest.raises(ReadError, match="empty"):
        parse_text("", "x.tsv")
    with pytest.raises(ReadError, match="no such file"):
        read_dataset("/nonexistent/deu.tsv")


def test_quoted_fields_and_crlf():
    text = _tsv(PROXY, ['"1"', '"1"', '"p1"', '"toy"', '"p1i1"', '"COD"', '"Unan"', "100", "0",
                        "", "50", "80", "0", "0", "40"]).replace("\n", "\r\n")
    [scenario] = read_dataset_text(text, "q.tsv", capability="shapley-shubik")
    meta = scenario.issues[0].metadata
    assert meta["procedure"] == "COD" and meta["voting_rule"] == "Unan"
    assert scenario.actor("com").capability.value == 0.0  # a dummy in the COD game
    assert math.isclose(scenario.actor("de").capability.value, 1 / 16)


# ------------------------------------------------------------------------------ codebook variants
def _variant_rows() -> list[list[str]]:
    # columns: prnrnmc isnrnmc prnr prname isnr proc counvte pcom pde pfr scom sde sfr rp out
    return [
        PROXY,
        ["1", "1", "p1", "toy", "p1i1", "OLP", "QMV(10)", "100", "0", "NA", "50", "80", "0",
         "999", "40"],
        ["1", "2", "p1", "toy", "p1i2", "codecision", "Qualified majority", "10", "20", "30",
         "50", ".", "60", "0", "-99"],
        ["3", "1", "p3", "toy3", "p3i1", "cns", "Unanimity", "0", "50", "100", "50", "50", "50",
         "", "50"],
        ["3", "2", "p3", "toy3", "p3i2", "CNS", "Unan (art. 308)", "0", "50", "100", "50", "50",
         "50", "-", "60"],
        ["5", "1", "p5", "toy5", "p5i1", "COD*", "QMV", "0", "40", "100", "50", "50", "50", "0",
         "70"],
    ]


def test_codebook_variants_map_to_their_base_value():
    from allegiance.io.deu import DeuValuesMapped
    from allegiance.validation.backtest import scored

    with pytest.warns(DeuValuesMapped) as caught:
        scenarios = read_dataset_text(_tsv(*_variant_rows()), "variants.tsv",
                                      capability="shapley-shubik")
    assert len(caught) == 1  # one summary warning for the whole file
    message = str(caught[0].message)
    for part in ("counvte 'QMV(10)' as 'QMV' (1×)", "proc 'OLP' as 'COD' (1×)",
                 "proc 'cns' as 'CNS' (1×)", "counvte 'Unan (art. 308)' as 'Unan' (1×)",
                 "proc 'COD*' as 'COD' (1×)", "rp '999' as missing (1×)",
                 "out '-99' as missing (1×)", "p<actor> 'NA' as missing (1×)",
                 "s<actor> '.' as missing (1×)", "rp '-' as missing (1×)"):
        assert part in message, part
    meta = {s.issues[0].id: s.issues[0].metadata for s in scenarios}
    assert [(m["procedure"], m["voting_rule"]) for m in meta.values()] == [
        ("COD", "QMV"), ("COD", "QMV"), ("CNS", "Unan"), ("CNS", "Unan"), ("COD", "QMV")]
    assert meta["p1i1"]["raw_cells"] == {"proc": "OLP", "counvte": "QMV(10)"}
    assert meta["p3i2"]["raw_cells"] == {"counvte": "Unan (art. 308)"}
    assert "raw_cells" not in meta["p5i1"] or meta["p5i1"]["raw_cells"] == {"proc": "COD*"}
    first = scenarios[0]
    assert first.actor_ids == ["com", "de"] and first.issues[0].status_quo is None  # NA, 999
    # the capabilities follow the base rule: the same as the row written plainly
    plain = _variant_rows()[:2]
    plain[1][5:7] = ["COD", "QMV"]
    with pytest.warns(DeuValuesMapped):  # the missing-value codes of that row remain
        [same] = read_dataset_text(_tsv(*plain), "plain.tsv", capability="shapley-shubik")
    assert first.actor("de").capability.value == same.actor("de").capability.value
    assert 0 < first.actor("de").capability.value < 1
    assert scenarios[1].actor("de").issues["p1i2"].salience.value == pytest.approx(0.55)  # '.'
    assert meta["p1i2"]["outcome"] is None  # -99: not scored
    assert [s.issues[0].id for s in scored(scenarios)] == ["p1i1", "p3i1", "p3i2", "p5i1"]


def test_uninterpretable_values_are_refused_all_at_once():
    rows = _variant_rows()
    rows[1][6] = "QMV/Unan"  # two rules
    rows[2][5] = "SYN"  # the cooperation procedure: not one the models define
    rows[3][6] = "QMV (Unan in Council)"  # a note naming the other rule
    rows[4][6] = ""  # empty
    rows[5][7] = "n/k"  # not a number, not a missing-value code
    with pytest.raises(ReadError) as info:
        read_dataset_text(_tsv(*rows), "bad.tsv")
    found = {(p.line, p.path[0] if p.path else "") for p in info.value.problems}
    assert found == {(3, "counvte"), (4, "proc"), (5, "counvte"), (6, "counvte"), (7, "pcom")}
    text = str(info.value)
    assert "bad.tsv:3:" in text and "'QMV/Unan' is not a Council voting rule" in text
    assert "write QMV or Unan" in text and "write COD or CNS" in text


def test_plain_values_give_no_warning(recwarn):
    rows = _variant_rows()[:1] + [["1", "1", "p1", "toy", "p1i1", "CNS", "Unan", "100", "0", "",
                                   "50", "80", "0", "", "40"]]
    read_dataset_text(_tsv(*rows), "plain.tsv")
    assert not recwarn.list


def test_base_value_vocabulary():
    from allegiance.io.deu_values import base_value, is_missing

    assert base_value("counvte", "qmv") == ("QMV", True)
    assert base_value("counvte", " QMV ") == ("QMV", True)
    assert base_value("counvte", "QMV") == ("QMV", False)
    assert base_value("counvte", "QMV [2]") == ("QMV", True)
    assert base_value("counvte", "Unan†") == ("Unan", True)
    assert base_value("proc", "Ordinary legislative procedure") == ("COD", True)
    assert base_value("proc", "co-decision") == ("COD", True)
    assert base_value("proc", "Consultation") == ("CNS", True)
    for bad in ("", "SLP", "QMV or Unan", "Unan(QMV)", "majority", "10"):
        assert base_value("counvte" if bad != "SLP" else "proc", bad) is None, bad
    assert all(is_missing(t) for t in ("", "NA", "n.a.", "999", "-99", "-999", "9999", "–"))
    assert not any(is_missing(t) for t in ("0", "99", "100", "50.5", "abc"))


def test_backtest_and_import_print_the_summary_warning_once(tmp_path):
    from typer.testing import CliRunner

    from allegiance.cli import app

    data = tmp_path / "variants.tsv"
    data.write_text(_tsv(*_variant_rows()))
    result = CliRunner().invoke(app, ["backtest", str(data), "--model", "mean", "--capability",
                                      "all", "-o", str(tmp_path / "out"), "--bootstrap", "200"])
    assert result.exit_code == 0, result.output
    assert result.output.count("warning:") == 1 and "'QMV(10)' as 'QMV'" in result.output
    result = CliRunner().invoke(app, ["import", str(data), "-o", str(tmp_path / "yaml")])
    assert result.exit_code == 0, result.output
    assert result.output.count("warning:") == 1 and "wrote 5 scenarios" in result.output
