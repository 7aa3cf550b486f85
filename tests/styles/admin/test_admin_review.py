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


def _submitted(tenant):
    from styles.services import finetunes
    from tenants.actors import Actor
    from tests.styles.conftest import TINY_HYPERPARAMETERS

    owner = Actor(user=owner_of(tenant))
    dataset = make_dataset(tenant)
    ft = finetunes.create_finetune(
        tenant=tenant, actor=owner, dataset_id=dataset.pk, name="Mascot", **TINY_HYPERPARAMETERS
    )
    return finetunes.submit_finetune(tenant=tenant, actor=owner, finetune_id=ft.pk)


def test_review_form_approves_from_the_page_and_moves_on_to_the_queue(staff, pro_tenant):
    ft = _submitted(pro_tenant)
    page = staff.get(f"/admin/styles/finetune/{ft.pk}/change/").content.decode()
    assert 'id="review-form"' in page and 'name="_save"' not in page  # read-only otherwise
    response = staff.post(
        f"/admin/styles/finetune/{ft.pk}/review/", {"decision": "approve", "note": "On brand."}
    )
    assert response.status_code == 302
    assert response["Location"].endswith("/admin/styles/finetune/?state__exact=submitted")
    ft.refresh_from_db()
    assert (ft.state, ft.review_note) == ("queued", "On brand.")
    page = staff.get(f"/admin/styles/finetune/{ft.pk}/change/").content.decode()
    assert 'id="review-form"' not in page  # nothing left to decide


def test_review_form_rejection_needs_a_note_and_releases_credits(staff, pro_tenant):
    from tenants.models import CreditReservation

    ft = _submitted(pro_tenant)
    url = f"/admin/styles/finetune/{ft.pk}/review/"
    response = staff.post(url, {"decision": "reject", "note": ""}, follow=True)
    assert response.redirect_chain[-1][0].endswith(f"/admin/styles/finetune/{ft.pk}/change/")
    assert "note" in response.content.decode().lower()
    ft.refresh_from_db()
    assert ft.state == "submitted"

    staff.post(url, {"decision": "reject", "note": "Third-party logo in 3 pictures."})
    ft.refresh_from_db()
    assert ft.state == "rejected"
    reservation = CreditReservation.objects.get(reference=ft.credit_reference)
    assert reservation.state == "released"


def test_review_endpoint_is_post_only_and_staff_only(client, staff, pro_tenant):
    ft = _submitted(pro_tenant)
    url = f"/admin/styles/finetune/{ft.pk}/review/"
    assert staff.get(url).status_code == 405
    assert staff.post(url, {"decision": "maybe"}).status_code == 302
    client.force_login(owner_of(pro_tenant))
    response = client.post(url, {"decision": "approve"})
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    ft.refresh_from_db()
    assert ft.state == "submitted"
