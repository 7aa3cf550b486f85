"""Variations and region edits are jobs like any other: they count toward a key's quota."""

import base64
import io

import pytest
from django.core.files.storage import default_storage
from PIL import Image

from generation.models import GenerationJob
from generation.worker import runner
from tests.api.conftest import key_client

pytestmark = pytest.mark.django_db


def test_variations_and_edits_count_toward_the_monthly_quota(
    api_tenant, no_models, django_capture_on_commit_callbacks
):
    client = key_client(api_tenant, monthly_quota=2)
    job = client.post(
        "/api/v1/jobs/", {"description": "a blue robot", "n": 1, "size": 64}, format="json"
    )
    assert job.status_code == 201
    runner.process_one("t")
    image = GenerationJob.objects.get().images.get()
    assert client.post(f"/api/v1/images/{image.pk}/vary/", {}, format="json").status_code == 201

    buf = io.BytesIO()
    Image.new("L", (64, 64), 255).save(buf, format="PNG")
    body = {"mask": base64.b64encode(buf.getvalue()).decode(), "prompt": "a hat"}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/api/v1/images/{image.pk}/edit/", body, format="json")
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "quota_exceeded"
    assert GenerationJob.objects.count() == 2
    # The refused edit's mask was stored before the quota said no; it is not left behind.
    _, masks = default_storage.listdir(f"tenants/{api_tenant.pk}/masks")
    assert masks == []
