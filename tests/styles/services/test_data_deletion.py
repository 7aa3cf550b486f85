"""Deleting brand data: datasets (with their images and files), single dataset images, and
reference images. Files go after commit; nothing is deleted while a fine-tune uses it."""

import pytest
from django.core.files.storage import default_storage
from django.db import connection

from generation.worker import packs
from styles.models import DatasetImage, FineTune, LoraAdapter, LoraDataset, ReferenceImage
from styles.services import dataset_ingest, datasets, presets
from tenants.actors import Actor
from tenants.models import AuditEvent
from tests.cross_tenant.routes_styles import _adapter, _finetune, _preset, _reference
from tests.factories import api_client_for, make_member, owner_of
from tests.styles.conftest import make_dataset, png_bytes

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("small_images")]


def _files(dataset) -> list[str]:
    return list(dataset.images.exclude(file="").values_list("file", flat=True))


def test_api_deletes_dataset_images_files_and_drafts_keeps_finished_lineage(
    tenant, django_capture_on_commit_callbacks
):
    dataset = make_dataset(tenant)
    files = _files(dataset)
    assert len(files) == 6 and all(default_storage.exists(f) for f in files)
    draft = _finetune(tenant, state="draft")
    ready = _finetune(tenant, state="ready", dataset_hash="d" * 64)
    FineTune.objects.filter(pk__in=[draft.pk, ready.pk]).update(dataset=dataset)
    adapter = _adapter(tenant)
    LoraAdapter.objects.filter(pk=adapter.pk).update(finetune=ready)

    with django_capture_on_commit_callbacks(execute=True):
        response = api_client_for(tenant).delete(f"/api/v1/datasets/{dataset.pk}/")
    assert response.status_code == 204
    assert not LoraDataset.objects.filter(pk=dataset.pk).exists()
    assert not DatasetImage.objects.filter(dataset_id=dataset.pk).exists()
    assert not any(default_storage.exists(f) for f in files)
    assert not FineTune.objects.filter(pk=draft.pk).exists()
    ready.refresh_from_db()
    assert ready.dataset_id is None and ready.dataset_hash == "d" * 64
    assert LoraAdapter.objects.filter(pk=adapter.pk).exists()
    event = AuditEvent.objects.get(action="dataset.deleted")
    assert event.metadata == {"name": "Mascots", "images": 6, "draft_finetunes": 1}

    body = api_client_for(tenant).get(f"/api/v1/finetunes/{ready.pk}/").json()
    assert body["dataset"] is None and body["state"] == "ready"


@pytest.mark.parametrize("state", ["submitted", "approved", "queued", "training", "validating"])
def test_dataset_in_use_cannot_be_deleted_or_trimmed(tenant, state):
    dataset = make_dataset(tenant)
    ft = _finetune(tenant, state=state)
    FineTune.objects.filter(pk=ft.pk).update(dataset=dataset)
    client = api_client_for(tenant)

    response = client.delete(f"/api/v1/datasets/{dataset.pk}/")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "dataset_in_use"
    image = dataset.images.first()
    response = client.delete(f"/api/v1/datasets/{dataset.pk}/images/{image.pk}/")
    assert response.status_code == 409
    assert dataset.images.count() == 6 and all(default_storage.exists(f) for f in _files(dataset))


def test_api_removes_one_image_and_its_file(
    tenant, other_tenant, django_capture_on_commit_callbacks
):
    dataset = make_dataset(tenant)
    image = dataset.images.filter(status="accepted").first()
    client = api_client_for(tenant)
    other = make_dataset(tenant, trigger="other")
    response = client.delete(f"/api/v1/datasets/{other.pk}/images/{image.pk}/")
    assert response.status_code == 404  # the image is not in that dataset

    with django_capture_on_commit_callbacks(execute=True):
        response = client.delete(f"/api/v1/datasets/{dataset.pk}/images/{image.pk}/")
    assert response.status_code == 204
    assert not DatasetImage.objects.filter(pk=image.pk).exists()
    assert not default_storage.exists(image.file.name)
    assert dataset.images.count() == 5

    theirs = make_dataset(other_tenant).images.first()
    response = api_client_for(other_tenant).delete(
        f"/api/v1/datasets/{dataset.pk}/images/{dataset.images.first().pk}/"
    )
    assert response.status_code == 404
    assert DatasetImage.objects.filter(pk=theirs.pk).exists()


