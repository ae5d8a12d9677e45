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


# ------------------------------------------- the prose of docs/validation.md agrees with its tables
def _rows(name: str) -> list[dict[str, str]]:
    lines = [line for line in _committed(name).splitlines() if line.startswith("|")]
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    return [dict(zip(header, (c.strip() for c in line.strip("|").split("|")), strict=True))
            for line in lines[2:]]


def _interval(cell: str) -> tuple[float, float, float]:
    mean, rest = cell.split(" [")
    low, high = rest.rstrip("]").split(", ")
    return float(mean), float(low), float(high)


def mean_mae_of(rows: list[dict[str, str]], option: str) -> float:
    return next(float(r["MAE"]) for r in rows if r["model"] == "mean" and r["capability"] == option)


def test_validation_prose_claims_hold_in_its_tables():
    rows = _rows("backtest")
    assert all(r["issues (failed)"].endswith("(0)") for r in rows)  # "Failures. None"
    options = ["equal", "gdp", "council-votes", "shapley-shubik"]
    others = [r for r in rows if r["model"] not in ("mean", "learned")]
    # "no model beats the compromise model under any capability option"
    assert all(_interval(r["vs mean [95% CI]"])[0] > 0 for r in others)
    # the learned forecaster: never 10% better; level under gdp; better under shapley-shubik;
    # worse under equal capabilities and in the cv row
    learned = {r["capability"]: r for r in rows if r["model"] == "learned"}
    for option, row in learned.items():
        assert float(row["MAE"]) > 0.9 * mean_mae_of(rows, option)
    gdp, shapley, equal, cv = (_interval(learned[o]["vs mean [95% CI]"])
                               for o in ("gdp", "shapley-shubik", "equal", "cv"))
    assert gdp[1] < 0 < gdp[2] and shapley[2] < 0 and equal[1] > 0 and cv[1] > 0
    # every model's conformal intervals cover 45-55% and 75-85% of held-out outcomes
    assert all(45 <= float(r["PI 50% cover"].rstrip("%")) <= 55
               and 75 <= float(r["PI 80% cover"].rstrip("%")) <= 85 for r in rows)
    # "bdm ... loses under every option, with bootstrap intervals that exclude zero"
    assert all(_interval(r["vs mean [95% CI]"])[1] > 0 for r in others if r["model"] == "bdm")
    # "formal Council votes ... the worst option for the compromise model"
    mean_mae = {r["capability"]: float(r["MAE"]) for r in rows if r["model"] == "mean"}
    assert max(options, key=lambda o: mean_mae[o]) == "council-votes"
    # "no row forecasts even half of the issues within 10 points"
    assert max(float(r["within 10"].rstrip("%")) for r in rows) < 50
    # "the stochastic model's intervals contain the outcome in a few percent of issues"
    assert all(float(r["runs 80% cover"].rstrip("%")) < 10 for r in rows
               if r["model"] == "exchange")
    # "nash is the worst model with its default disagreement point"
    for option in options:
        by_model = {r["model"]: float(r["MAE"]) for r in rows if r["capability"] == option}
        assert max(by_model, key=by_model.get) == "nash"
    # nash's error comes from the issues with a reference point
    split = {r["issues"]: r for r in _rows("nash-reference-point")}
    with_rp, without = split["with a reference point"], split["without one"]
    assert float(with_rp["nash"]) > 1.5 * float(with_rp["mean"])
    assert abs(float(without["nash"]) - float(without["mean"])) < 2
    # "the cross-validated nash equals nash[disagreement=worst] under every option"
    tune = _rows("nash-tune")
    for option in options:
        worst = next(r for r in tune if r["model"] == "nash[disagreement=worst]"
                     and r["capability"] == option)
        cv = next(r for r in tune if r["model"] == "nash[cv disagreement]"
                  and r["capability"] == option)
        assert {k: v for k, v in worst.items() if k != "model"} == \
            {k: v for k, v in cv.items() if k != "model"}
    # "the weighted median ... puts more issues within 10 points" (than the compromise model)
    for option in [*options, "cv"]:
        share = {r["model"]: float(r["within 10"].rstrip("%")) for r in rows
                 if r["capability"] == option}
        assert share["median"] > share["mean"]
    # "the one cell where other models do better ... is consultation under unanimity"
    cells = _rows("backtest-breakdown")
    better = {(c["procedure"], c["voting rule"]) for c in cells
              if min(float(c[m]) for m in ("median", "bdm", "smp", "exchange", "nash"))
              < float(c["mean"])}
    assert better == {("CNS", "Unan")}
    unan = next(c for c in cells if (c["procedure"], c["voting rule"]) == ("CNS", "Unan"))
    assert {m for m in ("median", "bdm", "smp", "exchange", "nash")
            if float(unan[m]) < float(unan["mean"])} == {"smp", "median"}


