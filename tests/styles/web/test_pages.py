"""Server-rendered pages: presets (list, copy, edit, detail), datasets (create, upload of many
files and zips, report with caption editor), fine-tunes (create, detail, submit)."""

import pytest

from styles.models import DatasetImage, FineTune, LoraDataset, StylePreset
from tests.factories import make_member
from tests.styles.conftest import png_bytes, upload, zip_bytes

pytestmark = pytest.mark.django_db


def test_preset_pages_copy_edit_and_lock(owner_client, tenant):
    page = owner_client.get("/presets/")
    assert page.status_code == 200
    assert b'id="copy-cartoon"' in page.content and b"Brand kit policy" in page.content

    cartoon = StylePreset.objects.get(tenant=None, slug="cartoon")
    response = owner_client.post(f"/presets/{cartoon.pk}/copy/")
    copy = StylePreset.objects.get(tenant=tenant)
    assert response.status_code == 302 and response["Location"] == f"/presets/{copy.pk}/edit/"

    edit = owner_client.get(f"/presets/{copy.pk}/edit/")
    html = edit.content.decode()
    for field in ("name", "prompt_template", "palette", "lock_rules", "scheduler", "steps"):
        assert f'for="id_{field}"' in html and f'id="id_{field}"' in html
    assert 'id="id_is_locked"' in html and "Brand kit lock</label>" in html
    form = {
        "name": "Acme",
        "prompt_template": "{subject}, flat mascot",
        "palette": "#112233, #445566",
        "default_attributes": '{"style": "cartoon"}',
        "engine": "vector",
        "scheduler": "euler_a",
        "steps": 24,
        "guidance_scale": 6.5,
        "size": 512,
        "adapter_strength": 1.0,
        "is_locked": "on",
        "lock_rules": '{"steps": {"min": 20, "max": 30}}',
    }
    response = owner_client.post(f"/presets/{copy.pk}/edit/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    copy.refresh_from_db()
    assert copy.palette == ["#112233", "#445566"] and copy.is_locked
    assert copy.lock_rules == {"steps": {"min": 20, "max": 30}}

    bad = owner_client.post(f"/presets/{copy.pk}/edit/", {**form, "prompt_template": "x"})
    assert bad.status_code == 200 and "must contain {subject}" in bad.content.decode()
    bad = owner_client.post(f"/presets/{copy.pk}/edit/", {**form, "lock_rules": "{nope"})
    assert "Not valid JSON" in bad.content.decode()
    bad = owner_client.post(
        f"/presets/{copy.pk}/edit/", {**form, "state_pack_states": "happy, grumpy"}
    )
    assert bad.status_code == 200 and "Unknown state &#x27;grumpy&#x27;" in bad.content.decode()
    states = {**form, "state_pack_states": "sleeping, happy", "palette_weight": "0.4"}
    assert owner_client.post(f"/presets/{copy.pk}/edit/", states).status_code == 302
    copy.refresh_from_db()
    assert copy.state_pack_states == ["sleeping", "happy"] and copy.palette_weight == 0.4

    detail = owner_client.get(f"/presets/{copy.pk}/")
    assert b"locked" in detail.content and b'id="reference-form"' in detail.content
    builtin_edit = owner_client.get(f"/presets/{cartoon.pk}/edit/")
    assert builtin_edit.status_code == 302 or builtin_edit.status_code == 403


def test_members_see_presets_but_cannot_edit(client, tenant):
    client.force_login(make_member(tenant, "member"))
    assert client.get("/presets/").status_code == 200
    assert client.get("/presets/new/").status_code == 403


def test_dataset_pages_upload_many_files_and_zip_then_edit_captions(
    owner_client, tenant, small_images
):
    response = owner_client.post("/datasets/", {"name": "Shots", "trigger_word": "acmebot"})
    dataset = LoraDataset.objects.get(tenant=tenant)
    assert response.status_code == 302

    files = [upload(f"pic_{i}.png", png_bytes(i)) for i in range(3)]
    files.append(upload("more.zip", zip_bytes({"z/one.png": png_bytes(10), "z/bad.png": b"no"})))
    response = owner_client.post(f"/datasets/{dataset.pk}/upload/", {"files": files})
    assert response.status_code == 302
    assert DatasetImage.objects.filter(dataset=dataset, status="accepted").count() == 4

    page = owner_client.get(f"/datasets/{dataset.pk}/")
    html = page.content.decode()
    assert "4 accepted" in html and "1 rejected" in html and "not_an_image" in html
    assert 'id="id_files"' in html and "multiple" in html
    image = DatasetImage.objects.get(original_name="pic_1.png")
    assert f'id="caption-{image.pk}"' in html
    owner_client.post(f"/datasets/{dataset.pk}/", {f"caption_{image.pk}": "acmebot new caption"})
    image.refresh_from_db()
    assert image.caption == "acmebot new caption"
    assert owner_client.get(f"/dataset-images/{image.pk}/").status_code == 200


def test_finetune_pages_create_and_submit(owner_client, small_images):
    from tests.factories import make_tenant, owner_of
    from tests.styles.conftest import make_dataset

    tenant = make_tenant("Pro pages", credits_amount=1000, plan="pro")
    owner_client.force_login(owner_of(tenant))
    dataset = make_dataset(tenant)
    page = owner_client.get(f"/finetunes/new/?dataset={dataset.pk}")
    assert page.status_code == 200 and b'id="id_learning_rate"' in page.content
    response = owner_client.post(
        "/finetunes/new/",
        {
            "name": "Mascot v1",
            "dataset": str(dataset.pk),
            "rank": 8,
            "alpha": 8,
            "steps": 500,
            "learning_rate": 0.0001,
            "resolution": 512,
            "batch_size": 2,
        },
    )
    ft = FineTune.objects.get(tenant=tenant)
    assert response.status_code == 302 and ft.state == "draft" and ft.trigger_word == "acmebot"
    bad = owner_client.post(
        "/finetunes/new/",
        {
            "name": "x",
            "dataset": str(dataset.pk),
            "rank": 999,
            "alpha": 8,
            "steps": 500,
            "learning_rate": 0.0001,
            "resolution": 512,
            "batch_size": 2,
        },
    )
    assert "rank must be between 1 and 128" in bad.content.decode()

    owner_client.post(f"/finetunes/{ft.pk}/submit/")
    ft.refresh_from_db()
    assert ft.state == "submitted"
    detail = owner_client.get(f"/finetunes/{ft.pk}/").content.decode()
    assert "Submitted for review" in detail and 'id="finetune-cancel"' in detail
    assert owner_client.get("/finetunes/").status_code == 200


def test_dataset_upload_still_checks_csrf(tenant, small_images):
    from django.test import Client

    from tests.factories import owner_of

    client = Client(enforce_csrf_checks=True)
    client.force_login(owner_of(tenant))
    dataset = LoraDataset.objects.create(tenant=tenant, name="CSRF", trigger_word="acme")
    url = f"/datasets/{dataset.pk}/upload/"
    assert client.post(url, {"files": [upload("a.png", png_bytes(1))]}).status_code == 403
    client.get(f"/datasets/{dataset.pk}/")
    token = client.cookies["csrftoken"].value
    response = client.post(
        url, {"files": [upload("a.png", png_bytes(1))], "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302
    assert DatasetImage.objects.filter(dataset=dataset, status="accepted").count() == 1


def test_ready_finetune_page_shows_loss_grid_and_activation(owner_client, tenant):
    from tests.cross_tenant.routes_styles import _adapter, _finetune, _png, _preset

    ft = _finetune(
        tenant,
        state="ready",
        loss_curve=[[1, 1.08], [2, 0.97]],
        validation=[
            {"prompt": "acme, a robot", "seed": 11, "clip_score": 0.12, "image": _png(tenant)},
            {"grid": _png(tenant, "grid")},
        ],
    )
    adapter = _adapter(tenant)
    adapter.finetune = ft
    adapter.save()
    _preset(tenant)
    html = owner_client.get(f"/finetunes/{ft.pk}/").content.decode()
    assert "1.0800" in html and "0.9700" in html
    assert 'id="validation-grid"' in html and "CLIP 0.120" in html
    assert 'id="activate-submit"' in html and str(adapter.pk) in html
    assert owner_client.get(f"/finetunes/{ft.pk}/validation/0.png").status_code == 200
    assert owner_client.get(f"/finetunes/{ft.pk}/validation/9.png").status_code == 404


def test_over_limit_web_upload_explains_how_to_split_it(owner_client, tenant, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 3
    dataset = LoraDataset.objects.create(tenant=tenant, name="Big", trigger_word="acme")
    page = owner_client.get(f"/datasets/{dataset.pk}/").content.decode()
    assert 'data-batch-files="1"' in page  # max(1, limit - 10): batches stay under it
    files = [upload(f"a{i}.png", png_bytes(i)) for i in range(4)]
    response = owner_client.post(f"/datasets/{dataset.pk}/upload/", {"files": files}, follow=True)
    assert "further requests" in response.content.decode()
    assert not DatasetImage.objects.filter(dataset=dataset).exists()