def test_read_only_key_cannot_delete(tenant):
    dataset = make_dataset(tenant)
    response = api_client_for(tenant, ["styles:read"]).delete(f"/api/v1/datasets/{dataset.pk}/")
    assert response.status_code == 403 and LoraDataset.objects.filter(pk=dataset.pk).exists()


def test_dashboard_delete_and_remove_with_roles(client, tenant, django_capture_on_commit_callbacks):
    dataset = make_dataset(tenant)
    client.force_login(make_member(tenant, role="viewer"))
    assert client.post(f"/datasets/{dataset.pk}/delete/").status_code == 403
    assert LoraDataset.objects.filter(pk=dataset.pk).exists()

    client.force_login(owner_of(tenant))
    page = client.get(f"/datasets/{dataset.pk}/").content.decode()
    assert 'id="dataset-delete"' in page and "formaction=" in page
    image = dataset.images.first()
    response = client.post(f"/dataset-images/{image.pk}/delete/", follow=True)
    assert f"Removed {image.original_name}" in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/datasets/{dataset.pk}/delete/", follow=True)
    assert response.redirect_chain[-1][0] == "/datasets/"
    assert "Dataset deleted with its 5 images." in response.content.decode()


def test_dashboard_explains_a_dataset_in_use(client, tenant):
    dataset = make_dataset(tenant)
    ft = _finetune(tenant, state="training")
    FineTune.objects.filter(pk=ft.pk).update(dataset=dataset)
    client.force_login(owner_of(tenant))
    page = client.get(f"/datasets/{dataset.pk}/").content.decode()
    assert 'id="dataset-in-use"' in page and 'id="dataset-delete"' not in page
    response = client.post(f"/datasets/{dataset.pk}/delete/", follow=True)
    assert "cancel it or wait" in response.content.decode()
    assert LoraDataset.objects.filter(pk=dataset.pk).exists()


def test_finetune_page_says_its_dataset_was_deleted(client, tenant):
    ft = _finetune(tenant, state="ready")
    FineTune.objects.filter(pk=ft.pk).update(dataset=None)
    client.force_login(owner_of(tenant))
    assert 'id="dataset-deleted"' in client.get(f"/finetunes/{ft.pk}/").content.decode()


def test_removing_references_and_presets_deletes_their_files(
    tenant, django_capture_on_commit_callbacks
):
    actor = Actor(user=owner_of(tenant))
    ref = _reference(tenant)
    assert default_storage.exists(ref.file.name)
    with django_capture_on_commit_callbacks(execute=True):
        presets.remove_reference_image(tenant=tenant, actor=actor, reference_id=ref.pk)
    assert not default_storage.exists(ref.file.name)

    preset = _preset(tenant)
    kept = ReferenceImage.objects.create(tenant=tenant, preset=preset, file=_reference(tenant).file)
    with django_capture_on_commit_callbacks(execute=True):
        presets.delete_preset(tenant=tenant, actor=actor, preset_id=preset.pk)
    assert not default_storage.exists(kept.file.name)


def test_a_reference_removed_mid_job_is_skipped_not_fatal(tenant):
    ref = _reference(tenant)
    default_storage.delete(ref.file.name)
    assert packs._reference_images([ref.file.name]) == []


@pytest.mark.django_db(transaction=True)
def test_upload_into_a_dataset_deleted_meanwhile_is_a_404_without_orphans(tenant):
    from core.errors import NotFound

    dataset = datasets.create_dataset(tenant=tenant, actor=Actor.system(), name="Gone")
    state = dataset_ingest._IngestState(dataset, dataset_ingest.IngestLimits.from_settings())
    LoraDataset.objects.filter(pk=dataset.pk).delete()
    before = set(_all_files())
    with pytest.raises(NotFound, match="deleted during the upload"):
        state.add(dataset_ingest._Entry("late.png", png_bytes(1, size=300)))
    assert set(_all_files()) == before
    assert connection.is_usable()


def _all_files() -> list[str]:
    found = []
    stack = [""]
    while stack:
        folder = stack.pop()
        dirs, files = (
            default_storage.listdir(folder) if default_storage.exists(folder) else ([], [])
        )
        found += [f"{folder}/{f}".lstrip("/") for f in files]
        stack += [f"{folder}/{d}".lstrip("/") for d in dirs]
    return found
