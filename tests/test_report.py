"""The briefing: self-contained HTML with every section and figure, names escaped, rendered by
headless Chromium (Selenium + ChromeDriver), printed to a PDF with pages; the plot command's
files; the one-screen brief at 80 columns; DataFrames and short reprs of every result."""

from __future__ import annotations

import base64
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import allegiance
from allegiance.cli import app
from allegiance.report.collect import collect, read_record
from allegiance.report.html import CHROMIUM_FLAGS, SECTIONS, render_html, write_pdf
from allegiance.scenario.model import Scenario

runner = CliRunner()
FIGURES = ("figure-positions-bdm", "figure-outcomes", "figure-coalitions", "figure-tornado",
           "figure-record")


@pytest.fixture(scope="module")
def briefing():
    return collect("syria-2014", models=["mean", "bdm"], runs=60, seed=1)


@pytest.fixture(scope="module")
def page(briefing, tmp_path_factory):
    html = render_html(briefing)
    path = tmp_path_factory.mktemp("briefing") / "briefing.html"
    path.write_text(html, encoding="utf-8")
    return path


def test_every_section_and_figure_is_there(page):
    html = page.read_text(encoding="utf-8")
    for section, heading in SECTIONS.items():
        assert f'id="{section}"' in html and heading.replace("'", "&#39;") in html
    for figure in FIGURES:
        found = re.search(rf'<figure id="{figure}"><img alt="[^"]*" src="data:image/svg\+xml;'
                          r'base64,([A-Za-z0-9+/=]+)"', html)
        assert found, figure
        assert base64.b64decode(found.group(1)).lstrip().startswith(b"<?xml")
    for text in ("sha256:", "2014-08-01", "2014-09-08", "regional", "local", "usa.capability",
                 "F3", "Reliability cannot be judged", "Record: On 180 issues",
                 "What it would take for local: "):
        assert text in html, text


def test_the_page_is_self_contained(page):
    html = page.read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html, re.I)
    assert not re.search(r"url\(\s*['\"]?\s*(https?:)?//", html, re.I)
    assert "@import" not in html and "@font-face" not in html
    assert "<script" not in html.lower() and "<link" not in html.lower()
    for src in re.findall(r'src="([^"]*)"', html):
        assert src.startswith("data:image/svg+xml;base64,")


def test_the_report_names_what_reproduces_it(briefing, page):
    html = page.read_text(encoding="utf-8")
    assert briefing.scenario.content_hash() in html
    assert f"Allegiance {allegiance.__version__}" in html
    assert "rounds=10" in html and "weighting=capability*salience" in html
    assert "60 Monte Carlo draws per model and per date, seed\n    1" in html or "seed" in html
    assert "allegiance report syria-2014 --runs 60 --seed 1 --model bdm" in html


def test_names_are_escaped():
    data = allegiance.load_scenario("eu-emissions-1994").model_dump()
    data["title"] = "<script>alert('t')</script>"
    data["actors"][0]["name"] = '<img src="http://evil.example/x.png">'
    hostile = Scenario.model_validate(data)
    html = render_html(collect(hostile, models=["mean"], runs=20, seed=1))
    assert "<script>alert" not in html and '<img src="http://evil' not in html
    assert "&lt;script&gt;alert(&#39;t&#39;)&lt;/script&gt;" in html
    assert "&lt;img src=&#34;http://evil.example/x.png&#34;&gt;" in html


def _driver(tmp_path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag.replace("--headless", "--headless=new"))
    options.add_argument(f"--user-data-dir={tmp_path / 'profile'}")
    options.add_argument("--window-size=1200,900")
    return webdriver.Chrome(service=Service(executable_path="/usr/bin/chromedriver"),
                            options=options)


def test_chromium_renders_every_section_and_figure(page, tmp_path):
    from selenium.webdriver.common.by import By

    driver = _driver(tmp_path)
    try:
        driver.get(page.as_uri())
        headings = [h.text for h in driver.find_elements(By.TAG_NAME, "h2")]
        assert headings == list(SECTIONS.values())
        for figure in FIGURES:
            image = driver.find_element(By.CSS_SELECTOR, f"#{figure} img")
            width = driver.execute_script(
                "return arguments[0].complete && arguments[0].naturalWidth", image)
            assert width and width > 200, figure
            assert image.size["width"] > 200
        answer = driver.find_element(By.ID, "section-answer").text
        assert "2014-08-01" in answer and "regime" in answer
        driver.save_screenshot(str(tmp_path / "briefing.png"))
        assert (tmp_path / "briefing.png").stat().st_size > 10_000
    finally:
        driver.quit()


