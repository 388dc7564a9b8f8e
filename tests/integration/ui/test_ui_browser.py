"""The dashboard in a real headless browser (Debian's chromium, driven by Selenium via chromedriver).

Nothing is downloaded: the system chromedriver is given explicitly, so Selenium Manager never runs.
Screenshots of each page land in tests/artifacts/ui-screenshots/ (git-ignored).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.integration.server.harness import RunningServer, cli_command, free_port, wait_until_up
from tests.integration.ui.conftest import prepare_ops_repo, write_ops_repo

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("browser")]

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "ui-screenshots"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1280,900",
)
PAGES = {
    "overview": "/ui/",
    "entities": "/ui/list/entities",
    "feature-views": "/ui/list/feature-views",
    "on-demand-feature-views": "/ui/list/on-demand-feature-views",
    "feature-services": "/ui/list/feature-services",
    "data-sources": "/ui/list/data-sources",
    "feature-view-detail": "/ui/list/feature-views/user_pii_features",
    "feature-service-detail": "/ui/list/feature-services/fraud_model_v2",
    "history": "/ui/history",
    "lineage": "/ui/lineage",
    "freshness": "/ui/freshness",
    "alerts": "/ui/alerts",
    "quality": "/ui/quality",
    "quality-view": "/ui/quality/user_pii_features",
    "quarantine": "/ui/quality/user_pii_features/quarantine",
    "audit": "/ui/audit",
    "lint": "/ui/lint",
    "readiness": "/ui/readiness",
    "backups": "/ui/backups",
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    saved = {key: os.environ.get(key) for key in ("FEATUREVAULT_PII_HASH_KEY", "FEATUREVAULT_TOKEN")}
    os.environ["FEATUREVAULT_PII_HASH_KEY"] = "ui-browser-hash-key-0123456789abcdef"
    os.environ.pop("FEATUREVAULT_TOKEN", None)
    repo = write_ops_repo(tmp_path_factory.mktemp("ui-browser") / "repo")
    made = prepare_ops_repo(repo)
    port = free_port()
    log_path = repo.parent / "ui.log"
    with log_path.open("w") as log:  # ``featurevault ui``: the dashboard's own command
        command = cli_command(repo, "ui", "--port", str(port))
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=os.environ.copy())
    running = RunningServer(f"http://127.0.0.1:{port}", process, log_path)  # type: ignore[arg-type]
    try:
        wait_until_up(running)
        yield running.url, made
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    assert shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER), "apt-get install chromium chromium-driver"
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)  # the machine may be busy
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    yield driver
    driver.quit()


def _log_in(browser: Any, url: str, token: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.expected_conditions import staleness_of
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(f"{url}/ui/login")
    browser.find_element(By.ID, "token").send_keys(token)
    old = browser.find_element(By.ID, "login-form")
    browser.find_element(By.ID, "login-submit").click()
    WebDriverWait(browser, 10).until(staleness_of(old))  # the answer to the POST has replaced the form


def _shoot(browser: Any, name: str) -> None:
    """A screenshot of the whole page once its charts are drawn (the window grown to the page's height)."""
    from selenium.webdriver.support.ui import WebDriverWait

    pending = "return [...document.querySelectorAll('[data-chart]')].filter((n) => !n.dataset.rendered).length"
    WebDriverWait(browser, 10).until(lambda b: b.execute_script(pending) == 0)
    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(1280, min(max(int(height) + 120, 900), 4000))
    browser.save_screenshot(str(SCREENSHOTS / f"{name}.png"))
    browser.set_window_size(1280, 900)


def _errors(browser: Any) -> list[dict[str, Any]]:
    """Console errors since the last call: failed requests and CSP violations are logged as SEVERE."""
    # Chrome asks for /favicon.ico itself after a top-level answer that is not a page (a JSON 403):
    # that request is the browser's, not the dashboard's, and the server has no icon
    return [
        entry
        for entry in browser.get_log("browser")
        if entry["level"] == "SEVERE" and "/favicon.ico - " not in entry["message"]
    ]


def test_a_wrong_token_is_refused(browser: Any, server: tuple[str, dict[str, str]]) -> None:
    from selenium.webdriver.common.by import By

    url, _ = server
    browser.delete_all_cookies()
    _log_in(browser, url, "fv1.nobody.wrong")
    assert "refused" in browser.find_element(By.ID, "login-error").text
    browser.get(f"{url}/ui/")
    assert browser.current_url.endswith("/ui/login")  # still not logged in
    _shoot(browser, "login-refused")
    _errors(browser)  # the refused POST (401) is expected here; clear it


def test_every_page_loads_cleanly_and_its_links_resolve(browser: Any, server: tuple[str, dict[str, str]]) -> None:
    from selenium.webdriver.common.by import By

    url, tokens = server
    _log_in(browser, url, tokens["platform-admin"])
    assert browser.current_url == f"{url}/ui/"
    cookie = {"featurevault_ui_token": browser.get_cookie("featurevault_ui_token")["value"]}
    links: set[str] = set()
    for name, path in PAGES.items():
        browser.get(url + path)
        assert browser.find_element(By.TAG_NAME, "h1").text, f"{path}: no heading"
        _shoot(browser, name)
        assert _errors(browser) == [], f"{path}: console errors"
        links |= {a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, "a[href]")}
    assert len(links) > 10
    for link in sorted(links):
        assert link.startswith(url), link  # nothing leaves the server (no CDN)
        assert httpx.get(link, cookies=cookie).status_code == 200, link


