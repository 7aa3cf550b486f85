"""Brand kit lock: a locked preset bounds parameters and attributes at submit (API and
service), and the workspace setting forces keys and members onto locked presets."""

import pytest

from core.errors import NotAllowed
from generation.jobs import submit as jobs
from styles.models import StylePreset
from styles.services import presets
from tenants.actors import Actor
from tests.factories import api_client_for, make_member, owner_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def locked(tenant, no_models):
    cartoon = StylePreset.objects.get(tenant=None, slug="cartoon")
    return presets.create_preset(
        tenant=tenant,
        actor=Actor(user=owner_of(tenant)),
        copy_of=cartoon.pk,
        name="Acme locked",
        engine="vector",
        size=256,
        is_locked=True,
        lock_rules={
            "steps": {"min": 20, "max": 30},
            "n": {"max": 2},
            "size": {"allowed": [256, 512]},
            "attributes": {"colors": ["blue", "white"]},
        },
    )


def _submit(client, **body):
    return client.post("/api/v1/jobs/", {"description": "a robot", "n": 1, **body}, format="json")


def test_locked_preset_rejects_out_of_range_parameters_over_the_api(tenant, locked):
    client = api_client_for(tenant)
    ok = _submit(client, preset=str(locked.pk), steps=25)
    assert ok.status_code == 201, ok.json()

    for body, field in [
        ({"steps": 40}, "steps"),
        ({"n": 3}, "n"),
        ({"size": 1024}, "size"),
        ({"description": "a red robot"}, "attributes"),
    ]:
        response = _submit(client, preset=str(locked.pk), **body)
        assert response.status_code == 403, (body, response.json())
        error = response.json()["error"]
        assert error["code"] == "brand_lock" and error["field"] == field
        assert "locked" in error["message"]


def test_lock_applies_to_service_submissions_too(tenant, locked):
    owner = Actor(user=owner_of(tenant))
    with pytest.raises(NotAllowed) as exc:
        jobs.submit_job(
            tenant=tenant,
            actor=owner,
            request=jobs.JobRequest(description="a robot", preset_id=str(locked.pk), steps=99),
        )
    assert exc.value.field == "steps" and "between 20 and 30" in exc.value.message


def test_workspace_setting_forces_keys_and_members_onto_locked_presets(tenant, locked, client):
    owner = Actor(user=owner_of(tenant))
    presets.set_locked_presets_only(tenant=tenant, actor=owner, enabled=True)
    api = api_client_for(tenant)
    response = _submit(api)
    assert response.status_code == 403
    assert response.json()["error"]["field"] == "preset"
    assert "locked style preset" in response.json()["error"]["message"]
    unlocked = StylePreset.objects.get(tenant=None, slug="anime")
    assert _submit(api, preset=str(unlocked.pk)).status_code == 403
    assert _submit(api, preset=str(locked.pk), steps=25).status_code == 201

    member = Actor(user=make_member(tenant, "member"))
    with pytest.raises(NotAllowed):
        jobs.submit_job(tenant=tenant, actor=member, request=jobs.JobRequest(description="a cat"))
    # Owners design the kit and may still try anything.
    job, _ = jobs.submit_job(tenant=tenant, actor=owner, request=jobs.JobRequest(description="x"))
    assert job.pk


def test_setting_off_by_default(tenant, no_models):
    response = _submit(api_client_for(tenant))
    assert response.status_code == 201
