"""State pack pages, preset states and refusals: the dashboard button and page, the files,
preset validation, and clear 4xx answers."""

from __future__ import annotations

import pytest

from generation.models import GenerationJob, StatePack
from generation.worker import runner
from styles.models import StylePreset
from tests.factories import api_client_for

pytestmark = pytest.mark.django_db


def test_dashboard_makes_a_pack_and_shows_the_preview(no_models, tenant, owner_client, make_picked):
    image = make_picked(tenant)
    page = owner_client.get(f"/jobs/{image.job_id}/")
    assert b"Make a state pack" in page.content
    response = owner_client.post(f"/images/{image.pk}/state-pack/")
    pack = StatePack.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/state-packs/{pack.pk}/"
    rendering = owner_client.get(f"/state-packs/{pack.pk}/")
    assert b"Animated preview" not in rendering.content  # not before the job is done
    assert owner_client.get(f"/state-packs/{pack.pk}/files/zip").status_code == 404
    runner.process_one("t")
    page = owner_client.get(f"/state-packs/{pack.pk}/")
    assert b"Animated preview" in page.content and b"blink.webp" in page.content
    webp = owner_client.get(f"/state-packs/{pack.pk}/files/blink.webp")
    assert webp.status_code == 200 and webp["Content-Type"] == "image/webp"
    archive = owner_client.get(f"/state-packs/{pack.pk}/files/zip")
    assert archive["Content-Type"] == "application/zip"
    assert "attachment" in archive["Content-Disposition"]
    # The pack's own job page links back to the pack, and offers no pack of a pack.
    job_page = owner_client.get(f"/jobs/{pack.job_id}/")
    assert b"state pack" in job_page.content and b"Make a state pack" not in job_page.content
    assert b"Re-render" not in job_page.content and b"Vary seeds" not in job_page.content
    refused = owner_client.post(f"/jobs/{pack.job_id}/vary/")
    assert (
        refused.status_code == 302 and GenerationJob.objects.filter(mode="statepack").count() == 1
    )


def test_preset_states_are_validated_and_used(no_models, tenant, make_picked):
    client = api_client_for(tenant, scopes=["jobs:write", "jobs:read", "styles:write"])
    preset = StylePreset.objects.create(tenant=tenant, slug="b", name="B", engine="vector")
    url = f"/api/v1/presets/{preset.pk}/"
    for bad in (["neutral", "grumpy"], ["happy", "happy"], "happy", ["happy"] * 9):
        response = client.patch(url, {"state_pack_states": bad}, format="json")
        assert response.status_code == 400, bad
        assert response.json()["error"]["field"].startswith("state_pack_states"), bad
    response = client.patch(url, {"state_pack_states": ["sleeping", "happy"]}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["state_pack_states"] == ["sleeping", "happy"]
    bad_weight = client.patch(url, {"palette_weight": 2}, format="json")
    assert bad_weight.status_code == 400 and bad_weight.json()["error"]["field"] == "palette_weight"
    image = make_picked(tenant, preset=str(preset.pk))
    body = client.post(f"/api/v1/images/{image.pk}/state-pack/", format="json").json()
    assert body["states"] == ["sleeping", "happy"] and body["cost_credits"] == 2


def test_refusals_are_clear(no_models, tenant, make_picked):
    client = api_client_for(tenant)
    image = make_picked(tenant)
    body = client.post(f"/api/v1/images/{image.pk}/state-pack/", format="json").json()
    runner.process_one("t")
    state = StatePack.objects.get(pk=body["id"]).job.images.first()
    again = client.post(f"/api/v1/images/{state.pk}/state-pack/", format="json")
    assert again.status_code == 400 and again.json()["error"]["code"] == "already_a_state"
    rerender = client.post(f"/api/v1/images/{state.pk}/rerender/")
    assert rerender.status_code == 400 and rerender.json()["error"]["code"] == "state_pack_image"
    missing = client.get(f"/api/v1/state-packs/{body['id']}/files/nope/")
    assert missing.status_code == 404 and "zip" in missing.json()["error"]["message"]
    read_only = api_client_for(tenant, scopes=["jobs:read"])
    assert read_only.post(f"/api/v1/images/{image.pk}/state-pack/").status_code == 403
    assert StatePack.objects.count() == 1
