"""Near-duplicate warnings on the dataset page and in the API: the pair side by side, 'keep
both' dismisses it, 'drop this one' deletes that image; ids of another workspace answer 404."""

import pytest

from styles.models import DatasetImage, DuplicatePair, LoraDataset
from tests.factories import api_client_for, make_member
from tests.styles.conftest import png_bytes

pytestmark = pytest.mark.django_db


def _image(tenant, dataset, name, seed):
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    stored = default_storage.save(
        f"tenants/{tenant.pk}/datasets/{name}", ContentFile(png_bytes(seed))
    )
    return DatasetImage.objects.create(
        tenant=tenant,
        dataset=dataset,
        original_name=name,
        status="accepted",
        file=stored,
        format="png",
        width=64,
        height=64,
    )


@pytest.fixture
def pair(tenant):
    dataset = LoraDataset.objects.create(tenant=tenant, name="Brand", trigger_word="acmebot")
    other = _image(tenant, dataset, "mascot.png", 1)
    image = _image(tenant, dataset, "mascot_small.jpg", 2)
    _image(tenant, dataset, "fox.png", 3)
    return DuplicatePair.objects.create(
        tenant=tenant,
        dataset=dataset,
        image=image,
        other=other,
        phash_distance=2,
        color_distance=1,
        difference=0.01,
    )


def test_page_shows_the_pair_side_by_side_and_keep_both_dismisses_it(owner_client, pair):
    page = owner_client.get(f"/datasets/{pair.dataset_id}/").content.decode()
    block = page[page.index(f'id="pair-{pair.pk}"') :].split("</div>")[0]
    assert (
        f"/dataset-images/{pair.other_id}/" in block
        and f"/dataset-images/{pair.image_id}/" in block
    )
    assert block.count("Drop this one") == 2 and "Keep both" in block
    assert "Possible near-duplicate (1)" in page  # the singular form: one pair

    response = owner_client.post(f"/dataset-duplicates/{pair.pk}/resolve/", {"action": "keep_both"})
    assert response.status_code == 302
    pair.refresh_from_db()
    assert pair.kept_at is not None
    assert DatasetImage.objects.filter(dataset=pair.dataset).count() == 3
    page = owner_client.get(f"/datasets/{pair.dataset_id}/").content.decode()
    assert f'id="pair-{pair.pk}"' not in page and "Possible near-duplicate" not in page


def test_drop_this_one_deletes_that_image_and_the_warning(owner_client, pair):
    response = owner_client.post(
        f"/dataset-duplicates/{pair.pk}/resolve/", {"drop": str(pair.image_id)}
    )
    assert response.status_code == 302
    names = set(DatasetImage.objects.values_list("original_name", flat=True))
    assert names == {"mascot.png", "fox.png"}
    assert not DuplicatePair.objects.exists()


def test_drop_refuses_an_image_outside_the_pair(owner_client, pair):
    fox = DatasetImage.objects.get(original_name="fox.png")
    owner_client.post(f"/dataset-duplicates/{pair.pk}/resolve/", {"drop": str(fox.pk)})
    assert DatasetImage.objects.count() == 3 and DuplicatePair.objects.filter(pk=pair.pk).exists()


def test_a_viewer_sees_the_pair_but_cannot_resolve_it(client, tenant, pair):
    viewer = make_member(tenant, role="viewer")
    client.force_login(viewer)
    page = client.get(f"/datasets/{pair.dataset_id}/").content.decode()
    assert (
        f'id="pair-{pair.pk}"' in page and "keep_both" not in page and "Drop this one" not in page
    )
    response = client.post(f"/dataset-duplicates/{pair.pk}/resolve/", {"action": "keep_both"})
    assert response.status_code == 403
    pair.refresh_from_db()
    assert pair.kept_at is None


def test_api_lists_warnings_and_resolves_them(tenant, pair):
    api = api_client_for(tenant)
    base = f"/api/v1/datasets/{pair.dataset_id}/"
    body = api.get(base).json()
    assert body["near_duplicates"] == 1
    [warning] = body["duplicate_warnings"]
    assert warning["image"] == str(pair.image_id) and warning["other"] == str(pair.other_id)
    assert warning["kept"] is False
    assert {img["original_name"] for img in body["images"]} == {
        "mascot.png",
        "mascot_small.jpg",
        "fox.png",
    }
    assert all("thumbnail" not in img for img in body["images"])

    url = f"{base}duplicates/{pair.pk}/resolve/"
    bad = api.post(url, {"action": "drop"}, format="json")
    assert bad.status_code == 400 and "image" in bad.content.decode()
    bad = api.post(url, {"action": "shred"}, format="json")
    assert bad.status_code == 400 and "action" in bad.content.decode()

    kept = api.post(url, {"action": "keep_both"}, format="json")
    assert kept.status_code == 200 and kept.json()["kept"] is True
    body = api.get(base).json()
    assert body["near_duplicates"] == 0 and body["duplicate_warnings"] == []


def test_api_drop_deletes_the_named_image(tenant, pair):
    api = api_client_for(tenant)
    url = f"/api/v1/datasets/{pair.dataset_id}/duplicates/{pair.pk}/resolve/"
    response = api.post(url, {"action": "drop", "image": str(pair.other_id)}, format="json")
    assert response.status_code == 204
    assert not DatasetImage.objects.filter(pk=pair.other_id).exists()
    assert DatasetImage.objects.filter(pk=pair.image_id).exists()
    assert not DuplicatePair.objects.exists()


def test_api_pair_of_another_dataset_is_not_found(tenant, pair):
    other = LoraDataset.objects.create(tenant=tenant, name="Other")
    api = api_client_for(tenant)
    url = f"/api/v1/datasets/{other.pk}/duplicates/{pair.pk}/resolve/"
    assert api.post(url, {"action": "keep_both"}, format="json").status_code == 404
