"""Presets over the API: the built-in library, copy/edit/delete, scopes, cursor pages."""

import pytest
from rest_framework.test import APIClient

from styles.models import StylePreset
from tests.factories import api_client_for, owner_of

pytestmark = pytest.mark.django_db
BUILTINS = {
    "cartoon",
    "realistic",
    "abstract",
    "3d-render",
    "pixel-art",
    "anime",
    "flat-vector",
    "clay",
}


def test_builtin_library_is_seeded_by_migration(db):
    builtins = StylePreset.objects.filter(tenant=None)
    assert set(builtins.values_list("slug", flat=True)) == BUILTINS
    for preset in builtins:
        assert "{subject}" in preset.prompt_template and preset.negative_prompt
        assert preset.steps and preset.scheduler and preset.guidance_scale


def test_copy_edit_lock_and_delete(tenant):
    client = api_client_for(tenant, ["styles:read", "styles:write"])
    clay = StylePreset.objects.get(tenant=None, slug="clay")
    response = client.post(
        "/api/v1/presets/",
        {"copy_of": str(clay.pk), "name": "Acme clay", "palette": ["#112233"]},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["prompt_template"] == clay.prompt_template and body["palette"] == ["#112233"]
    assert body["is_builtin"] is False
    preset_id = body["id"]

    # Locking is for owners and admins signed in (tests/styles/test_lock_rights.py): a key
    # gets 403, the owner's session locks it.
    lock = {"is_locked": True, "lock_rules": {"steps": {"min": 20, "max": 30}}, "steps": 22}
    assert client.patch(f"/api/v1/presets/{preset_id}/", lock, format="json").status_code == 403
    owner = APIClient()
    owner.force_login(owner_of(tenant))
    bad = owner.patch(f"/api/v1/presets/{preset_id}/", {"lock_rules": {"colour": 1}}, format="json")
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "lock_rules"
    response = owner.patch(f"/api/v1/presets/{preset_id}/", lock, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["is_locked"] is True
    owner.patch(f"/api/v1/presets/{preset_id}/", {"is_locked": False}, format="json")
    bad = client.patch(
        f"/api/v1/presets/{preset_id}/", {"prompt_template": "no subject"}, format="json"
    )
    assert bad.json()["error"]["field"] == "prompt_template"
    for attrs, field in [
        ({"wings": "big"}, "default_attributes"),
        ({"hair_color": "red\u0000"}, "default_attributes.hair_color"),
        ([1], "default_attributes"),
    ]:
        bad = client.patch(
            f"/api/v1/presets/{preset_id}/", {"default_attributes": attrs}, format="json"
        )
        assert bad.status_code == 400 and bad.json()["error"]["field"] == field
    good = client.patch(
        f"/api/v1/presets/{preset_id}/",
        {"default_attributes": {"colors": "teal, gold"}},
        format="json",
    )
    assert good.json()["default_attributes"] == {"colors": ["teal", "gold"]}

    builtin = client.patch(f"/api/v1/presets/{clay.pk}/", {"steps": 5}, format="json")
    assert builtin.status_code == 403

    assert client.delete(f"/api/v1/presets/{preset_id}/").status_code == 204
    assert client.get(f"/api/v1/presets/{preset_id}/").status_code == 404


def test_scopes_are_required(tenant):
    reader = api_client_for(tenant, ["styles:read"])
    assert reader.get("/api/v1/presets/").status_code == 200
    response = reader.post("/api/v1/presets/", {"name": "x"}, format="json")
    assert response.status_code == 403
    assert "styles:write" in response.json()["error"]["message"]
    nobody = api_client_for(tenant, ["jobs:read"])
    assert nobody.get("/api/v1/presets/").status_code == 403


def test_list_is_cursor_paginated_and_tenant_scoped(tenant, other_tenant):
    mine = api_client_for(tenant, ["styles:read", "styles:write"])
    theirs = api_client_for(other_tenant, ["styles:read", "styles:write"])
    for i in range(3):
        mine.post("/api/v1/presets/", {"name": f"Mine {i}"}, format="json")
    theirs.post("/api/v1/presets/", {"name": "Theirs"}, format="json")

    seen, url = [], "/api/v1/presets/?page_size=4"
    while url:
        page = mine.get(url).json()
        seen += [p["name"] for p in page["results"]]
        url = page["next"]
    assert len(seen) == len(BUILTINS) + 3
    assert "Theirs" not in seen
    assert mine.get("/api/v1/presets/?cursor=garbage").status_code == 400
