"""Setting key limits: one validated service used by the command line, the dashboard and admin."""

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from core.errors import InvalidInput, NotAllowed
from styles.models import StylePreset
from tenants import services
from tenants.actors import Actor
from tenants.key_limits import KeyLimits, current_limits, set_key_limits
from tenants.models import ApiKey, AuditEvent
from tests.factories import make_member, make_tenant, owner_of

pytestmark = pytest.mark.django_db


def _owner(tenant):
    return Actor(user=owner_of(tenant))


def _preset(tenant, slug="brand"):
    return StylePreset.objects.create(tenant=tenant, slug=slug, name=slug, engine="vector")


def test_created_key_with_limits_is_enforced(api_tenant):
    preset = _preset(api_tenant)
    key, plaintext = services.create_api_key(
        tenant=api_tenant,
        actor=_owner(api_tenant),
        name="kiosk",
        scopes=["jobs:write", "jobs:read"],
        limits=KeyLimits(allowed_presets=[str(preset.pk)], max_n=2),
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    body = {"description": "a robot", "n": 2}
    assert client.post("/api/v1/jobs/", body, format="json").json()["error"]["field"] == "preset"
    ok = client.post("/api/v1/jobs/", {**body, "preset": str(preset.pk)}, format="json")
    assert ok.status_code == 201, ok.json()
    too_many = client.post(
        "/api/v1/jobs/", {**body, "preset": str(preset.pk), "n": 3}, format="json"
    )
    assert too_many.status_code == 403 and too_many.json()["error"]["field"] == "n"
    event = AuditEvent.objects.get(tenant=api_tenant, action="api_key.created")
    assert event.metadata["limits"]["max_n"] == 2


@pytest.mark.parametrize(
    "limits,field",
    [
        (KeyLimits(allowed_engines=["dalle"]), "allowed_engines"),
        (KeyLimits(allowed_presets=["not-a-uuid"]), "allowed_presets"),
        (KeyLimits(max_n=0), "max_n"),
        (KeyLimits(max_n=99), "max_n"),
        (KeyLimits(max_size=333), "max_size"),
        (KeyLimits(monthly_quota=0), "monthly_quota"),
        (KeyLimits(requests_per_minute=-5), "requests_per_minute"),
    ],
)
def test_bad_limits_name_the_field(api_tenant, limits, field):
    key, _ = services.create_api_key(
        tenant=api_tenant, actor=_owner(api_tenant), name="k", scopes=["jobs:read"]
    )
    with pytest.raises(InvalidInput) as info:
        set_key_limits(tenant=api_tenant, actor=_owner(api_tenant), key=key, limits=limits)
    assert info.value.field == field
    key.refresh_from_db()
    assert current_limits(key) == KeyLimits()


def test_cannot_lock_a_key_to_another_workspaces_preset(api_tenant):
    other = make_tenant("Other Brand")
    theirs = _preset(other, "theirs")
    key, _ = services.create_api_key(
        tenant=api_tenant, actor=_owner(api_tenant), name="k", scopes=["jobs:read"]
    )
    with pytest.raises(InvalidInput) as info:
        set_key_limits(
            tenant=api_tenant,
            actor=_owner(api_tenant),
            key=key,
            limits=KeyLimits(allowed_presets=[str(theirs.pk)]),
        )
    assert info.value.field == "allowed_presets"
    with pytest.raises(InvalidInput):  # nor change another workspace's key
        set_key_limits(tenant=other, actor=_owner(other), key=key, limits=KeyLimits(max_n=1))


def test_changes_are_audited_and_need_manage_keys(api_tenant):
    key, _ = services.create_api_key(
        tenant=api_tenant, actor=_owner(api_tenant), name="k", scopes=["jobs:read"]
    )
    member = Actor(user=make_member(api_tenant, "member"))
    with pytest.raises(NotAllowed):
        set_key_limits(tenant=api_tenant, actor=member, key=key, limits=KeyLimits(max_n=1))
    set_key_limits(
        tenant=api_tenant,
        actor=_owner(api_tenant),
        key=key,
        limits=KeyLimits(allowed_engines=["vector", "vector"], monthly_quota=100),
    )
    key.refresh_from_db()
    assert key.allowed_engines == ["vector"] and key.monthly_quota == 100
    event = AuditEvent.objects.get(tenant=api_tenant, action="api_key.limits_changed")
    assert event.metadata["before"]["monthly_quota"] is None
    assert event.metadata["after"]["monthly_quota"] == 100


def test_command_line_limits(api_tenant, capsys):
    call_command(
        "create_api_key",
        "--tenant",
        api_tenant.slug,
        "--engines",
        "vector",
        "--max-size",
        "256",
        "--monthly-quota",
        "50",
    )
    plaintext = capsys.readouterr().out.strip()
    key = ApiKey.objects.get(tenant=api_tenant, prefix=plaintext.split("_")[1])
    assert (key.allowed_engines, key.max_size, key.monthly_quota) == (["vector"], 256, 50)


def test_dashboard_creates_and_edits_limits(owner_client, tenant):
    preset = _preset(tenant)
    response = owner_client.post(
        "/settings/api-keys/",
        {
            "name": "kiosk",
            "scopes": ["jobs:write"],
            "limits-allowed_presets": [str(preset.pk)],
            "limits-max_size": "256",
        },
    )
    assert response.status_code == 200 and b"ask_" in response.content
    key = ApiKey.objects.get(tenant=tenant, name="kiosk")
    assert key.allowed_presets == [str(preset.pk)] and key.max_size == 256

    url = f"/settings/api-keys/{key.pk}/limits/"
    page = owner_client.get(url)
    assert page.status_code == 200 and b'value="256" selected' in page.content
    bad = owner_client.post(url, {"max_n": "99"})
    assert bad.status_code == 200 and b"max_n must be between 1 and" in bad.content
    key.refresh_from_db()
    assert key.max_n is None and key.max_size == 256  # nothing half-saved
    assert owner_client.post(url, {"monthly_quota": "10"}).status_code == 302
    key.refresh_from_db()
    assert (key.allowed_presets, key.max_size, key.monthly_quota) == ([], None, 10)


def test_members_cannot_open_key_limits(client, tenant):
    key, _ = services.create_api_key(
        tenant=tenant, actor=_owner(tenant), name="k", scopes=["jobs:read"]
    )
    client.force_login(make_member(tenant, "member"))
    assert client.get(f"/settings/api-keys/{key.pk}/limits/").status_code == 403
