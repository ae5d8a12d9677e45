"""The web app in a real browser (Chromium from the system's packages, driven by Selenium with
the system's ChromeDriver; nothing is downloaded): sign in, open syria-2014, change a salience
(an invalid value shows its error on the cell, then fix it), save a version, add an actor in the
grid (its missing name shows on its cell) and save, remove it and save, run BDM, see the
positions chart and the coalition verdicts, compare with the previous version (outcomes,
trajectories and their difference), sign out. Every step waits explicitly, finding its element
again on each try (:class:`Page`), so a node the page's script replaces is never used stale.

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


class Page:
    """Explicit waits that find their element again on every try, so a page that replaces a
    node (a script redrawing, a navigation) between finding it and using it is waited out
    instead of failing with a stale element."""

    def __init__(self, driver, timeout: float = WAIT):
        from selenium.common.exceptions import (
            ElementClickInterceptedException,
            ElementNotInteractableException,
            NoSuchElementException,
            StaleElementReferenceException,
        )
        from selenium.webdriver.support.ui import WebDriverWait

        self.driver = driver
        self.wait = WebDriverWait(driver, timeout, poll_frequency=0.1, ignored_exceptions=(
            NoSuchElementException, StaleElementReferenceException,
            ElementClickInterceptedException, ElementNotInteractableException))

    def until(self, condition, message: str = ""):
        return self.wait.until(lambda d: condition(d), message)

    def present(self, by: str, value: str):
        from selenium.webdriver.support import expected_conditions as ec

        return self.wait.until(ec.presence_of_element_located((by, value)), f"{value} absent")

    def click(self, by: str, value: str) -> None:
        """Click the element once it is there and clickable, found again on each try."""
        def clicked(d):
            node = d.find_element(by, value)
            if not (node.is_displayed() and node.is_enabled()):
                return False
            node.click()
            return True
        self.wait.until(clicked, f"could not click {value}")

    def type(self, by: str, value: str, text: str) -> None:
        """Replace the text of a box, found again on each try, and wait until it holds it."""
        def typed(d):
            node = d.find_element(by, value)
            node.clear()
            node.send_keys(text)
            return d.find_element(by, value).get_attribute("value") == text
        self.wait.until(typed, f"could not type into {value}")

    def text(self, by: str, value: str) -> str:
        """The element's text, read in the same try that found it."""
        seen: list[str] = []

        def read(d):
            seen[:] = [d.find_element(by, value).text]
            return True
        self.wait.until(read, f"{value} absent")
        return seen[0]

    def text_is(self, by: str, value: str, predicate, message: str = "") -> None:
        self.wait.until(lambda d: predicate(d.find_element(by, value).text),
                        message or f"text of {value}")

    def has_class(self, by: str, value: str, name: str, wanted: bool = True) -> None:
        self.wait.until(lambda d: (name in (d.find_element(by, value).get_attribute("class")
                                            or "").split()) == wanted,
                        f"{value} {'has' if wanted else 'lacks'} class {name}")

    def enabled(self, by: str, value: str, wanted: bool = True) -> None:
        self.wait.until(lambda d: d.find_element(by, value).is_enabled() == wanted,
                        f"{value} {'enabled' if wanted else 'disabled'}")

    def count(self, by: str, value: str, n: int) -> None:
        self.wait.until(lambda d: len(d.find_elements(by, value)) == n,
                        f"{n} of {value}")

    def sign_in(self, base: str) -> None:
        from selenium.webdriver.common.by import By

        self.driver.get(base + "/login")
        self.present(By.ID, "login-form")
        self.type(By.ID, "username", "analyst")
        self.type(By.ID, "password", PASSWORD)
        self.click(By.ID, "sign-in")
        self.present(By.ID, "library")


def cell_msg(path: str) -> str:
    return f'[data-path="{path}"] .cell-msg'


