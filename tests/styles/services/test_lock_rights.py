"""Who may lock presets and change a locked one (issue 18, finding 3).

Each attack goes over the API with an API key holding `styles:write` (everything the old code
let such a key do) and checks both the refusal and that the database did not change. Owner
and admin sessions are the positive controls: they still lock and edit.
"""

import pytest
from rest_framework.test import APIClient

from core.errors import NotAllowed
from styles.models import BrandKitSettings, StylePreset
from styles.services import presets
from tenants.actors import Actor
from tests.api.conftest import key_client
from tests.cross_tenant.routes_styles import _adapter
from tests.factories import make_member, owner_of
from tests.styles.conftest import png_bytes, upload

pytestmark = pytest.mark.django_db
RULES = {"steps": {"min": 20, "max": 30}, "n": {"max": 2}}


@pytest.fixture
def locked(tenant):
    return presets.create_preset(
        tenant=tenant,
        actor=Actor(user=owner_of(tenant)),
        name="Acme locked",
        engine="vector",
        is_locked=True,
        lock_rules=RULES,
    )


@pytest.fixture
def writer(tenant):
    return key_client(tenant, ["styles:read", "styles:write", "jobs:write"])


def _session(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def _error(response):
    body = response.json()["error"]
    return response.status_code, body["code"], body.get("field")


def test_api_key_cannot_create_a_locked_preset(tenant, writer):
    response = writer.post("/api/v1/presets/", {"name": "Lock", "is_locked": True}, format="json")
    assert _error(response) == (403, "brand_lock", "is_locked")
    response = writer.post(
        "/api/v1/presets/", {"name": "Rules", "lock_rules": {"n": {"max": 8}}}, format="json"
    )
    assert _error(response) == (403, "brand_lock", "lock_rules")
    assert not StylePreset.objects.filter(tenant=tenant).exists()


def test_api_key_cannot_unlock_or_rewrite_an_owners_locked_preset(tenant, writer, locked):
    url = f"/api/v1/presets/{locked.pk}/"
    for body, field in [
        ({"is_locked": False}, "is_locked"),
        ({"lock_rules": {}}, "lock_rules"),
        ({"lock_rules": {"steps": {"min": 1, "max": 100}}}, "lock_rules"),
        ({"prompt_template": "anything goes, {subject}"}, "preset"),
        ({"steps": 25}, "preset"),
        ({"is_locked": True, "name": "renamed"}, "preset"),  # lock unchanged, name is an edit
    ]:
        response = writer.patch(url, body, format="json")
        assert _error(response) == (403, "brand_lock", field), body
    assert _error(writer.delete(url)) == (403, "brand_lock", "preset")
    locked.refresh_from_db()
    assert locked.is_locked and locked.lock_rules == RULES and locked.name == "Acme locked"


def test_api_key_cannot_change_a_locked_presets_references_or_adapter(tenant, writer, locked):
    response = writer.post(
        f"/api/v1/presets/{locked.pk}/references/",
        {"file": upload("ref.png", png_bytes(1, size=64))},
        format="multipart",
    )
    assert _error(response) == (403, "brand_lock", "preset")
    ref = presets.add_reference_image(
        tenant=tenant,
        actor=Actor(user=owner_of(tenant)),
        preset_id=locked.pk,
        upload=upload("ref.png", png_bytes(2, size=64)),
    )
    assert _error(writer.delete(f"/api/v1/references/{ref.pk}/")) == (403, "brand_lock", "preset")
    adapter = _adapter(tenant)
    response = writer.post(
        f"/api/v1/presets/{locked.pk}/activate-adapter/",
        {"adapter": str(adapter.pk)},
        format="json",
    )
    assert _error(response) == (403, "brand_lock", "preset")
    locked.refresh_from_db()
    assert locked.references.count() == 1 and locked.active_adapter_id is None


def test_key_restricted_to_a_preset_cannot_modify_it(tenant):
    own = presets.create_preset(
        tenant=tenant, actor=Actor(user=owner_of(tenant)), name="Bot style", engine="vector"
    )
    client = key_client(tenant, ["styles:read", "styles:write"], allowed_presets=[str(own.pk)])
    url = f"/api/v1/presets/{own.pk}/"
    response = client.patch(url, {"prompt_template": "off-brand {subject}"}, format="json")
    assert _error(response) == (403, "key_restricted", "preset")
    assert _error(client.delete(url)) == (403, "key_restricted", "preset")
    response = client.post(
        f"/api/v1/presets/{own.pk}/references/",
        {"file": upload("ref.png", png_bytes(3, size=64))},
        format="multipart",
    )
    assert _error(response) == (403, "key_restricted", "preset")
    own.refresh_from_db()
    assert "off-brand" not in own.prompt_template and not own.references.exists()


def test_api_key_copy_of_a_locked_preset_starts_unlocked_and_cannot_pass_the_policy(
    tenant, writer, locked
):
    presets.set_locked_presets_only(tenant=tenant, actor=Actor(user=owner_of(tenant)), enabled=True)
    response = writer.post(
        "/api/v1/presets/",
        {"copy_of": str(locked.pk), "name": "Mine", "prompt_template": "anything {subject}"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["is_locked"] is False and body["lock_rules"] == RULES
    job = writer.post(
        "/api/v1/jobs/", {"description": "a robot", "preset": body["id"]}, format="json"
    )
    assert _error(job) == (403, "brand_lock", "preset")


def test_api_key_cannot_change_the_brand_kit_policy(tenant):
    key_actor = Actor(api_key=key_client(tenant, ["styles:write"]).key)
    presets.set_locked_presets_only(tenant=tenant, actor=Actor(user=owner_of(tenant)), enabled=True)
    with pytest.raises(NotAllowed) as exc:
        presets.set_locked_presets_only(tenant=tenant, actor=key_actor, enabled=False)
    assert exc.value.field == "locked_presets_only" and exc.value.code == "brand_lock"
    assert BrandKitSettings.objects.get(tenant=tenant).locked_presets_only


def test_sending_the_current_lock_values_back_is_not_a_lock_change(tenant, writer):
    created = writer.post(
        "/api/v1/presets/",
        {"name": "Round trip", "is_locked": False, "lock_rules": {}},
        format="json",
    )
    assert created.status_code == 201, created.json()
    response = writer.patch(
        f"/api/v1/presets/{created.json()['id']}/",
        {"name": "Round trip 2", "is_locked": False, "lock_rules": {}},
        format="json",
    )
    assert response.status_code == 200 and response.json()["name"] == "Round trip 2"


@pytest.mark.parametrize("role", ["owner", "admin"])
def test_owner_and_admin_sessions_lock_edit_and_unlock(tenant, locked, role):
    user = owner_of(tenant) if role == "owner" else make_member(tenant, "admin")
    client = _session(user)
    url = f"/api/v1/presets/{locked.pk}/"
    response = client.patch(url, {"steps": 25, "lock_rules": {"n": {"max": 4}}}, format="json")
    assert response.status_code == 200, response.json()
    assert client.patch(url, {"is_locked": False}, format="json").json()["is_locked"] is False
    created = client.post("/api/v1/presets/", {"name": "New", "is_locked": True}, format="json")
    assert created.status_code == 201 and created.json()["is_locked"] is True


def test_members_cannot_touch_locked_presets(tenant, locked):
    client = _session(make_member(tenant, "member"))
    url = f"/api/v1/presets/{locked.pk}/"
    assert client.patch(url, {"is_locked": False}, format="json").status_code == 403
    with pytest.raises(NotAllowed):
        presets.update_preset(
            tenant=tenant,
            actor=Actor(user=make_member(tenant, "viewer")),
            preset_id=locked.pk,
            is_locked=False,
        )
    locked.refresh_from_db()
    assert locked.is_locked
