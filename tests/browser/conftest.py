"""Playwright (headless Chromium) against pytest-django's live_server.

Browser tests skip only when /usr/bin/chromium is missing (`.ci/browser.sh`
installs it). The Playwright sync API runs an event loop in this thread, so
Django's async-safety check is switched off for these tests.

`page` is an English browser (Accept-Language: en-US); `page_es` a Chilean
Spanish one (es-CL), as LocaleMiddleware sees them.
"""

import os
from pathlib import Path

import pytest

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "pw-browser-admin-1"


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: drives the panel in a real headless Chromium (Playwright)")


def pytest_collection_modifyitems(config, items):
    if CHROMIUM.exists():
        return
    skip = pytest.mark.skip(reason=f"{CHROMIUM} is not installed (run .ci/browser.sh)")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


# Deadlines, not delays: a passing check returns at once, and a shared 2-core machine running
# two suites can take seconds to render a swap (Playwright's expect() waits 5 s by default).
TIMEOUT_MS = 20_000


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture(scope="session", autouse=True)
def compiled_messages():
    from tests.browser.i18n_support import ensure_messages_compiled

    ensure_messages_compiled()


def new_page(browser, live_server, *, locale: str, accept_language: str, bypass_csp: bool = True):
    # The accessibility tests inject axe-core as an inline script, which the panel's CSP
    # refuses; test_csp.py drives the panel with the CSP in force.
    context = browser.new_context(
        bypass_csp=bypass_csp,
        base_url=live_server.url,
        viewport={"width": 1280, "height": 860},
        locale=locale,
        # The panel shows dates in the browser's zone (test_time_zone.py): UTC whatever the machine's.
        timezone_id="UTC",
        extra_http_headers={"Accept-Language": accept_language},
    )
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    return page


@pytest.fixture
def page(browser, live_server):
    page = new_page(browser, live_server, locale="en-US", accept_language="en-US,en;q=0.9")
    yield page
    page.context.close()


@pytest.fixture
def page_es(browser, live_server):
    page = new_page(browser, live_server, locale="es-CL", accept_language="es-CL,es;q=0.9")
    yield page
    page.context.close()


@pytest.fixture
def staff(transactional_db, company_a):
    from events.models import User

    return User.objects.create_user("staff@example.com", PASSWORD, company=company_a, is_staff=True)


def log_in(page, user) -> None:
    page.goto("/login/")
    page.fill("#id_username", user.email)
    page.fill("#id_password", PASSWORD)
    page.click("form[action='/login/'] button[type=submit]")
    page.wait_for_url("**/webhooks/")


@pytest.fixture
def panel(page, staff):
    """A page signed in as a staff member of company A, on the Webhooks list."""
    log_in(page, staff)
    return page