def test_analyst_edits_runs_compares_in_chromium(browser, tmp_path):
    from selenium.webdriver.common.by import By

    page = Page(browser)
    css = By.CSS_SELECTOR
    errors: list[str] = []
    syria = load_scenario("syria-2014")
    with live_server(tmp_path) as (base, web):
        browser.get(base + "/")
        page.present(By.ID, "login-form")
        assert "/login" in browser.current_url  # signed out: sent to the sign-in page
        shot(browser, "login")
        page.type(By.ID, "username", "analyst")
        page.type(By.ID, "password", PASSWORD)
        page.click(By.ID, "sign-in")
        page.present(By.ID, "library")
        shot(browser, "library")
        errors += console_errors(browser)

        page.click(By.LINK_TEXT, "syria-2014")
        page.present(By.ID, "run-form")
        shot(browser, "scenario")
        page.click(By.ID, "edit-link")
        page.present(By.ID, "editor-form")
        usa = syria.actor_ids.index("usa")
        path = f"actors.{usa}.issues.assad-future.salience"
        cell = f'.est[data-path="{path}"]'
        page.type(css, f"{cell} input.v", "1.5")
        page.text_is(css, f"{cell} .cell-msg", lambda t: "outside the salience range" in t)
        page.has_class(css, cell, "invalid")
        page.enabled(By.ID, "save-button", False)
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'})",
                               page.present(css, cell))
        shot(browser, "editor-invalid")
        page.type(css, f"{cell} input.v", "0.6")
        page.text_is(css, f"{cell} .cell-msg", lambda t: t == "")
        page.has_class(css, cell, "invalid", False)
        page.enabled(By.ID, "save-button")
        errors += console_errors(browser)
        page.click(By.ID, "save-button")
        page.present(By.ID, "saved-notice")
        page.count(css, "#versions tbody tr", 2)  # the built-in first, the edit second

        page.click(By.ID, "diff-button")
        diff_text = page.text(By.ID, "diff")
        assert "usa" in diff_text and "salience" in diff_text and "0.6" in diff_text
        shot(browser, "diff")
        browser.back()

        # add an actor in the grid: its missing name shows on its cell, then it is saved
        page.present(By.ID, "run-form")
        page.click(By.ID, "edit-link")
        page.present(By.ID, "editor-form")
        a = len(syria.actors)
        page.click(By.ID, "add-actor")
        row = f'tr[data-path="actors.{a}"]'
        page.present(css, row)
        page.count(css, f"{row} td[data-issue]", len(syria.issues))
        page.type(css, f'{row} input[name="f:actors.{a}.id"]', "egypt")
        page.type(css, f'{row} [data-path="actors.{a}.capability"] input.v', "9")
        page.text_is(css, cell_msg(f"actors.{a}.name"),
                     lambda t: t == "the new actor needs a name")
        page.has_class(css, f'[data-path="actors.{a}.name"]', "invalid")
        page.enabled(By.ID, "save-button", False)
        page.type(css, f'{row} input[name="f:actors.{a}.name"]', "Egypt")
        on = f'{row} [data-path="actors.{a}.issues.assad-future'
        page.type(css, f'{on}.position"] input.v', "35")
        page.type(css, f'{on}.salience"] input.v', "0.4")
        page.text_is(css, cell_msg(f"actors.{a}.name"), lambda t: t == "")
        page.enabled(By.ID, "save-button")
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'})",
                               page.present(css, row))
        shot(browser, "editor-add-actor")
        errors += console_errors(browser)
        page.click(By.ID, "save-button")
        page.present(By.ID, "saved-notice")
        page.count(css, "#versions tbody tr", 3)
        stored = web.store.scenario_versions("syria-2014")[0]
        assert "id: egypt" in stored.document and "name: Egypt" in stored.document

        # ... and removed again
        page.click(By.ID, "edit-link")
        page.present(By.ID, "editor-form")
        page.click(css, f'button[data-remove="actors.{a}"]')
        page.has_class(css, row, "removed")
        page.text_is(css, f'button[data-remove="actors.{a}"]', lambda t: t == "Keep")
        page.enabled(By.ID, "save-button")
        shot(browser, "editor-remove-actor")
        page.click(By.ID, "save-button")
        page.present(By.ID, "saved-notice")
        # without the actor the document is the one before it was added, so it is that version
        # again (one content, one hash): still three versions, the second one shown
        page.count(css, "#versions tbody tr", 3)
        newest, before, _ = web.store.scenario_versions("syria-2014")
        assert "egypt" in newest.document and "egypt" not in before.document
        assert before.content_hash[7:19] in page.text(css, "#versions tbody tr:nth-child(2)")
        page.text_is(css, "#versions tbody tr:nth-child(2)", lambda t: "(shown)" in t)

        page.present(By.ID, "run-form")
        assert page.present(By.ID, "run-model").get_attribute("value") == "bdm"
        page.click(By.ID, "run-submit")
        page.present(css, "#positions-by-round-plot .main-svg")
        page.present(css, "#coalition-verdicts-plot .main-svg")
        verdicts = page.text(By.ID, "verdict-table")
        assert "regional" in verdicts and "local" in verdicts
        page.text_is(By.ID, "summary", lambda t: "In short" in t)
        traces = page.until(lambda d: d.execute_script(
            "var p = document.getElementById('positions-by-round-plot');"
            "return p && p.data ? p.data.length : 0"))
        assert traces >= 10  # one line per actor on the issue
        shot(browser, "run-forecast")
        errors += console_errors(browser)

        page.click(By.ID, "compare-previous")
        page.present(By.ID, "compare-table")
        for chart in ("compare-outcomes", "compare-trajectories", "compare-difference"):
            page.present(css, f"#{chart}-plot .main-svg")
        table = page.text(By.ID, "compare-table")
        assert "Assad" in table and "B − A" in table
        assert page.present(By.ID, "compare-csv").get_attribute("href").startswith(
            base + "/compare/export.csv?")
        shot(browser, "compare")
        errors += console_errors(browser)

        browser.get(base + "/runs")
        page.present(By.ID, "runs")
        page.count(css, "#runs tbody tr", 3)
        shot(browser, "runs")
        page.click(By.ID, "sign-out")
        page.present(By.ID, "login-form")
        browser.get(base + "/runs")
        page.present(By.ID, "login-form")
        errors += console_errors(browser)
    assert errors == []


