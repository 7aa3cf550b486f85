"""Keyboard only: sign in, describe a bot, generate, pick and download the pack without the
mouse, in Chinese (the labels the keyboard user hears are the translated ones)."""

import zipfile

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD, make_tenant, owner_of

pytestmark = pytest.mark.django_db(transaction=True)


def _tab_to(page, predicate: str, limit: int = 150) -> None:
    """Press Tab until the focused element satisfies `predicate` (JS, `el` is the element)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(
            f"(() => {{ const el = document.activeElement; return !!el && ({predicate}); }})()"
        ):
            return
    raise AssertionError(f"{page.url}: Tab never reached an element where {predicate}")


def test_sign_in_generate_and_download_with_the_keyboard_only(new_page, run_jobs, no_models):
    tenant = make_tenant("键盘用户", credits_amount=20)
    owner = owner_of(tenant)
    page = new_page(locale="zh-CN")
    page.goto("/login/")

    _tab_to(page, "el.classList.contains('skip-link')")  # the first stop skips the header
    _tab_to(page, "el.name === 'username'")
    page.keyboard.type(owner.username)
    _tab_to(page, "el.name === 'password'")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{page.url.split('/login/')[0]}/dashboard/")

    _tab_to(page, "el.getAttribute('href') === '/generate/' && el.closest('nav')")
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("设计头像")
    _tab_to(page, "el.name === 'description'")
    page.keyboard.type("一个戴眼镜的友好蓝色机器人")
    _tab_to(page, "el.type === 'submit' && el.closest('.submit-bar')")
    page.keyboard.press("Enter")

    # The first Chinese parse in a process loads the segmenter dictionary: slow on shared CI.
    expect(page.locator("#status-badge")).to_have_text("排队中", timeout=60_000)
    assert run_jobs() == 1
    expect(page.locator(".candidate")).not_to_have_count(0)
    _tab_to(page, "el.tagName === 'BUTTON' && el.textContent.trim() === '选定'")
    page.keyboard.press("Enter")
    expect(page.locator("#pack")).to_be_visible()

    _tab_to(page, "el.type === 'submit' && el.closest('.pack-form')")
    with page.expect_download() as download:
        page.keyboard.press("Enter")
    with zipfile.ZipFile(download.value.path()) as zf:
        assert "avatar.json" in zf.namelist()
