"""The generate page's live preview in a real browser (issue 15, section 7): as the words are
typed, what was understood and a vector sketch of it update; attribute edits undo and redo
with the buttons and Ctrl+Z / Ctrl+Shift+Z; Generate renders the edited attributes. Then the
same path with JavaScript switched off, through the Preview / Undo / Redo buttons."""

import re

import pytest
from playwright.sync_api import expect

from generation.models import GenerationJob
from tests.factories import owner_of

pytestmark = pytest.mark.django_db(transaction=True)

WORDS = "a friendly blue robot with round glasses and a zorblax"


def _sketch_src(page) -> str:
    return page.locator("#sketch").get_attribute("src") or ""


def _sketch_changes(page, before: str) -> str:
    """Wait for a new sketch (a new blob: URL that has loaded) and return its URL."""
    page.wait_for_function(
        "before => { const s = document.getElementById('sketch');"
        " return s.src && s.src !== before && s.complete && s.naturalWidth === 128; }",
        arg=before,
    )
    return _sketch_src(page)


def test_live_preview_edit_undo_redo_then_generate(
    page, login, shot, assert_labelled, tenant, no_models
):
    login(page, owner_of(tenant))
    page.goto("/generate/")
    expect(page.locator("#parse-preview")).to_be_hidden()

    page.get_by_label("Describe your bot").fill(WORDS)
    chips = page.locator("#attribute-chips")
    expect(chips.locator("input[name='attr_subject']")).to_have_value("robot")
    expect(chips.locator("input[name='attr_colors']")).to_have_value("blue")
    expect(page.locator("#unknown-words")).to_contain_text("zorblax (not in the lexicon")
    expect(page.locator("#prompt-parts")).to_contain_text("← your words")
    status = page.locator("#preview-status")
    expect(status).to_have_attribute("aria-live", "polite")
    expect(status).to_contain_text("Understood: subject robot")
    first = _sketch_changes(page, "")
    assert first.startswith("blob:")
    expect(page.locator("#sketch")).to_have_attribute("alt", re.compile(r"robot.*blue"))
    expect(page.get_by_role("button", name="Undo edit")).to_be_disabled()

    # Typing more updates both the understood parts and the sketch.
    page.get_by_label("Describe your bot").press_sequentially(" and a top hat", delay=20)
    accessories = chips.locator("input[name='attr_accessories']")
    expect(accessories).to_have_value(re.compile(r"glasses, .*hat"))
    typed = _sketch_changes(page, first)
    shot(page, "10-live-preview")

    # One edit: the colour chip.
    page.get_by_label("Attribute colors").fill("green")
    page.get_by_label("Attribute colors").press("Tab")
    expect(page.locator("#composed-prompt")).to_contain_text("green")
    green = _sketch_changes(page, typed)
    expect(page.locator("#sketch")).to_have_attribute("alt", re.compile("green"))
    expect(page.locator(".chip-edit.edited")).to_have_count(1)
    expect(page.get_by_role("button", name="Undo edit")).to_be_enabled()
    expect(page.get_by_role("button", name="Redo edit")).to_be_disabled()

    # Undo with the button, redo with the keyboard, undo with the keyboard.
    page.get_by_role("button", name="Undo edit").click()
    expect(page.get_by_label("Attribute colors")).to_have_value("blue")
    blue = _sketch_changes(page, green)
    expect(status).to_contain_text("colors blue")
    expect(page.get_by_role("button", name="Redo edit")).to_be_enabled()
    shot(page, "11-live-preview-undone")
    page.locator("h1").click()  # focus off the text fields: the shortcut is the page's
    page.keyboard.press("Control+Shift+Z")
    expect(page.get_by_label("Attribute colors")).to_have_value("green")
    green = _sketch_changes(page, blue)
    page.keyboard.press("Control+Z")
    expect(page.get_by_label("Attribute colors")).to_have_value("blue")
    blue = _sketch_changes(page, green)

    # In the description, Ctrl+Z is the browser's own text undo, not an attribute undo.
    page.get_by_label("Describe your bot").press("Control+Z")
    expect(page.get_by_role("button", name="Redo edit")).to_be_enabled()
    page.get_by_label("Describe your bot").fill(WORDS + " and a top hat")

    # A new edit after an undo clears the redo.
    page.get_by_label("Attribute colors").fill("red")
    page.get_by_label("Attribute colors").press("Enter")  # Enter previews; it never generates
    expect(page.locator("#composed-prompt")).to_contain_text("red")
    expect(page.get_by_role("button", name="Redo edit")).to_be_disabled()
    _sketch_changes(page, blue)
    assert not GenerationJob.objects.for_tenant(tenant).exists()
    assert_labelled(page)
    shot(page, "12-live-preview-edited")

    page.get_by_role("button", name="Generate", exact=True).click()
    expect(page.locator("#status-badge")).to_have_text("Queued")
    job = GenerationJob.objects.for_tenant(tenant).get()
    assert job.attributes["colors"] == ["red"]
    assert job.attributes["subject"] == "robot"


