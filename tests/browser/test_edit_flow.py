"""Variations and region edits in a real browser: vary an avatar, paint a mask on the canvas,
say what should be there, and see the edited result (screenshots of each step)."""

import io

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import expect

from core import storage
from generation.engines.masks import feather
from generation.models import GenerationJob
from tests.browser.conftest import off_loop
from tests.factories import api_client_for, owner_of

pytestmark = pytest.mark.django_db(transaction=True)


def _pixels(image) -> np.ndarray:
    return np.asarray(
        Image.open(io.BytesIO(storage.read_bytes(image.original.name))).convert("RGB")
    )


def test_vary_then_paint_a_mask_and_edit_the_region(
    page, login, shot, run_jobs, assert_labelled, no_models, tenant
):
    job = off_loop(
        api_client_for(tenant).post,
        "/api/v1/jobs/",
        {"description": "a friendly blue robot with round glasses", "n": 2, "size": 256},
        format="json",
    )
    assert job.status_code == 201
    assert run_jobs() == 1
    login(page, owner_of(tenant))
    page.goto(f"/jobs/{job.json()['id']}/")
    expect(page.locator(".candidate")).to_have_count(2)

    # Vary (subtle) on the first candidate: an image-to-image job linked to its parent.
    first = page.locator(".candidate").first
    parent_id = first.get_attribute("data-image-id")
    first.get_by_role("button", name="Vary (subtle)").click()
    expect(page.locator("#job-parent")).to_contain_text("Variation (strength 0.3)")
    assert run_jobs() == 1
    expect(page.locator(".candidate")).to_have_count(1)
    expect(page.locator("#status-badge")).to_have_text("Succeeded")
    shot(page, "10-vary-subtle")
    variation = GenerationJob.objects.get(mode="vary")
    assert str(variation.parent_image_id) == parent_id and variation.n == 1

    # Paint a mask over the lower part of the variation and ask for a bow tie.
    page.locator(".candidate").first.get_by_role("link", name="Edit region").click()
    canvas = page.locator("#mask-canvas")
    expect(canvas).to_be_visible()
    assert_labelled(page)
    box = canvas.bounding_box()
    page.get_by_label("Brush size").fill("64")
    page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.8)
    page.mouse.down()
    for step in range(1, 11):
        page.mouse.move(
            box["x"] + box["width"] * (0.3 + 0.04 * step), box["y"] + box["height"] * 0.8
        )
    page.mouse.up()
    expect(page.locator("#mask-hint")).to_contain_text("Now say what should be there")
    page.get_by_label("What should be there?").fill("a red bow tie instead")
    shot(page, "11-edit-mask-painted")
    page.get_by_role("button", name="Edit this region").click()

    expect(page.locator("#job-parent")).to_contain_text("Region edit")
    assert run_jobs() == 1
    expect(page.locator("#status-badge")).to_have_text("Succeeded")
    expect(page.locator(".candidate")).to_have_count(1)
    shot(page, "12-edit-result")

    edit = GenerationJob.objects.get(mode="edit")
    assert edit.parent_image_id == variation.images.get().pk
    assert edit.description.endswith("a red bow tie instead")
    mask = Image.open(io.BytesIO(storage.read_bytes(edit.mask.name))).convert("L")
    assert mask.size == (256, 256)
    painted = np.asarray(mask) > 0
    assert painted[int(256 * 0.8), int(256 * 0.5)] and not painted[10, 10]
    before, after = _pixels(variation.images.get()), _pixels(edit.images.get())
    outside = np.asarray(feather(mask)) == 0
    assert np.array_equal(after[outside], before[outside])

    page.locator(".candidate .thumb-link").first.click()
    expect(page.locator(".lineage")).to_contain_text("Edit of")
    shot(page, "13-edit-lineage")
