"""Time validating the largest input each format allows (docs/limits.md): every file inside the
documented limits must validate in at most 2 s.

For each reader, an input as large as the limits let it be is generated in a temporary folder:
a YAML scenario just under ``max-file-bytes`` with ranges on every estimate; BDM, KTAB and decide
files with ``max-actors`` actors; a KTAB XML file; a DEU data set just under ``max-dataset-bytes``.
Each is validated in this process (best of 3, the figure the limit is about) and by the whole
``allegiance validate`` process (best of 3, start-up included).

Run: ``python bench/bench_limits.py``
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from machine import python_loop_seconds

from allegiance.io import validate_file
from allegiance.scenario import limits

TARGET_SECONDS = 2.0


def yaml_scenario(actors: int, issues: int) -> str:
    lines = ["id: big", "title: Big", "issues:"]
    lines += [f"  - {{id: i{j}, name: Issue {j}, scale: [0, 100]}}" for j in range(issues)]
    lines.append("actors:")
    for a in range(actors):
        lines.append(f"  - id: a{a}\n    name: Actor {a}\n"
                     "    capability: {value: 10, low: 5, high: 20}\n    issues:")
        lines += [f"      i{j}: {{position: {{value: 50, low: 40, high: 60}}, salience: 0.5}}"
                  for j in range(issues)]
    return "\n".join(lines) + "\n"


def largest_yaml() -> str:
    actors = limits.MAX_ACTORS
    for issues in range(limits.MAX_ISSUES, 0, -1):
        if len(yaml_scenario(1, issues)) * actors < limits.MAX_FILE_BYTES:
            break
    while len(text := yaml_scenario(actors, issues)) > limits.MAX_FILE_BYTES:
        actors -= 50
    return text


def dense_yaml_scenario(actors: int, issues: int, ranged: bool = False) -> str:
    """Flow style with the shortest names: the most values a file of a given size can hold
    (with ``ranged``, every estimate a range)."""
    lines = ["id: d", "title: D", "issues:"]
    lines += [f"- {{id: i{j}, name: I, scale: [0, 1]}}" for j in range(issues)]
    lines.append("actors:")
    cell = ("{position: {value: 1, low: 0, high: 1}, salience: {value: 1, low: 0, high: 1}}"
            if ranged else "{position: 1, salience: 1}")
    cells = ", ".join(f"i{j}: {cell}" for j in range(issues))
    lines += [f"- {{id: a{a}, name: A, capability: 1, issues: {{{cells}}}}}"
              for a in range(actors)]
    return "\n".join(lines) + "\n"


#: issues per actor that fill ``max-stances`` with ``max-actors`` actors
STANCE_ISSUES = limits.MAX_STANCES // limits.MAX_ACTORS


def densest_yaml(ranged: bool = False) -> str:
    """The most stances allowed (``max-stances`` or as many as ``max-file-bytes`` holds, of
    ``max-actors`` actors), in flow style."""
    issues = STANCE_ISSUES
    while len(text := dense_yaml_scenario(limits.MAX_ACTORS, issues, ranged)) > \
            limits.MAX_FILE_BYTES:
        issues -= 1
    return text


def aliased_yaml(actors: int = 200) -> str:
    """``max-stances`` stances in a few kilobytes: every actor's stances are one alias."""
    issues = limits.MAX_STANCES // actors
    lines = ["id: d", "title: D", "issues:"]
    lines += [f"- {{id: i{j}, name: I, scale: [0, 1]}}" for j in range(issues)]
    cells = ", ".join(f"i{j}: {{position: 1, salience: 1}}" for j in range(issues))
    lines += ["actors:", f"- {{id: a0, name: A, capability: 1, issues: &all {{{cells}}}}}"]
    lines += [f"- {{id: a{a}, name: A, capability: 1, issues: *all}}" for a in range(1, actors)]
    return "\n".join(lines) + "\n"


def bdm_csv() -> str:
    return "Actor,Capability,Position,Salience\n" + "".join(
        f"Actor {a},{1 + a % 9},{a % 101},0.{1 + a % 9}\n" for a in range(limits.MAX_ACTORS))


def ktab_csv(dims: int = 3) -> str:
    head = f"Big,Generated,{limits.MAX_ACTORS},{dims}\nActor,Description,Power," + ",".join(
        f"D{d} Position,D{d} Salience" for d in range(dims)) + "\n"
    return head + "".join(
        f"A{a},Actor {a},{1 + a % 9}," + ",".join(f"{(a * 7 + d) % 101},{0.2 + d / 10:.2f}"
                                                   for d in range(dims)) + "\n"
        for a in range(limits.MAX_ACTORS))