def test_learned_prose_claims_hold_in_its_tables():
    rows = {r["variant"]: r for r in _rows("learned-openings")}
    mae = {k: float(r["MAE"]) for k, r in rows.items()}
    mean = mae["mean alone (nothing fitted)"]
    pooled = mae["stack of the models, pooled weights (LOPO CV)"]
    learned_key = next(k for k in rows if k.startswith("learned:"))
    # "the 10% goal is not met ... level with the compromise model, interval includes zero"
    assert mae[learned_key] > 0.9 * mean
    _, low, high = _interval(rows[learned_key]["vs mean [95% CI]"])
    assert low < 0 < high
    # "procedure-aware weights (κ = 0) do worse than pooled weights"
    assert mae["stack of the models, by procedure × voting rule (κ = 0) (LOPO CV)"] > pooled
    # "the anchors do not help"
    assert mae["stack with status-quo and nearest-end anchors, pooled (LOPO CV)"] >= pooled
    # "capabilities estimated from the outcomes do no better": interval includes zero
    estimated = next(r for k, r in rows.items() if k.startswith("compromise with capabilities"))
    _, low, high = _interval(estimated["vs mean [95% CI]"])
    assert low < 0 < high or low <= 0 <= high
    # "the pooled stack gains a fraction of a point"
    assert 0 <= mean - pooled < 1


# ------------------------- the prose of coalitions.md, syria-2014.md, smp.md agrees with its tables
def test_coalition_report_prose_claims_hold_in_its_tables():
    summary = _rows("coalitions-report")
    assert len(summary) == 4 and all(r["winning"].startswith("no") for r in summary)
    from allegiance import docs_tables

    report = docs_tables.report()
    assert all(not a.joiners for name in docs_tables.EXAMPLE for a in report.coalitions[name])
    members = _rows("coalitions-report-members")

    def gains(row):
        return {g.rsplit(" ", 1)[0]: float(g.rsplit(" ", 1)[1])
                for g in row["members' gain by joining"].split(", ")}
    # "every regional member gains"; "the local members' gains are small and change sign"
    assert all(v > 0 for r in members if r["coalition"] == "regional" for v in gains(r).values())
    local = [gains(r) for r in members if r["coalition"] == "local"]
    assert all(abs(v) < 0.05 for g in local for v in g.values())
    assert {a for a, v in local[0].items() if v < 0} != {a for a, v in local[1].items() if v < 0}
    # "with a 25 % quota the local coalition wins before Tabqa with all three members pivotal,
    # and just misses after it"
    before, after = _rows("coalitions-report-quota")
    assert before["winning"].startswith("yes") and before["pivotal"].count(",") == 2
    assert after["winning"].startswith("no")


def test_syria_prose_claims_hold_in_its_tables():
    spread = {(r["coalition"], r["as of"]): r for r in _rows("syria-spread")}
    before, after = spread["local", "2014-08-01"], spread["local", "2014-09-08"]

    def by_issue(row):
        return [float(x) for x in row["spread (assad-future, isis-priority, settlement)"]
                .split(", ")]

    def share(row):
        return float(row["combined share"].rstrip(" %"))
    # "draw together on assad-future and settlement"; "share falls slightly"; "far from a
    # majority"; "the regime alignment holds about half of it in both states"
    assert by_issue(after)[0] < by_issue(before)[0] and by_issue(after)[2] < by_issue(before)[2]
    assert share(after) < share(before) < 35
    assert all(40 <= share(spread["regime", d]) <= 60 for d in ("2014-08-01", "2014-09-08"))
    levers = {r["`--levers`"]: r for r in _rows("syria-levers")}
    # "no change inside the plausible ranges"; "us-train-equip alone finds no solution even
    # beyond the ranges"
    assert all(r["inside the ranges"] == "none (exact)" for r in levers.values())
    assert levers["`us-train-equip`"]["cheapest found beyond them"].startswith("none")
    assert "cost" in levers["`alawi-doubts,us-train-equip`"]["cheapest found beyond them"]