def test_pdf_has_the_pages(briefing, tmp_path):
    path = tmp_path / "briefing.pdf"
    write_pdf(render_html(briefing), path)
    data = path.read_bytes()
    assert data.startswith(b"%PDF-")
    pages = len(re.findall(rb"/Type\s*/Page(?![s\w])", data))
    assert pages >= 5, pages  # A4: the scenario tables, four figures and the caveats


def test_report_command_writes_html_and_rejects_bad_output(tmp_path):
    out = tmp_path / "b.html"
    result = runner.invoke(app, ["report", "eu-emissions-1994", "-o", str(out), "--model",
                                 "mean", "--runs", "20", "--no-progress"])
    assert result.exit_code == 0, result.output
    assert 'id="section-caveats"' in out.read_text(encoding="utf-8")
    bad = runner.invoke(app, ["report", "eu-emissions-1994", "-o", str(tmp_path / "b.doc")])
    assert bad.exit_code == 2 and "must end in .html or .pdf" in bad.stderr.replace("\n", " ")
    missing = runner.invoke(app, ["report", "eu-emissions-1994", "-o", str(out), "--backtest",
                                  str(tmp_path / "none.csv")])
    assert missing.exit_code == 2 and "no such file" in missing.stderr


def test_the_record_is_read_from_backtest_output(tmp_path):
    shipped = read_record()
    assert shipped["settings"]["scored_issues"] == 180
    mean = [s for s in shipped["summaries"] if s["model"] == "mean"]
    assert {s["capability"] for s in mean} >= {"equal", "gdp"}
    assert all(isinstance(s["mae"], float) for s in mean)
    (tmp_path / "summary.csv").write_text("model,capability,n_issues,n_ok,n_failed,mae,median_ae,"
                                          "within_10,vs_mean_n\nmean,equal,3,3,0,9.5,9.0,0.5,0\n")
    record = read_record(tmp_path)
    assert record["summaries"][0]["mae"] == 9.5 and record["settings"]["scored_issues"] == 3


@pytest.mark.parametrize("kind", ["positions", "outcomes", "coalitions", "tornado", "backtest"])
def test_plot_command_writes_each_figure(kind, tmp_path):
    for suffix, check in (("png", lambda b: b.startswith(b"\x89PNG")),
                          ("svg", lambda b: b"<svg" in b[:2000]),
                          ("html", lambda b: b"plotly" in b and not re.search(
                              rb"""<script[^>]*src=["']?https?:""", b))):
        out = tmp_path / f"{kind}.{suffix}"
        source = [] if kind == "backtest" else ["syria-2014"]
        result = runner.invoke(app, ["plot", kind, *source, "-o", str(out), "--runs", "50"])
        assert result.exit_code == 0, result.output
        assert check(out.read_bytes()), (kind, suffix)
    bad = runner.invoke(app, ["plot", "pie", "syria-2014"])
    assert bad.exit_code == 2 and "unknown figure" in bad.stderr


