"""A brand's own style, end to end in the browser: upload a dataset, submit a fine-tune, a
staff member approves it in the admin, the training task runs in-process, the tenant sees it
ready. The pages are the styles app's; this only drives them."""

import pytest
from playwright.sync_api import expect

from generation.training import finetune_runner as training
from styles.models import FineTune
from tests.factories import make_tenant, make_user, owner_of
from tests.styles.conftest import png_bytes, zip_bytes

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.ml]

TINY = {"LoRA rank": 4, "LoRA alpha": 4, "Steps": 10, "Learning rate": 0.01, "Resolution": 32}


@pytest.fixture
def small_datasets(settings):
    settings.AVATARSAAS_DATASET_MIN_SIDE = 32
    settings.AVATARSAAS_FINETUNE_MIN_IMAGES = 4
    settings.AVATARSAAS_VALIDATION_STEPS = 2


def test_dataset_upload_finetune_staff_approval_and_ready(
    page, login, shot, use_tiny_models, small_datasets
):
    tenant = make_tenant("Acme Pro", credits_amount=1000, plan="pro")
    login(page, owner_of(tenant))
    page.goto("/datasets/")
    page.get_by_label("Name").fill("Mascots")
    page.get_by_label("Trigger word").fill("acmebot")
    page.locator("#dataset-create").click()

    files = {f"mascot_{i}.png": png_bytes(i) for i in range(6)}
    files["mascot_0.txt"] = b"acmebot, the blue mascot waving"
    page.locator("#upload-form input[type=file]").set_input_files(
        files=[{"name": "set.zip", "mimeType": "application/zip", "buffer": zip_bytes(files)}]
    )
    page.locator("#upload-submit").click()
    expect(page.locator("#accepted-count")).to_contain_text("6 accepted")
    shot(page, "21-dataset")

    page.locator("#train-dataset").click()
    page.get_by_label("Name").fill("Acme mascot")
    for label, value in TINY.items():
        page.get_by_label(label, exact=True).fill(str(value))
    page.get_by_label("Batch size").fill("2")
    page.locator("#finetune-create").click()
    page.locator("#finetune-submit").click()
    ft = FineTune.objects.for_tenant(tenant).get()
    assert ft.state == "submitted"
    shot(page, "22-finetune-submitted")

    login(page, make_user("reviewer@avatarsaas.local", is_staff=True, is_superuser=True))
    page.goto(f"/admin/styles/finetune/{ft.pk}/change/")
    expect(page.locator("#dataset-review img")).to_have_count(ft.dataset.images.count())
    page.wait_for_function(  # the thumbnails really load through the staff-only file view
        "Array.from(document.querySelectorAll('#dataset-review img'))"
        ".every(img => img.complete && img.naturalWidth > 0)"
    )
    shot(page, "22b-admin-finetune-review")
    page.get_by_label("Review note").fill("On brand, no third-party logos.")
    page.locator("#review-approve").click()
    expect(page.locator(".messagelist")).to_contain_text("Approved 1 fine-tune(s).")
    ft.refresh_from_db()
    assert ft.state == "queued"

    ft = training.process_finetune(ft.pk)  # what the gpu worker's task runs
    assert ft.state == "ready", (ft.failure_code, ft.failure_message)

    login(page, owner_of(tenant))
    page.goto(f"/finetunes/{ft.pk}/")
    expect(page.locator("#finetune-state")).to_have_text("Ready")
    expect(page.locator("#review-note")).to_contain_text("On brand")
    shot(page, "23-finetune-ready")
