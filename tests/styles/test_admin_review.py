"""The staff fine-tune review page: dataset thumbnails and captions, the loss chart and the
validation grid, through staff-only file views."""

import pytest
from django.test import Client

from styles.models import FineTune
from tests.cross_tenant.routes_styles import _finetune, _png
from tests.factories import make_user, owner_of
from tests.styles.conftest import make_dataset

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("small_images")]


@pytest.fixture
def staff():
    client = Client()
    client.force_login(make_user("ops@avatarsaas.local", is_staff=True, is_superuser=True))
    return client


def _reviewable(tenant):
    dataset = make_dataset(tenant)
    ft = _finetune(
        tenant,
        state="ready",
        loss_curve=[[s, 1.0 - s / 100] for s in range(1, 31)],
        validation=[
            {"prompt": "acme, a robot", "seed": 11, "clip_score": 0.21, "image": _png(tenant)},
            {"grid": _png(tenant)},
        ],
    )
    FineTune.objects.filter(pk=ft.pk).update(dataset=dataset)
    return ft, dataset


def test_review_page_shows_dataset_loss_and_validation(staff, tenant, settings):
    settings.AVATARSAAS_WEIGHTS_ARE_REAL = False
    ft, dataset = _reviewable(tenant)
    page = staff.get(f"/admin/styles/finetune/{ft.pk}/change/").content.decode()
    assert 'id="dataset-review"' in page and page.count("/admin/dataset-images/") == 6
    assert "acmebot, the blue mascot waving" in page  # the sidecar caption
    assert "6 accepted, 0 rejected" in page
    assert 'class="loss-chart"' in page and "over steps 1–30" in page
    assert 'id="validation-review"' in page and "CLIP 0.210" in page
    assert "CLIP scores are not quality" in page
    assert f"/admin/finetunes/{ft.pk}/validation/0/" in page

    image = dataset.images.first()
    response = staff.get(f"/admin/dataset-images/{image.pk}/")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert staff.get(f"/admin/finetunes/{ft.pk}/validation/0/").status_code == 200
    assert staff.get(f"/admin/finetunes/{ft.pk}/validation/9/").status_code == 404


def test_review_page_before_training_and_after_the_dataset_was_deleted(staff, tenant):
    ft = _finetune(tenant, state="submitted")
    page = staff.get(f"/admin/styles/finetune/{ft.pk}/change/").content.decode()
    assert "No training steps recorded yet." in page
    assert "rendered after training" in page

    FineTune.objects.filter(pk=ft.pk).update(dataset=None, dataset_hash="e" * 64)
    page = staff.get(f"/admin/styles/finetune/{ft.pk}/change/").content.decode()
    assert "The tenant deleted this dataset" in page and "e" * 64 in page


def test_finetune_review_files_are_staff_only(client, tenant):
    ft, dataset = _reviewable(tenant)
    urls = [
        f"/admin/dataset-images/{dataset.images.first().pk}/",
        f"/admin/finetunes/{ft.pk}/validation/0/",
    ]
    for url in urls:
        assert client.get(url).status_code == 302  # to the admin login
    client.force_login(owner_of(tenant))  # the tenant's owner is not staff
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"]
