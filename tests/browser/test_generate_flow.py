"""A brand manager's main path, in a real browser: sign up, describe a bot, watch the job,
pick a candidate, download a cut-down pack; then the tiny diffusion model, vary, gallery."""

import re
import zipfile

import pytest
from django.core import mail
from playwright.sync_api import expect

from generation.models import GenerationJob
from generation.worker import claim, runner
from tests.factories import owner_of

pytestmark = pytest.mark.django_db(transaction=True)


def _describe(page, text, *, engine, n, seed=None, size=None, steps=None):
    page.get_by_label("Describe your bot").fill(text)
    page.locator("summary", has_text="advanced settings").click()
    page.get_by_label("Candidates").fill(str(n))
    if seed is not None:
        page.get_by_label("Seed").fill(str(seed))
    page.get_by_label("Engine").select_option(engine)
    if size:
        page.get_by_label("Size").select_option(str(size))
    if steps:
        page.get_by_label("Steps").fill(str(steps))


def _verification_path() -> str:
    """The link sign-up emailed (the live server shares this process's test outbox)."""
    (message,) = [m for m in mail.outbox if "Confirm your email" in m.subject]
    return re.search(r"https?://[^/\s]+(/verify-email/\S+/)", message.body).group(1)


def test_sign_up_generate_pick_and_download(page, shot, run_jobs, assert_labelled, no_models):
    page.goto("/signup/")
    page.get_by_label("Email").fill("ana@example.com")
    page.get_by_label("Password").fill("a-long-unusual-passphrase-2026")
    page.get_by_label("Workspace name").fill("Ana's Bots")
    shot(page, "00-signup")
    page.get_by_role("button", name="Create workspace").click()

    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    expect(page.locator("#weights-banner")).to_contain_text("vector engine")
    # The welcome credits wait for the emailed link.
    expect(page.locator("#verify-email")).to_contain_text("ana@example.com")
    expect(page.locator("#overview-balance")).to_have_text("0")
    shot(page, "01a-overview-verify-email")
    page.goto(_verification_path())
    page.get_by_role("button", name="Confirm my email").click()
    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    expect(page.locator(".messages")).to_contain_text("100 free credits were added")
    expect(page.locator("#verify-email")).to_have_count(0)
    expect(page.locator("#overview-balance")).to_have_text("100")
    expect(page.locator(".next-steps")).to_contain_text("Describe your first bot")
    shot(page, "01-overview-new-workspace")

    page.get_by_role("link", name="Generate", exact=True).click()
    _describe(
        page,
        "a friendly blue robot with round glasses and a zorblax",
        engine="vector",
        n=3,
        seed=42,
    )
    expect(page.locator("#cost-quote")).to_contain_text("Cost: 3 credits (vector engine)")
    expect(page.locator("#unknown-words")).to_contain_text("zorblax")
    expect(page.locator("#attribute-chips input[name='attr_subject']")).to_have_value("robot")
    # Editing a chip re-composes the prompt; the edit is what gets rendered. Let the last
    # debounced parse (from the fields typed above) land first, or it redraws the chips.
    page.wait_for_timeout(800)
    page.wait_for_load_state("networkidle")
    page.get_by_label("Attribute colors").fill("green")
    page.get_by_label("Attribute colors").press("Tab")
    expect(page.locator("#composed-prompt")).to_contain_text("green robot")
    assert_labelled(page)
    shot(page, "02-generate")
    page.get_by_role("button", name="Generate", exact=True).click()

    expect(page.locator("#status-badge")).to_have_text("Queued")
    expect(page.locator("#progress-text")).to_contain_text("position 1")
    shot(page, "03-job-queued")
    assert GenerationJob.objects.get().attributes["colors"] == ["green"]
    assert run_jobs() == 1
    # The page polls status.json and reloads itself once the job is done.
    expect(page.locator(".candidate")).to_have_count(3)
    expect(page.locator("#status-badge")).to_have_text("Succeeded")
    shot(page, "04-job-done")

    other = page.locator(".candidate:not(.selected)").first
    image_id = other.get_attribute("data-image-id")
    other.get_by_role("button", name="Pick").click()
    picked = page.locator(f'.candidate.selected[data-image-id="{image_id}"]')
    expect(picked).to_be_visible()
    assert_labelled(page)

    form = page.locator("#pack .pack-form")
    for size in ("512", "64"):  # a 512 px job offers no 1024 px files
        form.locator(f"input[name=size][value='{size}']").uncheck()
    form.locator("input[name=format][value=webp]").uncheck()
    with page.expect_download() as download:
        form.get_by_role("button", name="Download pack").click()
    with zipfile.ZipFile(download.value.path()) as zf:
        assert sorted(zf.namelist()) == [
            "avatar-128-square.png",
            "avatar-256-square.png",
            "avatar.json",
        ]

    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, "05-job-picked-phone")
    page.set_viewport_size({"width": 1280, "height": 900})

    page.get_by_role("link", name="Overview").click()
    expect(page.locator("#overview-balance")).to_have_text("97")
    expect(page.locator(".job-cards li")).to_have_count(1)
    shot(page, "05b-overview-with-jobs")


def test_tiny_diffusion_job_labels_scores_honestly_then_vary_and_gallery(
    page, login, shot, run_jobs, use_tiny_models, tenant
):
    login(page, owner_of(tenant))
    page.goto("/generate/")
    _describe(page, "a cheerful green robot mascot", engine="diffusers", n=2, size=64, steps=2)
    expect(page.locator("#cost-quote")).to_contain_text("Cost: 4 credits (diffusers engine)")
    page.get_by_role("button", name="Generate", exact=True).click()
    expect(page.locator("#status-badge")).to_have_text("Queued")

    # Hold the job mid-render to see live progress, as a GPU worker would report it.
    job = claim.claim_next_job("browser-test")
    GenerationJob.objects.filter(pk=job.pk).update(progress=45, progress_step=1, progress_total=2)
    expect(page.locator("#progress-text")).to_have_text("Rendering: step 1 of 2")
    expect(page.locator("#status-badge")).to_have_text("Running")
    shot(page, "06-job-running")
    runner.run_claimed_job(job, "browser-test")

    expect(page.locator(".candidate")).to_have_count(2)
    expect(page.locator("#weights-banner")).to_contain_text("not a measure of quality")
    expect(page.locator(".candidate .score").first).to_contain_text("test weights, not quality")
    expect(page.locator(".badge.rank")).to_have_count(2)
    shot(page, "07-job-diffusion")

    page.get_by_role("button", name="Vary seeds").click()
    expect(page.locator("#status-badge")).to_have_text("Queued")
    assert run_jobs() == 1
    expect(page.locator(".candidate")).to_have_count(2)
    first, second = GenerationJob.objects.for_tenant(tenant).order_by("created_at")
    assert first.seeds != second.seeds and first.prompt == second.prompt

    page.get_by_role("link", name="Gallery", exact=True).click()
    expect(page.locator(".gallery-grid .tile")).to_have_count(4)
    page.get_by_label("Picked only").check()
    page.get_by_role("button", name="Apply").click()
    expect(page.locator(".gallery-grid .tile")).to_have_count(2)
    shot(page, "08-gallery")

    page.locator(".gallery-grid .tile").first.click()
    lineage = page.locator(".lineage")
    expect(lineage).to_contain_text(second.model_hash)
    expect(lineage).to_contain_text(str(second.pk))
    expect(lineage).to_contain_text(owner_of(tenant).email)
    shot(page, "09-image-lineage")
