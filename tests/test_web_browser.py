"""The web app in a real browser (Chromium from the system's packages, driven by Selenium with
the system's ChromeDriver; nothing is downloaded): sign in, open syria-2014, change a salience
(an invalid value shows its error on the cell, then fix it), save a version, run BDM, see the
positions chart and the coalition verdicts, compare with the previous version, sign out.

Screenshots of every page go to ``out/screenshots`` (and to ``$ALLEGIANCE_DOCS_SCREENSHOTS``
when set: ``ALLEGIANCE_DOCS_SCREENSHOTS=docs/web pytest tests/test_web_browser.py`` makes the
pictures of docs/web.md). The browser's console must have no errors.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from webapp import PASSWORD, live_server

from allegiance import load_scenario

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
SHOTS = Path(__file__).resolve().parents[1] / "out" / "screenshots"
WAIT = 90


@pytest.fixture
def browser(tmp_path):
    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager must never download a driver
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--window-size=1400,1000",
                 f"--user-data-dir={tmp_path / 'chromium-profile'}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def shot(driver, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    height = driver.execute_script("return document.body.scrollHeight")
    driver.set_window_size(1400, min(max(900, height + 40), 2600))
    driver.save_screenshot(str(path))
    driver.set_window_size(1400, 1000)
    docs = os.environ.get("ALLEGIANCE_DOCS_SCREENSHOTS")
    if docs:
        Path(docs).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(docs) / path.name)


def console_errors(driver) -> list[str]:
    return [entry["message"] for entry in driver.get_log("browser")
            if entry["level"] == "SEVERE"]


def test_analyst_edits_runs_compares_in_chromium(browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(browser, WAIT)
    errors: list[str] = []
    with live_server(tmp_path) as (base, web):
        browser.get(base + "/")
        wait.until(ec.presence_of_element_located((By.ID, "login-form")))
        assert "/login" in browser.current_url  # signed out: sent to the sign-in page
        shot(browser, "login")
        browser.find_element(By.ID, "username").send_keys("analyst")
        browser.find_element(By.ID, "password").send_keys(PASSWORD)
        browser.find_element(By.ID, "sign-in").click()
        wait.until(ec.presence_of_element_located((By.ID, "library")))
        shot(browser, "library")
        errors += console_errors(browser)

        browser.find_element(By.LINK_TEXT, "syria-2014").click()
        wait.until(ec.presence_of_element_located((By.ID, "run-form")))
        shot(browser, "scenario")
        browser.find_element(By.ID, "edit-link").click()
        wait.until(ec.presence_of_element_located((By.ID, "editor-form")))
        usa = load_scenario("syria-2014").actor_ids.index("usa")
        path = f"actors.{usa}.issues.assad-future.salience"
        cell = browser.find_element(By.CSS_SELECTOR, f'.est[data-path="{path}"]')
        box = cell.find_element(By.CSS_SELECTOR, "input.v")
        box.clear()
        box.send_keys("1.5")
        wait.until(lambda d: "outside the salience range" in cell.find_element(
            By.CSS_SELECTOR, ".cell-msg").text)
        assert "invalid" in cell.get_attribute("class")
        assert not browser.find_element(By.ID, "save-button").is_enabled()
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", cell)
        shot(browser, "editor-invalid")
        box.clear()
        box.send_keys("0.6")
        wait.until(lambda d: cell.find_element(By.CSS_SELECTOR, ".cell-msg").text == "")
        assert "invalid" not in cell.get_attribute("class")
        wait.until(lambda d: d.find_element(By.ID, "save-button").is_enabled())
        errors += console_errors(browser)
        browser.find_element(By.ID, "save-button").click()
        wait.until(ec.presence_of_element_located((By.ID, "saved-notice")))
        rows = browser.find_elements(By.CSS_SELECTOR, "#versions tbody tr")
        assert len(rows) == 2  # the built-in as first version, the edit as the second

        browser.find_element(By.ID, "diff-button").click()
        wait.until(ec.presence_of_element_located((By.ID, "diff")))
        diff_text = browser.find_element(By.ID, "diff").text
        assert "usa" in diff_text and "salience" in diff_text and "0.6" in diff_text
        shot(browser, "diff")
        browser.back()

        wait.until(ec.presence_of_element_located((By.ID, "run-form")))
        assert browser.find_element(By.ID, "run-model").get_attribute("value") == "bdm"
        browser.find_element(By.ID, "run-submit").click()
        wait.until(ec.presence_of_element_located((By.CSS_SELECTOR,
                                                   "#positions-by-round-plot .main-svg")))
        wait.until(ec.presence_of_element_located((By.CSS_SELECTOR,
                                                   "#coalition-verdicts-plot .main-svg")))
        verdicts = browser.find_element(By.ID, "verdict-table").text
        assert "regional" in verdicts and "local" in verdicts
        assert "In short" in browser.find_element(By.ID, "summary").text
        traces = browser.execute_script(
            "return document.getElementById('positions-by-round-plot').data.length")
        assert traces >= 10  # one line per actor on the issue
        shot(browser, "run-forecast")
        errors += console_errors(browser)

        browser.find_element(By.ID, "compare-previous").click()
        wait.until(ec.presence_of_element_located((By.ID, "compare-table")))
        wait.until(ec.presence_of_element_located((By.CSS_SELECTOR,
                                                   "#compare-outcomes-plot .main-svg")))
        table = browser.find_element(By.ID, "compare-table").text
        assert "Assad" in table
        shot(browser, "compare")
        errors += console_errors(browser)

        browser.get(base + "/runs")
        wait.until(ec.presence_of_element_located((By.ID, "runs")))
        assert len(browser.find_elements(By.CSS_SELECTOR, "#runs tbody tr")) == 3
        shot(browser, "runs")
        browser.find_element(By.ID, "sign-out").click()
        wait.until(ec.presence_of_element_located((By.ID, "login-form")))
        browser.get(base + "/runs")
        wait.until(ec.presence_of_element_located((By.ID, "login-form")))
        errors += console_errors(browser)
    assert errors == []


def test_every_kind_of_result_draws_its_charts(browser, tmp_path):
    """Monte Carlo, sensitivity, timeline and coalition results, started through the API, each
    draw their charts (with the export buttons) and log no console error."""
    import time

    import httpx
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait
    from webapp import bearer

    wait = WebDriverWait(browser, WAIT)
    kinds = {
        "montecarlo": ({"runs": 400}, ["outcome-intervals", "outcome-histogram"]),
        "sensitivity": ({"runs": 400}, ["tornado"]),
        "timeline": ({"runs": 0}, ["timeline"]),
        "coalitions": ({}, ["coalition-verdicts", "power-indices"]),
        "power": ({}, ["power-indices"]),
    }
    with live_server(tmp_path, jobs_per_user=10) as (base, _web):
        ids = {}
        for kind, (options, _) in kinds.items():
            reply = httpx.post(base + "/api/runs", headers=bearer("analyst"), json={
                "scenario": "syria-2014", "model": None if kind == "power" else "bdm",
                "kind": kind, "seed": 3,
                "options": options})
            assert reply.status_code == 201, reply.text
            ids[kind] = reply.json()["id"]
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            states = [httpx.get(f"{base}/api/runs/{i}", headers=bearer("viewer")).json()["status"]
                      for i in ids.values()]
            if all(s not in ("queued", "running") for s in states):
                break
            time.sleep(0.5)
        assert states == ["done"] * len(ids)
        browser.get(base + "/login")
        browser.find_element(By.ID, "username").send_keys("analyst")
        browser.find_element(By.ID, "password").send_keys(PASSWORD)
        browser.find_element(By.ID, "sign-in").click()
        wait.until(ec.presence_of_element_located((By.ID, "library")))
        errors = []
        for kind, (_, charts) in kinds.items():
            browser.get(f"{base}/runs/{ids[kind]}")
            for chart in charts:
                wait.until(ec.presence_of_element_located((By.CSS_SELECTOR,
                                                           f"#{chart}-plot .main-svg")))
                buttons = browser.find_elements(By.CSS_SELECTOR, f"#{chart} [data-export]")
                assert [b.text for b in buttons] == ["PNG", "SVG", "CSV"]
            shot(browser, f"run-{kind}")
            errors += console_errors(browser)
        # a long run: its progress bar and time left, then Cancel
        reply = httpx.post(base + "/api/runs", headers=bearer("analyst"), json={
            "scenario": "syria-2014", "model": "bdm", "kind": "montecarlo", "seed": 4,
            "options": {"runs": 100000, "chunk_size": 256}})
        browser.get(f"{base}/runs/{reply.json()['id']}")
        wait.until(lambda d: "left" in d.find_element(By.CLASS_NAME, "progress-text").text)
        shot(browser, "run-progress")
        browser.find_element(By.CSS_SELECTOR, ".progress button.cancel").click()
        wait.until(lambda d: d.find_element(By.ID, "run-status").text == "interrupted")
        errors += console_errors(browser)
        assert errors == []
