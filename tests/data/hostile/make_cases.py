"""Writes the hostile-input regression cases in this folder and their manifest, cases.json.

    python tests/data/hostile/make_cases.py

Each case is an input that once crashed, hung or was silently misread (issue "Hostile input,
faults and load", and the fuzz campaign's findings, ``make fuzz``); ``expect`` is what it must do
now: ``rejected`` with a clear located error, or ``accepted`` with finite forecasts.
"""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent

SYRIA_LIKE = """id: hostile
title: Hostile
issues:
  - id: x
    name: X
    scale: {scale}
actors:
  - id: a
    name: {name_a}
    capability: {cap_a}
    issues: {{x: {{position: {pos_a}, salience: 0.5}}}}
  - id: b
    name: B
    capability: {cap_b}
    issues: {{x: {{position: {pos_b}, salience: 0.5}}}}
{extra}"""


def yaml_case(scale="[0, 100]", name_a="A", cap_a=1, cap_b=2, pos_a=20, pos_b=80, extra=""):
    return SYRIA_LIKE.format(scale=scale, name_a=name_a, cap_a=cap_a, cap_b=cap_b, pos_a=pos_a,
                             pos_b=pos_b, extra=extra)


DEU_HEAD = ('"prnrnmc"\t"isnrnmc"\t"prnr"\t"prname"\t"isnr"\t"type"\t"council"\t"proc"\t'
            '"counvte"\t"proccde"\t"issues"\t"intro"\t"finact"\t"pcom"\t"pde"\t"pfr"\t"scom"\t'
            '"sde"\t"sfr"\t"rp"\t"out"\n\t\t\t\t\t\t\t\t\t\t\t\t\t\t"4.1"\t"3.4"\t\t\t\t\t\n')