def test_every_kind_of_result_draws_its_charts(browser, tmp_path):
    """Monte Carlo, sensitivity, timeline and coalition results, started through the API, each
    draw their charts (with the export buttons) and log no console error."""
    import time

    import httpx
    from selenium.webdriver.common.by import By
    from webapp import bearer

    page = Page(browser)
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
        page.sign_in(base)
        errors = []
        for kind, (_, charts) in kinds.items():
            browser.get(f"{base}/runs/{ids[kind]}")
            for chart in charts:
                page.present(By.CSS_SELECTOR, f"#{chart}-plot .main-svg")
                assert page.until(lambda d, chart=chart: [
                    b.text for b in d.find_elements(By.CSS_SELECTOR, f"#{chart} [data-export]")
                ]) == ["PNG", "SVG", "CSV"]
            shot(browser, f"run-{kind}")
            errors += console_errors(browser)
        # a long run: its progress bar and time left, then Cancel
        reply = httpx.post(base + "/api/runs", headers=bearer("analyst"), json={
            "scenario": "syria-2014", "model": "bdm", "kind": "montecarlo", "seed": 4,
            "options": {"runs": 100000, "chunk_size": 256}})
        browser.get(f"{base}/runs/{reply.json()['id']}")
        page.text_is(By.CLASS_NAME, "progress-text", lambda t: "left" in t)
        shot(browser, "run-progress")
        page.click(By.CSS_SELECTOR, ".progress button.cancel")
        page.text_is(By.ID, "run-status", lambda t: t == "interrupted")
        errors += console_errors(browser)
        assert errors == []
