"""The status page in headless Chromium: sign in, read the last run, trigger a run, see it.

Drives Debian's chromium through its chromedriver with Selenium, against the app served by
Werkzeug on loopback, a stub-broker worker and the Stays sandbox. Screenshots in both
languages go to artifacts/ at the repository root.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from admin_factories import (
    SECRET,
    make_listing,
    make_pin_job,
    make_reservation,
    make_run,
    now,
)
from werkzeug.serving import make_server

from app.tokens import mint_token

REPOSITORY = Path(__file__).resolve().parents[2]
ARTIFACTS = REPOSITORY / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
INSTALL_HINT = (
    "Install Debian's browser and driver with `apt-get update && apt-get install -y "
    "chromium chromium-driver`, and Selenium with `pip install 'selenium>=4.20,<5'`."
)
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1280,900",
)
WAIT_SECONDS = 20
RUN_WAIT_SECONDS = 90

SCRIPT_NAME = '<script>window.__xss = "guest"</script>Ana <b>Lima</b>'
IMAGE_MESSAGE = '<img src="x" onerror="window.__xss = \'message\'"> 2 reservations failed'
SCRIPT_MESSAGE = "<script>window.__xss = 'last run'</script>Run finished"


@pytest.fixture
def browser():
    """A headless Chromium with a fresh profile; missing software fails the test."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.fail(f"Selenium is not installed. {INSTALL_HINT}")
    for path in (CHROMIUM, CHROMEDRIVER):
        if not Path(path).exists():
            pytest.fail(f"{path} is missing. {INSTALL_HINT}")

    profile = tempfile.mkdtemp(prefix="status-page-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(WAIT_SECONDS)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def live_server(app):
    """Serve the app on a free loopback port in a thread; yield its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture
def history():
    """Two finished runs whose messages carry markup, and a PIN job of a guest whose name
    carries a script; returns the last run."""
    make_run(
        started_at=now() - timedelta(hours=2),
        status="failed",
        duration=2_500,
        errors=2,
        message=IMAGE_MESSAGE,
    )
    last = make_run(
        started_at=now() - timedelta(minutes=40),
        duration=8_250,
        fetched=1234,
        created=56,
        updated=78,
        unchanged=1090,
        orphaned=4,
        deleted=6,
        errors=0,
        message=SCRIPT_MESSAGE,
    )
    make_listing("L-xss", "<b>Casa</b> & Praia")
    make_reservation("res-xss", short_id="XS001", stays_listing_id="L-xss", guest_name=SCRIPT_NAME)
    make_pin_job("res-xss", "generate", now() + timedelta(hours=3))
    return last


def wait_until(driver, condition, seconds=WAIT_SECONDS, message=""):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, seconds, poll_frequency=0.2).until(condition, message)


def text_of(driver, css: str) -> str:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.CSS_SELECTOR, css).text


def save_screenshot(driver, name: str) -> Path:
    """Save a PNG of the whole page, beyond the viewport, under artifacts/."""
    ARTIFACTS.mkdir(exist_ok=True)
    content = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {
            "width": 1280,
            "height": int(content["height"]) + 24,
            "deviceScaleFactor": 1,
            "mobile": False,
        },
    )
    path = ARTIFACTS / name
    try:
        assert driver.save_screenshot(str(path)), path
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    return path


def sign_in(driver, base_url: str, token: str) -> None:
    from selenium.webdriver.common.by import By

    driver.get(f"{base_url}/admin?lang=pt-BR")
    form = driver.find_element(By.ID, "token-form")
    assert form.is_displayed()
    assert not driver.find_element(By.ID, "dashboard").is_displayed()
    driver.find_element(By.ID, "token-input").send_keys(token)
    form.submit()
    wait_until(
        driver,
        lambda d: d.find_element(By.ID, "dashboard").is_displayed(),
        message="the dashboard did not appear after signing in",
    )


def test_status_page_in_chromium(browser, live_server, history, sandbox, stub_worker):
    from selenium.webdriver.common.by import By

    token = mint_token("ops@example.com", "admin", timedelta(hours=1), SECRET)
    sign_in(browser, live_server, token)

    # The last run's numbers, formatted for pt-BR.
    wait_until(browser, lambda d: text_of(d, "#last-run-id") == f"#{history.id}")
    stats = {
        element.get_attribute("data-stat"): element.text
        for element in browser.find_elements(By.CSS_SELECTOR, "#last-run-stats dd")
    }
    assert stats == {
        "fetched": "1.234",
        "created": "56",
        "updated": "78",
        "unchanged": "1.090",
        "orphaned": "4",
        "deleted": "6",
        "errors": "0",
    }
    assert text_of(browser, "#last-run-status") == "sucesso"
    assert text_of(browser, "#last-run-duration") == "8,3 s"
    assert text_of(browser, "#pin-due") == "1"

    # Markup from Stays and from log messages shows as text and runs nothing.
    assert text_of(browser, "#last-run-message") == SCRIPT_MESSAGE
    guest = browser.find_element(By.CSS_SELECTOR, 'tr[data-pin-job="gen-res-xss"] td.guest')
    assert guest.get_attribute("textContent") == SCRIPT_NAME
    messages = [
        cell.get_attribute("textContent")
        for cell in browser.find_elements(By.CSS_SELECTOR, "#runs-table td.message")
    ]
    assert IMAGE_MESSAGE in messages
    assert "<b>Casa</b> & Praia" in text_of(browser, 'tr[data-pin-job="gen-res-xss"]')
    assert browser.execute_script("return window.__xss === undefined")
    assert browser.find_elements(By.CSS_SELECTOR, 'img[src="x"], main script, main b') == []
    assert len(browser.find_elements(By.TAG_NAME, "script")) == 2

    # The token lives in this tab's sessionStorage only.
    assert browser.execute_script("return sessionStorage.length") == 1
    assert token in browser.execute_script("return Object.values(sessionStorage)")
    assert browser.execute_script("return localStorage.length") == 0
    assert browser.execute_script("return document.cookie") == ""

    # Trigger a run: the worker reconciles the sandbox and the new run appears in the table.
    browser.find_element(By.ID, "run-now").click()
    new_row = 'tr.new-run[data-trigger-key^="manual:"]'
    wait_until(
        browser,
        lambda d: d.find_elements(By.CSS_SELECTOR, new_row),
        RUN_WAIT_SECONDS,
        "the triggered run did not appear in the table",
    )
    new_run_id = browser.find_element(By.CSS_SELECTOR, new_row).get_attribute("data-run-id")
    assert int(new_run_id) > history.id
    assert text_of(browser, "#run-feedback") == f"A execução {new_run_id} solicitada começou."
    wait_until(
        browser,
        lambda d: (
            text_of(d, "#last-run-id") == f"#{new_run_id}"
            and text_of(d, "#last-run-status") in ("sucesso", "falhou")
        ),
        RUN_WAIT_SECONDS,
        "the triggered run did not finish",
    )
    fetched = text_of(browser, '#last-run-stats dd[data-stat="fetched"]')
    assert int(fetched.replace(".", "")) > 0
    save_screenshot(browser, "status-page-pt-BR.png")

    # The same tab in English keeps the token.
    browser.get(f"{live_server}/admin?lang=en")
    wait_until(browser, lambda d: d.find_element(By.ID, "dashboard").is_displayed())
    wait_until(browser, lambda d: text_of(d, "#last-run-id") == f"#{new_run_id}")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Stays reconciliation"
    assert text_of(browser, "#run-now") == "Run now"
    save_screenshot(browser, "status-page-en.png")


def test_status_page_rejects_a_bad_token(browser, live_server):
    from selenium.webdriver.common.by import By

    browser.get(f"{live_server}/admin?lang=en")
    browser.find_element(By.ID, "token-input").send_keys("not-a-token")
    browser.find_element(By.ID, "token-form").submit()

    wait_until(browser, lambda d: d.find_element(By.ID, "notice").is_displayed())
    assert text_of(browser, "#notice").startswith("Token rejected:")
    assert browser.find_element(By.ID, "token-form").is_displayed()
    assert browser.execute_script("return sessionStorage.length") == 0


def test_status_page_rejects_a_token_without_admin_role(browser, live_server):
    from selenium.webdriver.common.by import By

    token = mint_token("guest", "viewer", timedelta(hours=1), SECRET)
    browser.get(f"{live_server}/admin?lang=pt-BR")
    browser.find_element(By.ID, "token-input").send_keys(token)
    browser.find_element(By.ID, "token-form").submit()

    wait_until(browser, lambda d: d.find_element(By.ID, "notice").is_displayed())
    assert text_of(browser, "#notice") == "Este token não tem o papel de administrador."
    assert not browser.find_element(By.ID, "dashboard").is_displayed()
    assert browser.execute_script("return sessionStorage.length") == 0
