"""Playwright harness: one headless Chromium per test session, a fresh context per test, the
Django app on pytest-django's live server, jobs run in-process (no cluster).

Chromium is Debian's (`/usr/bin/chromium`, override with CHROMIUM_PATH); `playwright install`
is never needed. Screenshots of each main page land in artifacts/screenshots/ (git-ignored).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; Django would otherwise refuse ORM
# calls made from the test body ("async unsafe").
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items):
    for item in items:
        if Path(str(item.fspath)).resolve().is_relative_to(HERE):
            item.add_marker(pytest.mark.browser)
    # Playwright's sync API keeps an event loop running in the main thread from the first
    # browser test to the end of the session; code that bridges async and sync (async views
    # through the test client, asyncio.run) refuses to run under it. Browser tests go last.
    items.sort(key=lambda item: Path(str(item.fspath)).resolve().is_relative_to(HERE))


def off_loop(fn, *args, **kwargs):
    """Call `fn` on a worker thread: the main thread carries Playwright's event loop, under
    which Django will not run an async view (e.g. job create) through the sync test client."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(fn, *args, **kwargs).result()


@pytest.fixture(scope="session")
def browser():
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install -y chromium)")
    pytest.importorskip("playwright", reason="install the dev extra: pip install -e .[dev]")
    from playwright.sync_api import expect, sync_playwright

    # Shared CPUs in CI: give polling pages (1 s interval + reload) room before failing.
    expect.set_options(timeout=10_000)

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 900}, accept_downloads=True
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    # Console errors include Content-Security-Policy refusals; failed loads are the 404/403
    # pages some tests open on purpose.
    page.on(
        "console",
        lambda msg: (
            msg.type == "error"
            and not msg.text.startswith("Failed to load resource")
            and errors.append(msg.text)
        ),
    )
    yield page
    context.close()
    assert not errors, f"JavaScript or CSP errors on the page: {errors}"


@pytest.fixture
def shot():
    """shot(page, "name"): a full-page screenshot for humans to review."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def login(live_server):
    """login(page, user): put a signed-in session cookie in the page's context."""
    from django.conf import settings as dj_settings
    from django.test import Client

    def do(page, user):
        client = Client()
        client.force_login(user)
        page.context.add_cookies(
            [
                {
                    "name": dj_settings.SESSION_COOKIE_NAME,
                    "value": client.cookies[dj_settings.SESSION_COOKIE_NAME].value,
                    "url": live_server.url,
                }
            ]
        )

    return do


@pytest.fixture
def run_jobs():
    """Run every queued job in this process, the way a GPU worker would; returns how many."""
    from generation.worker import runner

    def drain() -> int:
        done = 0
        while runner.process_one("browser-test") is not None:
            done += 1
        return done

    return drain


UNLABELLED_FIELDS = """() => Array.from(
  document.querySelectorAll("input:not([type=hidden]), select, textarea, button")
).filter(el => {
  if (el.tagName === "BUTTON") return !el.textContent.trim() && !el.getAttribute("aria-label");
  return !(el.labels && el.labels.length) && !el.getAttribute("aria-label")
    && !el.getAttribute("aria-labelledby");
}).map(el => el.outerHTML.slice(0, 120))"""


@pytest.fixture
def assert_labelled():
    """Every form control on the page has an accessible name (label, aria-label or text)."""

    def check(page):
        missing = page.evaluate(UNLABELLED_FIELDS)
        assert not missing, f"{page.url}: controls without a label: {missing}"

    return check


@pytest.fixture
def new_page(browser, live_server):
    """new_page(locale="zh-CN", width=390): another page in its own context (own cookies,
    Accept-Language from `locale`), with the same JavaScript/CSP error check as `page`."""
    contexts, errors = [], []

    def make(*, locale: str = "en-US", width: int = 1280, height: int = 900, init_script=None):
        context = browser.new_context(
            base_url=live_server.url,
            viewport={"width": width, "height": height},
            locale=locale,
            accept_downloads=True,
        )
        context.set_default_timeout(15_000)
        if init_script is not None:
            context.add_init_script(path=str(init_script))
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on(
            "console",
            lambda msg: (
                msg.type == "error"
                and not msg.text.startswith("Failed to load resource")
                and errors.append(msg.text)
            ),
        )
        return page

    yield make
    for context in contexts:
        context.close()
    assert not errors, f"JavaScript or CSP errors on the page: {errors}"


AXE = HERE / "assets" / "axe.min.js"
AXE_RESULTS = SCREENSHOTS.parent / "axe"
BLOCKING_IMPACTS = {"serious", "critical"}


@pytest.fixture
def axe_audit():
    """axe_audit(page, "name"): run axe-core (vendored, injected as an init script so the
    page's CSP stays strict) on the page as it is, save the JSON under artifacts/axe/ and
    return the serious/critical violations. The page's context must come from
    new_page(init_script=AXE)."""
    import json

    AXE_RESULTS.mkdir(parents=True, exist_ok=True)

    def audit(page, name: str) -> list[dict]:
        results = page.evaluate(
            """async () => await window.axe.run(document, {
                runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa",
                                                 "best-practice"]},
                resultTypes: ["violations"]})"""
        )
        summary = [
            {
                "id": v["id"],
                "impact": v["impact"],
                "help": v["help"],
                "nodes": [n["target"] for n in v["nodes"]][:10],
            }
            for v in results["violations"]
        ]
        (AXE_RESULTS / f"{name}.json").write_text(
            json.dumps(
                {
                    "url": page.url,
                    "lang": page.evaluate("document.documentElement.lang"),
                    "violations": summary,
                },
                ensure_ascii=False,
                indent=1,
            )
        )
        return [v for v in summary if v["impact"] in BLOCKING_IMPACTS]

    return audit
