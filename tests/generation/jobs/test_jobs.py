"""Jobs through the API with the in-process runner: submit, run, cache, cancel, fail, 402."""

import pytest
from PIL import Image

from generation.models import GeneratedImage, GenerationJob, ImageFile
from generation.worker import runner
from tenants.models import CreditEntry, CreditReservation, Tenant
from tests.factories import api_client_for, make_tenant

pytestmark = pytest.mark.django_db

BODY = {"description": "a friendly blue robot with round glasses", "n": 3, "seed": 42}


def _submit(client, body=None, **headers):
    return client.post("/api/v1/jobs/", body or BODY, format="json", **headers)


def _ledger_ok(tenant):
    from tenants.credits import ledger_sum

    tenant.refresh_from_db()
    assert tenant.credit_balance == ledger_sum(tenant)


def test_vector_job_end_to_end(no_models, tenant):
    client = api_client_for(tenant)
    before = tenant.credit_balance
    response = _submit(client)
    assert response.status_code == 201, response.json()
    job = response.json()
    assert job["status"] == "queued" and job["engine"] == "vector"
    assert job["cost_credits"] == 3 and job["seeds"] == [42, 43, 44]
    assert job["attributes"]["subject"] == "robot"
    tenant.refresh_from_db()
    assert tenant.credit_balance == before - 3

    ran = runner.process_one("test-worker")
    assert ran is not None and str(ran.pk) == job["id"]
    detail = client.get(f"/api/v1/jobs/{job['id']}/").json()
    assert detail["status"] == "succeeded" and detail["progress"] == 100
    assert len(detail["images"]) == 3
    assert sum(img["selected"] for img in detail["images"]) == 1
    assert detail["scores_meaningful"] is False
    winner = next(img for img in detail["images"] if img["selected"])
    sizes = {(f["size"], f["format"]) for f in winner["files"]}
    assert {(512, "png"), (256, "webp"), (64, "png")} <= sizes
    png = next(f for f in winner["files"] if f["size"] == 512 and f["format"] == "png")
    download = client.get(png["url"])
    assert download.status_code == 200 and download["Content-Type"] == "image/png"
    assert Image.open(__import__("io").BytesIO(b"".join(download.streaming_content))).size == (
        512,
        512,
    )
    reservation = CreditReservation.objects.get(tenant=tenant, reference=f"job:{job['id']}")
    assert reservation.state == "settled"
    _ledger_ok(tenant)


def test_diffusion_job_is_clip_scored_and_files_are_tenant_prefixed(use_tiny_models, tenant):
    client = api_client_for(tenant)
    body = {**BODY, "engine": "diffusers", "size": 64, "steps": 2}
    job_id = _submit(client, body).json()["id"]
    runner.process_one("w")
    job = GenerationJob.objects.get(pk=job_id)
    assert job.status == "succeeded" and job.model_hash
    images = list(job.images.all())
    assert len(images) == 3 and all(img.clip_score is not None for img in images)
    best = max(images, key=lambda i: i.final_score)
    assert best.selected
    for f in ImageFile.objects.filter(image__job=job):
        assert f.file.name.startswith(f"tenants/{tenant.pk}/images/")
    assert job.images.first().metadata["engine"] == "diffusers"


def test_cache_hit_costs_nothing_and_reuses_files(no_models, tenant):
    client = api_client_for(tenant)
    first = _submit(client).json()
    runner.process_one("w")
    balance = Tenant.objects.get(pk=tenant.pk).credit_balance
    second = _submit(client).json()
    assert second["cache_hit"] is True and second["status"] == "succeeded"
    assert second["cost_credits"] == 0 and second["id"] != first["id"]
    assert Tenant.objects.get(pk=tenant.pk).credit_balance == balance
    files_first = set(
        ImageFile.objects.filter(image__job_id=first["id"]).values_list("file", flat=True)
    )
    files_second = set(
        ImageFile.objects.filter(image__job_id=second["id"]).values_list("file", flat=True)
    )
    assert files_second == files_first
    assert runner.process_one("w") is None  # nothing went to the queue


def test_cache_is_per_tenant(no_models, tenant, other_tenant):
    _submit(api_client_for(tenant))
    runner.process_one("w")
    other = _submit(api_client_for(other_tenant)).json()
    assert other["cache_hit"] is False and other["status"] == "queued"


def test_cancel_releases_credits_once(no_models, tenant):
    client = api_client_for(tenant)
    before = tenant.credit_balance
    job = _submit(client).json()
    response = client.post(f"/api/v1/jobs/{job['id']}/cancel/")
    assert response.status_code == 200 and response.json()["status"] == "canceled"
    again = client.post(f"/api/v1/jobs/{job['id']}/cancel/")
    assert again.status_code == 409 and again.json()["error"]["code"] == "invalid_state"
    tenant.refresh_from_db()
    assert tenant.credit_balance == before
    assert runner.process_one("w") is None
    _ledger_ok(tenant)


def test_failure_releases_credits_and_says_why(use_tiny_models, settings, tenant, tmp_path):
    client = api_client_for(tenant)
    before = tenant.credit_balance
    job = _submit(client, {**BODY, "engine": "diffusers", "size": 64, "steps": 2}).json()
    empty = tmp_path / "gone"
    empty.mkdir()
    settings.AVATARSAAS_SD_MODEL = str(empty)  # the model disappeared before the worker ran
    from generation.engines import registry as engine_registry

    engine_registry.reset()
    runner.process_one("w")
    detail = client.get(f"/api/v1/jobs/{job['id']}/").json()
    assert detail["status"] == "failed"
    assert detail["failure"]["code"] == "model_not_configured"
    assert "AVATARSAAS_SD_MODEL" in detail["failure"]["message"]
    tenant.refresh_from_db()
    assert tenant.credit_balance == before
    _ledger_ok(tenant)