def decide_txt(issues: int = 2) -> str:
    out = [f"#A\ta{a}\tActor {a}" for a in range(limits.MAX_ACTORS)]
    for j in range(issues):
        out += [f"#P\tp{j}\tIssue {j}", f"#M\tp{j}\t0\tlow", f"#M\tp{j}\t100\thigh"]
    out += [f"#D\ta{a}\tp{j}\t{(a + j) % 101}\t0.5\t0.{1 + a % 9}"
            for a in range(limits.MAX_ACTORS) for j in range(issues)]
    return "\n".join(out) + "\n"


def ktab_xml(dims: int = 3) -> str:
    actors = []
    for a in range(limits.MAX_ACTORS):
        positions = "".join(f"<dCoord>{(a * 7 + d) % 101}</dCoord>" for d in range(dims))
        saliences = "".join(f"<dSal>{20 + 7 * d % 80}</dSal>" for d in range(dims))
        actors.append(f"<Actor><name>A{a}</name><description>Actor {a}</description>"
                      f"<capability>{1 + a % 9}</capability><Position>{positions}</Position>"
                      f"<Salience>{saliences}</Salience></Actor>")
    dimensions = "".join(f"<dName>D{d}</dName>" for d in range(dims))
    return (f"<?xml version='1.0'?><Scenario><name>Big</name><desc>Generated</desc>"
            f"<Dimensions>{dimensions}</Dimensions><Actors>{''.join(actors)}</Actors>"
            "</Scenario>")


def deu_tsv() -> str:
    here = Path(__file__).resolve().parents[1] / "tests" / "data" / "hostile"
    head, row = (here / "deu-infinite-proposal.tsv").read_text().rstrip("\n").rsplit("\n", 1)
    rows, k = [], 1
    while len(head) + sum(len(r) + 1 for r in rows) + len(row) < limits.MAX_DATASET_BYTES - 200:
        rows.append(row.replace('"inf"\t"1"\t"d1"\t"A proposal"\t"1"',
                                f'"{k}"\t"{k}"\t"d{k}"\t"A proposal"\t"{k}"', 1))
        k += 1
    return head + "\n" + "\n".join(rows) + "\n"


CASES = {"yaml, block style with ranges (max-file-bytes)": ("big.yaml", largest_yaml),
         "yaml, flow style (max-stances)": ("dense.yaml", densest_yaml),
         "yaml, flow style with ranges (max-stances)":
             ("dense-ranged.yaml", lambda: densest_yaml(ranged=True)),
         "yaml, stances as aliases (max-stances)": ("aliased.yaml", aliased_yaml),
         "bdm-csv (max-actors)": ("big-bdm.csv", bdm_csv),
         "ktab-csv (max-stances)": ("big-ktab.csv", lambda: ktab_csv(STANCE_ISSUES)),
         "ktab-xml (max-stances)": ("big-ktab.xml", lambda: ktab_xml(STANCE_ISSUES)),
         "decide (max-stances)": ("big-decide.txt", lambda: decide_txt(STANCE_ISSUES)),
         "deu (max-dataset-bytes)": ("big-deu.tsv", deu_tsv),
         "ktab-csv of max-file-bytes, refused (max-stances)":
             ("over-ktab.csv", lambda: ktab_csv(60))}


def best(function, repeat: int = 3) -> tuple[float, float]:
    """Best wall and best CPU seconds (this process and its children) of ``repeat`` calls."""
    walls, cpus = [], []
    for _ in range(repeat):
        start, cpu = time.perf_counter(), _cpu()
        function()
        walls.append(time.perf_counter() - start)
        cpus.append(_cpu() - cpu)
    return min(walls), min(cpus)


def _cpu() -> float:
    own = os.times()
    return own.user + own.system + own.children_user + own.children_system


def main() -> None:
    print(f"machine check: 10^7 Python additions in {python_loop_seconds():.2f} s")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; wall (CPU) seconds")
    print(f"| input | size | problems | validate in-process | `allegiance validate` | "
          f"≤ {TARGET_SECONDS:g} s CPU |")
    print("|---|---:|---:|---:|---:|---|")
    with tempfile.TemporaryDirectory() as folder:
        for label, (name, make) in CASES.items():
            path = Path(folder) / name
            path.write_text(make(), encoding="utf-8")
            problems = validate_file(path)
            seconds, seconds_cpu = best(lambda p=path: validate_file(p))
            command = [sys.executable, "-c", "from allegiance.cli import run; run()", "validate",
                       str(path)]
            process, process_cpu = best(lambda c=command: subprocess.run(c, capture_output=True))
            errors = sum(p.severity == "error" for p in problems)
            print(f"| {label} | {path.stat().st_size / 1e6:.2f} MB | {errors} error(s), "
                  f"{len(problems) - errors} warning(s) | {seconds:.2f} s ({seconds_cpu:.2f} s) | "
                  f"{process:.2f} s ({process_cpu:.2f} s) | "
                  f"{'yes' if max(seconds_cpu, process_cpu) <= TARGET_SECONDS else 'NO'} |")


if __name__ == "__main__":
    main()