def test_preview_undo_redo_and_generate_without_javascript(
    browser, live_server, login, shot, assert_labelled, tenant, no_models
):
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 900}, java_script_enabled=False
    )
    page = context.new_page()
    try:
        login(page, owner_of(tenant))
        page.goto("/generate/")
        page.get_by_label("Describe your bot").fill(WORDS)
        page.get_by_role("button", name="Preview").click()

        expect(page.get_by_label("Attribute subject")).to_have_value("robot")
        expect(page.get_by_label("Attribute colors")).to_have_value("blue")
        expect(page.locator("#unknown-words")).to_contain_text("zorblax (not in the lexicon")
        expect(page.locator("#prompt-parts")).to_contain_text("← your words")
        expect(page.locator("#sketch")).to_have_attribute("src", re.compile(r"^data:image/png"))
        expect(page.locator("#cost-quote")).to_contain_text("Cost: 4 credits (vector engine)")
        expect(page.get_by_role("button", name="Undo edit")).to_be_disabled()
        blue = _sketch_src(page)
        shot(page, "13-preview-no-js")

        page.get_by_label("Attribute colors").fill("green")
        page.get_by_role("button", name="Preview").click()
        expect(page.get_by_label("Attribute colors")).to_have_value("green")
        expect(page.locator("#composed-prompt")).to_contain_text("green")
        assert _sketch_src(page) != blue

        page.get_by_role("button", name="Undo edit").click()
        expect(page.get_by_label("Attribute colors")).to_have_value("blue")
        assert _sketch_src(page) == blue  # the same drawing as before the edit
        expect(page.get_by_role("button", name="Redo edit")).to_be_enabled()
        shot(page, "14-preview-no-js-undone")

        page.get_by_role("button", name="Redo edit").click()
        expect(page.get_by_label("Attribute colors")).to_have_value("green")
        expect(page.get_by_role("button", name="Redo edit")).to_be_disabled()
        assert_labelled(page)

        page.get_by_role("button", name="Generate", exact=True).click()
        expect(page.locator("#status-badge")).to_have_text("Queued")
        job = GenerationJob.objects.for_tenant(tenant).get()
        assert job.attributes["colors"] == ["green"]
    finally:
        context.close()


def test_a_throttled_sketch_keeps_the_last_drawing_and_says_why(
    page, login, tenant, no_models, settings
):
    settings.AVATARSAAS_SKETCH_RENDERS_PER_MINUTE = 1
    login(page, owner_of(tenant))
    page.goto("/generate/")
    page.get_by_label("Describe your bot").fill("a blue robot")
    first = _sketch_changes(page, "")
    page.get_by_label("Describe your bot").fill("an orange cat")
    expect(page.get_by_label("Attribute animal")).to_have_value("cat")
    expect(page.locator("#sketch-caption")).to_contain_text("Too many sketches")
    expect(page.locator("#sketch")).to_be_visible()
    assert _sketch_src(page) == first