def test_not_enough_credits_is_402_with_balance_and_cost(no_models):
    poor = make_tenant("Poor")
    Tenant.objects.filter(pk=poor.pk).update(credit_balance=2)
    CreditEntry.objects.filter(tenant=poor).delete()
    CreditEntry.objects.create(tenant=poor, kind="grant", amount=2, balance_after=2)
    response = _submit(api_client_for(poor), {**BODY, "n": 5})
    assert response.status_code == 402
    error = response.json()["error"]
    assert error["code"] == "insufficient_credits"
    assert error["balance"] == 2 and error["cost"] == 5
    assert not GenerationJob.objects.filter(tenant=poor).exists()


@pytest.mark.parametrize(
    "body,field",
    [
        ({"description": ""}, "description"),
        ({"description": "robot", "n": 99}, "n"),
        ({"description": "robot", "size": 333}, "size"),
        ({"description": "robot", "engine": "dalle"}, "engine"),
        ({"description": "robot", "seed": -1}, "seed"),
        ({"description": "robot", "preset": "00000000-0000-0000-0000-000000000000"}, "preset"),
        ({"description": "robot", "engine": "diffusers"}, "engine"),
        ({"description": "robot", "attributes": {"wings": "big"}}, "attributes"),
        (
            {"description": "robot", "attributes": {"hair_color": "red\u0000"}},
            "attributes.hair_color",
        ),
        ({"description": "robot", "attributes": {"hair_color": {"a": 1}}}, "attributes.hair_color"),
        ({"description": "robot", "attributes": {"colors": [1, 2]}}, "attributes.colors"),
        ({"description": "robot", "attributes": {"colors": ["x"] * 13}}, "attributes.colors"),
    ],
)
def test_bad_input_is_a_4xx_naming_the_field(no_models, tenant, body, field):
    response = _submit(api_client_for(tenant), body)
    assert 400 <= response.status_code < 500
    assert response.json()["error"]["field"] == field


def test_attribute_edits_override_the_parser(no_models, tenant):
    body = {"description": "a robot", "attributes": {"hair_color": " teal ", "colors": "red, 蓝色"}}
    job = _submit(api_client_for(tenant), body).json()
    assert job["attributes"]["hair_color"] == "teal"
    assert job["attributes"]["colors"] == ["red", "蓝色"]


def test_scopes_are_enforced(no_models, tenant):
    reader = api_client_for(tenant, scopes=["jobs:read"])
    response = _submit(reader)
    assert response.status_code == 403 and "jobs:write" in response.json()["error"]["message"]
    assert reader.get("/api/v1/jobs/").status_code == 200


def test_list_is_paginated_filtered_and_scoped(no_models, tenant, other_tenant):
    client = api_client_for(tenant)
    for i in range(3):
        _submit(client, {**BODY, "seed": i})
    _submit(api_client_for(other_tenant))
    page = client.get("/api/v1/jobs/?page_size=2").json()
    assert len(page["results"]) == 2 and page["next"]
    rest = client.get(page["next"]).json()
    assert len(rest["results"]) == 1
    assert client.get("/api/v1/jobs/?status=succeeded").json()["results"] == []
    assert client.get("/api/v1/jobs/?status=nope").status_code == 400


def test_parse_preview_quotes_and_reports_unknown_words(no_models, tenant):
    response = api_client_for(tenant).post(
        "/api/v1/parse/",
        {"description": "一个戴眼镜的蓝色机器人 zorblax", "n": 2},
        format="json",
    )
    assert response.status_code == 200
    data = response.json()
    assert data["attributes"]["subject"] == "robot"
    assert "zorblax" in data["unknown_words"]
    assert data["cost_credits"] == 2 and "robot" in data["prompt"]


def test_rerender_reproduces_pixels(use_tiny_models, tenant):
    client = api_client_for(tenant)
    job_id = _submit(client, {**BODY, "engine": "diffusers", "size": 64, "steps": 2}).json()["id"]
    runner.process_one("w")
    image = GeneratedImage.objects.filter(job_id=job_id).order_by("index")[1]
    response = client.post(f"/api/v1/images/{image.pk}/rerender/")
    assert response.status_code == 201
    new_job = response.json()
    assert new_job["cache_hit"] is False
    runner.process_one("w")
    replay = GeneratedImage.objects.get(job_id=new_job["id"], selected=True)
    from core.storage import read_bytes

    a = Image.open(__import__("io").BytesIO(read_bytes(image.original.name)))
    b = Image.open(__import__("io").BytesIO(read_bytes(replay.original.name)))
    assert list(a.getdata()) == list(b.getdata())


def test_web_process_does_not_import_torch():
    import subprocess
    import sys

    code = (
        "import django, os, sys; "
        "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'avatarsaas.settings');"
        "django.setup(); import avatarsaas.urls, generation.web.views, generation.api.jobs, "
        "tenants.views, styles.models; from django.test import Client;"
        "assert 'torch' not in sys.modules, 'torch imported'; "
        "assert 'diffusers' not in sys.modules and 'open_clip' not in sys.modules; print('ok')"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0 and "ok" in result.stdout, result.stderr[-2000:]


def test_admin_file_view_is_staff_only(client, tenant):
    from tests.cross_tenant.routes_generation import _image
    from tests.factories import make_user, owner_of

    f = _image(tenant).files.first()
    client.force_login(owner_of(tenant))
    assert client.get(f"/admin/files/{f.pk}/").status_code == 302  # to the admin login
    client.force_login(make_user(is_staff=True))
    assert client.get(f"/admin/files/{f.pk}/").status_code == 200