def test_search_filters_the_list(browser: Any, server: tuple[str, dict[str, str]]) -> None:
    from selenium.webdriver.common.by import By

    url, tokens = server
    _log_in(browser, url, tokens["platform-admin"])
    browser.get(f"{url}/ui/list/feature-views")

    def shown() -> list[str]:
        rows = browser.find_elements(By.CSS_SELECTOR, "#objects tbody tr")
        return [row.find_element(By.TAG_NAME, "a").text for row in rows if row.is_displayed()]

    assert shown() == ["user_activity", "user_pii_features", "user_public_features"]
    browser.find_element(By.ID, "filter").send_keys("public")
    assert shown() == ["user_public_features"]
    _shoot(browser, "feature-views-filtered")
    assert _errors(browser) == []


def test_the_overview_chart_renders(browser: Any, server: tuple[str, dict[str, str]]) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    url, tokens = server
    _log_in(browser, url, tokens["platform-admin"])
    canvas = browser.find_element(By.ID, "features-chart")
    WebDriverWait(browser, 5).until(lambda _: canvas.get_attribute("data-rendered") == "3")
    painted = browser.execute_script(
        "const c = arguments[0]; const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
        "let n = 0; for (let i = 3; i < d.length; i += 4) { if (d[i] > 0) n++; } return n;",
        canvas,
    )
    assert painted > 1000, f"only {painted} painted pixels"
    assert _errors(browser) == []


def test_the_analyst_sees_only_what_they_may_describe(browser: Any, server: tuple[str, dict[str, str]]) -> None:
    from selenium.webdriver.common.by import By

    url, tokens = server
    browser.delete_all_cookies()
    _log_in(browser, url, tokens["analyst"])
    assert browser.find_element(By.ID, "count-feature-views").text == "1"
    browser.get(f"{url}/ui/list/feature-views")
    assert "user_pii_features" not in browser.page_source
    _shoot(browser, "feature-views-analyst")


def _painted(browser: Any, selector: str) -> int:
    """How many marks a chart drew (its ``data-rendered``), once it has drawn."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    node = browser.find_element(By.CSS_SELECTOR, selector)
    WebDriverWait(browser, 10).until(lambda _: node.get_attribute("data-rendered") is not None)
    return int(node.get_attribute("data-rendered"))


def test_the_charts_of_the_operational_pages_render(browser: Any, server: tuple[str, dict[str, str]]) -> None:
    url, tokens = server
    browser.delete_all_cookies()
    _log_in(browser, url, tokens["platform-admin"])
    browser.get(f"{url}/ui/freshness")
    assert _painted(browser, "#freshness-chart") == 2  # the view declaring an interval, and the scheduled one
    browser.get(f"{url}/ui/list/feature-views/user_pii_features")
    assert _painted(browser, "#spark-freshness") == 1 and _painted(browser, "#spark-quality") == 1
    _shoot(browser, "feature-view-sparklines")
    browser.get(f"{url}/ui/quality/user_pii_features")
    assert _painted(browser, "#failures-chart") == 1
    assert _painted(browser, "#drift-psi") == 1 and _painted(browser, "#drift-ks") == 1
    assert _painted(browser, "#hist-amount") > 2  # baseline and current bins
    _shoot(browser, "quality-view-charts")
    assert _errors(browser) == []


def test_auto_refresh_reloads_the_page_in_place(browser: Any, server: tuple[str, dict[str, str]]) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    url, tokens = server
    browser.delete_all_cookies()
    _log_in(browser, url, tokens["platform-admin"])
    browser.get(f"{url}/ui/alerts?refresh=2")
    body = browser.find_element(By.TAG_NAME, "body")
    WebDriverWait(browser, 15).until(lambda _: int(body.get_attribute("data-refreshes") or 0) >= 1)
    assert "activity_stale" in browser.find_element(By.ID, "alerts-firing").text
    assert _errors(browser) == []


def test_the_audit_page_needs_its_grant(browser: Any, server: tuple[str, dict[str, str]]) -> None:
    from selenium.webdriver.common.by import By

    url, tokens = server
    browser.delete_all_cookies()
    _log_in(browser, url, tokens["auditor"])
    _errors(browser)  # the login lands on the overview, which the auditor may not describe (403)
    browser.get(f"{url}/ui/audit?action=DESCRIBE")
    assert "Chain verified" in browser.find_element(By.ID, "verify").text
    rows = browser.find_elements(By.CSS_SELECTOR, "#audit tbody tr")
    assert rows and all(row.find_elements(By.TAG_NAME, "td")[3].text == "DESCRIBE" for row in rows)
    _shoot(browser, "audit-filtered")
    # the overview's 403 after the login may reach the log late; nothing else may fail
    assert [e for e in _errors(browser) if f"{url}/ui/ - " not in e["message"]] == []
    browser.delete_all_cookies()
    _log_in(browser, url, tokens["analyst"])
    browser.get(f"{url}/ui/audit")
    assert "READ_AUDIT" in browser.page_source  # the 403 names the missing grant
    _errors(browser)  # the refused page load (403) is expected here; clear it
