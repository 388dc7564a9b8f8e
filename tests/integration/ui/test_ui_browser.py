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
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.integration.security.governed_repo import ADMIN, NOW
from tests.integration.server.harness import RunningServer, cli_command, free_port, wait_until_up
from tests.integration.ui.conftest import ROLES, write_ui_repo

from featurevault import FeatureStore
from featurevault.governance.auth import TokenStore
from featurevault.ops.apply import apply_contents
from featurevault.ops.repo import load_repo

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
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    saved = {key: os.environ.get(key) for key in ("FEATUREVAULT_PII_HASH_KEY", "FEATUREVAULT_TOKEN")}
    os.environ["FEATUREVAULT_PII_HASH_KEY"] = "ui-browser-hash-key-0123456789abcdef"
    os.environ.pop("FEATUREVAULT_TOKEN", None)
    repo = write_ui_repo(tmp_path_factory.mktemp("ui-browser") / "repo")
    admin = FeatureStore(repo_path=repo, principal=ADMIN)
    apply_contents(admin, load_repo(repo))
    admin.materialize(NOW - timedelta(days=1), NOW)
    tokens = TokenStore(admin.registry.registry, admin.project)
    made = {role: tokens.create(f"tok-{role}", roles=[role]) for role in ROLES}
    admin.close()
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


def _errors(browser: Any) -> list[dict[str, Any]]:
    """Console errors since the last call: failed requests and CSP violations are logged as SEVERE."""
    return [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]


def test_a_wrong_token_is_refused(browser: Any, server: tuple[str, dict[str, str]]) -> None:
    from selenium.webdriver.common.by import By

    url, _ = server
    browser.delete_all_cookies()
    _log_in(browser, url, "fv1.nobody.wrong")
    assert "refused" in browser.find_element(By.ID, "login-error").text
    browser.get(f"{url}/ui/")
    assert browser.current_url.endswith("/ui/login")  # still not logged in
    browser.save_screenshot(str(SCREENSHOTS / "login-refused.png"))
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
        browser.save_screenshot(str(SCREENSHOTS / f"{name}.png"))
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

    assert shown() == ["user_pii_features", "user_public_features"]
    browser.find_element(By.ID, "filter").send_keys("public")
    assert shown() == ["user_public_features"]
    browser.save_screenshot(str(SCREENSHOTS / "feature-views-filtered.png"))
    assert _errors(browser) == []


def test_the_overview_chart_renders(browser: Any, server: tuple[str, dict[str, str]]) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    url, tokens = server
    _log_in(browser, url, tokens["platform-admin"])
    canvas = browser.find_element(By.ID, "features-chart")
    WebDriverWait(browser, 5).until(lambda _: canvas.get_attribute("data-rendered") == "2")
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
    browser.save_screenshot(str(SCREENSHOTS / "feature-views-analyst.png"))