def test_brief_fits_one_screen_at_80_columns(tmp_path):
    env = {**os.environ, "COLUMNS": "80"}
    proc = subprocess.run([sys.executable, "-m", "allegiance.cli", "brief", "--runs", "500"],
                          capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.rstrip("\n").splitlines()
    assert len(lines) <= 40 and max(len(line.rstrip()) for line in lines) <= 80
    text = proc.stdout
    for needed in ("2014-08-01", "2014-09-08", "regional", "local", "would rather stay out",
                   "The judgement that matters most", "allegiance report syria-2014"):
        assert needed in text, needed
    header = next(line for line in lines if line.startswith("coalition"))
    assert header.split() == ["coalition", "winning", "share", "P(winning)", "would", "rather",
                              "stay", "out"]


def test_forecast_start_up_loads_no_presentation_library():
    code = ("import sys; sys.argv = ['allegiance', 'forecast', '-f', 'json']\n"
            "from allegiance.cli import app\n"
            "try:\n    app()\nexcept SystemExit:\n    pass\n"
            "heavy = [m for m in ('pandas', 'matplotlib', 'plotly', 'jinja2')\n"
            "         if m in sys.modules]\n"
            "sys.stderr.write(repr(heavy))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert proc.stderr.strip().endswith("[]"), proc.stderr[-500:]
    assert '"summary"' in proc.stdout


def test_frames_have_labelled_columns_and_reprs_are_short():
    from allegiance.coalitions.report import coalition_report
    from allegiance.uncertainty import run_montecarlo, run_sensitivity, run_timeline

    scenario = allegiance.load_scenario("syria-2014")
    forecast = allegiance.forecast(scenario, "bdm")
    table = forecast.to_frame()
    assert list(table.columns) == ["round", "actor", "issue", "position"]
    assert len(table) == 11 * 35  # 11 rounds × the 35 actor-issue stances present
    mc = run_montecarlo(scenario, "mean", runs=100, seed=1)
    assert list(mc.to_frame().columns) == ["draw", "issue", "outcome"]
    assert list(mc.to_frame("positions").columns) == ["draw", "actor", "issue", "position"]
    assert mc.to_frame("coalitions")["winning"].dtype == bool
    sensitivity = run_sensitivity(scenario, "mean", runs=100, seed=1)
    assert {"issue", "parameter", "impact", "sobol"} <= set(sensitivity.to_frame().columns)
    timeline = run_timeline(scenario, "mean", runs=50, seed=1)
    assert list(timeline.to_frame("coalitions").columns) == ["date", "coalition", "share",
                                                             "winning", "p_winning"]
    report = coalition_report(scenario, theories=False)
    assert {"coalition", "state", "issue", "share"} <= set(report.to_frame().columns)
    assert {"actor", "gain"} <= set(report.to_frame("members").columns)
    for result in (forecast.result, mc, sensitivity, sensitivity.tornado, timeline, report,
                   report.coalitions["local"][0]):
        assert len(repr(result)) < 300, type(result)
    with pytest.raises(ValueError, match="what must be"):
        mc.to_frame("bogus")


def test_briefing_sentences_state_the_timeline_numbers(briefing):
    from allegiance.summary import summarize

    lines = summarize("briefing", briefing.to_dict(), briefing.scenario)
    dates = briefing.timeline["dates"]
    first = lines[0]
    for issue, after in dates[-1]["outcome"].items():
        before = dates[0]["outcome"][issue]
        found = re.search(rf"{re.escape(issue)} (\S+) → (\S+) ", first)
        assert float(found.group(1)) == pytest.approx(before, abs=0.05)
        assert float(found.group(2)) == pytest.approx(after, abs=0.05)
    regime = next(s for s in lines if s.startswith("regime:"))
    assert "would rather stay out: officers — officers still gained by joining as of " \
           "2014-08-01" in regime


def test_docs_screenshot_exists():
    shot = Path(__file__).resolve().parents[1] / "docs" / "report-page.png"
    assert shot.read_bytes().startswith(b"\x89PNG")


def _header_words(text: str) -> set[str]:
    """Words of the table headers in Rich output: boxed header rows (┃ ... ┃) and the rows just
    above a compact table's header rule (a line of ─)."""
    lines = text.splitlines()
    words: set[str] = set()
    for n, line in enumerate(lines):
        if line.startswith("┃"):
            words.update(line.replace("┃", " ").split())
        elif line.strip() and set(line.strip()) == {"─"}:
            m = n - 1
            while m >= 0 and lines[m].strip() and not lines[m].startswith(("•", "┃", "│")):
                words.update(lines[m].split())
                m -= 1
                if m >= 0 and lines[m][:1] not in (" ", "") and not any(
                        lines[m].startswith(w) for w in ("actor", "coalition", "issue")):
                    break
    return words


@pytest.mark.parametrize("args", [
    ["show", "syria-2014"],
    ["forecast", "syria-2014", "--model", "bdm", "--explain"],
    ["coalitions", "syria-2014"],
    ["montecarlo", "syria-2014", "--runs", "100", "--seed", "1", "--no-progress"],
    ["sensitivity", "syria-2014", "--runs", "100", "--seed", "1", "--no-progress"],
    ["timeline", "syria-2014", "--runs", "100", "--seed", "1"],
])
def test_tables_at_80_columns_keep_header_words_whole(args):
    def run(columns: int) -> str:
        proc = subprocess.run([sys.executable, "-m", "allegiance.cli", *args], capture_output=True,
                              text=True, env={**os.environ, "COLUMNS": str(columns)}, timeout=300)
        assert proc.returncode == 0, proc.stderr
        return proc.stdout

    narrow, wide = run(80), run(250)
    assert max(len(line.rstrip()) for line in narrow.splitlines()) <= 80
    words = _header_words(narrow)
    assert words and not any("…" in w for w in words)
    known = set(wide.split())
    assert words <= known, sorted(words - known)


def test_power_and_levers_results_have_frames():
    from allegiance.coalitions.scenario_power import scenario_power
    from allegiance.levers.analysis import levers

    scenario = allegiance.load_scenario("syria-2014")
    power = scenario_power(scenario).to_frame()
    assert list(power.columns) == ["issue", "actor", "weight", "shapley_shubik", "banzhaf",
                                   "banzhaf_absolute"]
    for _, game in power.groupby("issue"):
        assert game["shapley_shubik"].sum() == pytest.approx(1.0)
    answer = levers(scenario, "local", model="mean", levers="capability:rebels")
    table = answer.to_frame()
    assert {"solution", "actor", "field", "before", "after", "cost"} <= set(table.columns)
    assert set(table["actor"]) <= {"rebels"}