CASES = {
    # numbers too large or not finite: once NaN forecasts or OverflowError tracebacks
    "bdm-huge-positions.csv": ("bdm-csv", "rejected",
                               "Actor,Capability,Position,Salience\nA,1,-1e308,0.5\nB,1,1e308,0.5\n"),
    "bdm-denormal-span.csv": ("bdm-csv", "accepted",
                              "Actor,Capability,Position,Salience\nA,1,0,0.5\nB,1,5e-324,0.5\n"),
    "bdm-huge-capabilities.csv": ("bdm-csv", "rejected",
                                  "Actor,Capability,Position,Salience\nA,1e308,0,0.5\n"
                                  "B,1e308,100,0.5\n"),
    "bdm-20000-digits.csv": ("bdm-csv", "rejected",
                             "Actor,Capability,Position,Salience\nA,1," + "7" * 20_000 + "x,0.5\n"
                             "B,1,10,0.5\n"),
    "yaml-huge-scale.yaml": ("yaml", "rejected", yaml_case(scale="[-1e308, 1e308]")),
    "yaml-huge-capabilities.yaml": ("yaml", "rejected",
                                    yaml_case(cap_a="1.0e+308", cap_b="1.0e+308")),
    "yaml-variant-inf.yaml": ("yaml", "rejected", yaml_case(
        extra="variants:\n  v:\n    changes: [{actor: a, field: capability, value: .inf}]\n")),
    "yaml-timestamp-tag.yaml": ("yaml", "accepted", yaml_case().replace(
        "id: hostile", "id: !!timestamp x")),
    "yaml-impossible-date-key.yaml": ("yaml", "rejected", yaml_case(extra="2014-02-30: 1\n")),
    "yaml-huge-name.yaml": ("yaml", "rejected", yaml_case(name_a='"' + " " * 100_000 + 'x"')),
    "yaml-markup-name.yaml": ("yaml", "accepted", yaml_case(name_a='"[/x] [bold]A"').replace(
        "title: Hostile", 'title: "Hostile [range]"')),
    "yaml-alias-bomb.yaml": ("yaml", "rejected", "".join(
        f"{c}: &{c} [" + ", ".join([f"*{p}"] * 9 if p else ["x"] * 9) + "]\n"
        for p, c in zip(["", "a", "b", "c", "d", "e", "f"], "abcdefg", strict=True))),
    "yaml-recursive-alias.yaml": ("yaml", "rejected", "id: &a [*a]\n"),
    # 80,000 stances in 33 kB, every actor's stances one alias: 2.5 s to validate before the
    # max-stances limit
    "yaml-stances-as-aliases.yaml": ("yaml", "rejected", "id: d\ntitle: D\nissues:\n" + "".join(
        f"- {{id: i{j}, name: I, scale: [0, 1]}}\n" for j in range(200)) + "actors:\n"
        "- {id: a0, name: A, capability: 1, issues: &all {" + ", ".join(
            f"i{j}: {{position: 1, salience: 1}}" for j in range(200)) + "}}\n" + "".join(
        f"- {{id: a{a}, name: A, capability: 1, issues: *all}}\n" for a in range(1, 400))),
    "ktab-20000-space-header.csv": ("ktab-csv", "accepted",
                                    "s,d,2,1\nActor,Description,Power," + " " * 20_000
                                    + " Position,Salience\nA,a,1,10,0.5\nB,b,2,20,0.5\n"),
    "decide-100000-tabs.txt": ("decide", "accepted",
                               "#A\ta\tA\n#A\tb\tB\n#P\tx\tX\n#M\tx\t0\tlow\n#M\tx\t100\thigh\n"
                               "#D\ta\tx\t10\t0.5\t0.5" + "\t" * 100_000 + "\n"
                               "#D\tb\tx\t90\t0.5\t0.5\n"),
    "decide-20000-digits.txt": ("decide", "rejected",
                                "#A\ta\tA\n#P\tx\tX\n#D\ta\tx\t" + "1" * 20_000 + "z\t0.5\t0.5\n"),
    "ktab-xml-too-many-elements.xml": ("ktab-xml", "rejected",
                                       "<Scenario><Actors>" + "<x/>" * 250_000
                                       + "</Actors></Scenario>"),
    "deu-infinite-proposal.tsv": ("deu", "accepted",
                                  DEU_HEAD + '"inf"\t"1"\t"d1"\t"A proposal"\t"1"\t"1"\t"x"\t'
                                  '"COD"\t'
                                  '"QMV"\t"1"\t"1"\t"2000-01-01"\t"2001-01-01"\t"10"\t"20"\t'
                                  '"80"\t"50"\t"50"\t"50"\t"0"\t"60"\n'),
    # found by the campaign: the annotated-value pattern backtracked over a long cell (12 s for
    # 100 kB), and the error quoted the whole cell
    "deu-long-voting-rule.tsv": ("deu", "rejected",
                                 DEU_HEAD + '"1"\t"1"\t"d1"\t"A proposal"\t"1"\t"1"\t"x"\t'
                                 '"COD"\t"' + "7" * 200_000 + 'e5"\t"1"\t"1"\t"2000-01-01"\t'
                                 '"2001-01-01"\t"10"\t"20"\t"80"\t"50"\t"50"\t"50"\t"0"\t"60"\n'),
    "deu-long-procedure.tsv": ("deu", "rejected",
                               DEU_HEAD + '"1"\t"1"\t"d1"\t"A proposal"\t"1"\t"1"\t"x"\t"'
                               + "7" * 200_000 + 'x"\t"QMV"\t"1"\t"1"\t"2000-01-01"\t'
                               '"2001-01-01"\t"10"\t"20"\t"80"\t"50"\t"50"\t"50"\t"0"\t"60"\n'),
}


def main() -> None:
    manifest = {}
    for name, (fmt, expect, text) in CASES.items():
        (HERE / name).write_text(text, encoding="utf-8")
        manifest[name] = {"format": fmt, "expect": expect}
    (HERE / "cases.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