def test_smp_isis_rows_agree_with_ktab():
    rows = [line.split() for line in _committed("smp-isis").splitlines()
            if line.startswith(("isis ", "usa "))]
    by = {(r[0], r[1]): r[2:] for r in rows}
    for actor in ("isis", "usa"):
        assert by[actor, "KTAB"][1:] == by[actor, "allegiance"]  # "KTAB smpc" is two words
    assert float(by["isis", "allegiance"][-3]) > 50  # ISIS ends far from 0


def test_power_prose_claim_holds_in_its_table():
    # "Tabqa moves power from the regime's side (assad, officers) to ISIS"
    rows = {r["actor"]: r for r in _rows("coalitions-power")}
    for actor in ("assad", "officers"):
        assert float(rows[actor]["SS after"]) < float(rows[actor]["SS before"])
    assert float(rows["isis"]["SS after"]) > float(rows["isis"]["SS before"])


def _table_rows(name: str) -> list[list[str]]:
    """The body rows of the Rich tables in a block of command output (cells stripped)."""
    return [[c.strip() for c in line.strip("│").split("│")]
            for line in _committed(name).splitlines() if line.startswith("│")]


def _p_gains(cell: str) -> dict[str, float]:
    return {m.rsplit(" ", 1)[0]: float(m.rsplit(" ", 1)[1].rstrip("%")) for m in cell.split(", ")}


def test_uncertainty_prose_claims_hold_in_its_outputs():
    # Monte Carlo: the rebels would join in most draws, the officers and the Alawite base far
    # less often; with the US the officers' gain becomes rare
    rows = {r[0]: r for r in _table_rows("uncertainty-montecarlo") if r[0] in
            ("regional", "local", "local-us", "regime")}
    local, local_us = _p_gains(rows["local"][3]), _p_gains(rows["local-us"][3])
    assert local["rebels"] > 85 and max(local["officers"], local["alawites"]) < 70
    assert local_us["officers"] < local["officers"] / 2
    # sensitivity: the US's salience on assad-future comes first, with the largest Sobol index
    text = _committed("uncertainty-sensitivity")
    first = text.index("(assad-future): forecast")
    table = [r for r in _table_rows("uncertainty-sensitivity")
             if text.index("│ " + r[0]) > first][:6]
    assert table[0][0] == "usa.assad-future.salience"
    assert float(table[0][-1]) == max(float(r[-1]) for r in table)
    # timeline: the officers' position on assad-future and the US's on isis-priority have the
    # largest effects; the regime's chance falls and the officers would rather stay out after
    changes = {r[0]: r for r in _table_rows("uncertainty-timeline") if len(r) == 5}
    effect = {k: [0.0 if c == "·" else float(c) for c in r[2:]] for k, r in changes.items()
              if "→" in r[1]}
    assert min(effect, key=lambda k: effect[k][0]) == "officers.assad-future.position"
    assert max(effect, key=lambda k: effect[k][1]) == "usa.isis-priority.position"
    assert min(effect, key=lambda k: effect[k][0] if k != "officers.assad-future.position"
               else 0) == "alawites.assad-future.position"
    assert "officers gains by joining: True → False" in _committed("uncertainty-timeline")
    verdicts = [r for r in _table_rows("uncertainty-timeline") if len(r) == 6]
    regime = verdicts[[r[0] for r in verdicts].index("regime"):][:2]
    assert float(regime[1][4].split("%")[0]) < float(regime[0][4].split("%")[0])
