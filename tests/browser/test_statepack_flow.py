"""A state pack in a real browser: make one from a job's candidate, watch it render, see the
animated preview (blink and talk loops), the states and the downloads (screenshots)."""

import io

import pytest
from PIL import Image
from playwright.sync_api import expect

from core.vocabulary import DEFAULT_STATE_PACK_STATES
from generation.models import StatePack
from tests.browser.conftest import off_loop
from tests.factories import api_client_for, owner_of

pytestmark = pytest.mark.django_db(transaction=True)


def test_make_a_state_pack_from_a_job_and_see_it_animate(
    page, login, shot, run_jobs, assert_labelled, no_models, tenant
):
    job = off_loop(
        api_client_for(tenant).post,
        "/api/v1/jobs/",
        {"description": "a friendly teal robot", "n": 1, "size": 128},
        format="json",
    )
    assert job.status_code == 201 and run_jobs() == 1
    login(page, owner_of(tenant))
    page.goto(f"/jobs/{job.json()['id']}/")
    page.locator(".candidate").first.get_by_role("button", name="Make a state pack").click()
    expect(page.locator("h1")).to_contain_text("State pack")
    expect(page.locator("#status-badge")).to_have_text("Queued")
    assert_labelled(page)
    shot(page, "40-statepack-queued")

    assert run_jobs() == 1  # the page polls the job and reloads when it is done
    expect(page.locator("#status-badge")).to_have_text("Succeeded", timeout=20_000)
    preview = page.locator("#statepack-preview img.animated-preview")
    expect(preview).to_have_count(2)
    expect(page.locator("#loop-blink")).to_contain_text("4 frames")
    # The animated WebP really loaded and decoded in the browser.
    page.wait_for_function(
        "() => Array.from(document.querySelectorAll('img.animated-preview'))"
        ".every(i => i.complete && i.naturalWidth === 128)"
    )
    expect(page.locator("#statepack-states .candidate")).to_have_count(
        len(DEFAULT_STATE_PACK_STATES)
    )
    expect(page.locator("#matting-note")).to_contain_text("real alpha")
    expect(page.locator("#identity-unscored")).to_be_visible()  # no CLIP model configured
    shot(page, "41-statepack-animated-preview")

    pack = StatePack.objects.get()
    src = preview.first.get_attribute("src")
    response = page.request.get(src)
    assert response.ok and response.headers["content-type"] == "image/webp"
    animated = Image.open(io.BytesIO(response.body()))
    assert animated.n_frames == 4
    with page.expect_download() as download:
        page.locator("#statepack-downloads a[data-kind=zip]").click()
    assert download.value.suggested_filename == f"statepack-{str(pack.pk)[:8]}.zip"
