"""Adapter versions on presets: activate, roll back, deprecate; only ready ones render."""

import hashlib

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from core.errors import Conflict
from generation.jobs.render_config import render_config_for
from styles.models import LoraAdapter
from styles.services import adapters, presets
from tenants.actors import Actor
from tenants.models import AuditEvent
from tests.factories import api_client_for, owner_of

pytestmark = pytest.mark.django_db


def _adapter(tenant, version: int, data: bytes = b"weights") -> LoraAdapter:
    name = default_storage.save(
        f"tenants/{tenant.pk}/adapters/v{version}.safetensors", ContentFile(data)
    )
    return LoraAdapter.objects.create(
        tenant=tenant,
        name="Mascot",
        version=version,
        weights=name,
        size_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        trigger_word="acmebot",
    )


@pytest.fixture
def preset(tenant):
    return presets.create_preset(
        tenant=tenant, actor=Actor(user=owner_of(tenant)), name="Acme", engine="vector"
    )


def test_activate_rollback_and_render_config(tenant, preset):
    owner = Actor(user=owner_of(tenant))
    v1, v2 = _adapter(tenant, 1), _adapter(tenant, 2)
    adapters.activate_adapter(tenant=tenant, actor=owner, preset_id=preset.pk, adapter_id=v1.pk)
    adapters.activate_adapter(
        tenant=tenant, actor=owner, preset_id=preset.pk, adapter_id=v2.pk, strength=0.6
    )
    preset.refresh_from_db()
    config = render_config_for(preset)
    assert config.adapter.version_id == str(v2.pk) and config.adapter.strength == 0.6
    assert config.adapter.path.endswith(".safetensors")
    assert config.trigger_word == "acmebot"

    adapters.rollback_adapter(tenant=tenant, actor=owner, preset_id=preset.pk)
    preset.refresh_from_db()
    assert preset.active_adapter == v1
    adapters.rollback_adapter(tenant=tenant, actor=owner, preset_id=preset.pk)
    preset.refresh_from_db()
    assert preset.active_adapter is None and render_config_for(preset).adapter is None
    actions = set(AuditEvent.objects.filter(tenant=tenant).values_list("action", flat=True))
    assert {"adapter.activated", "adapter.rolled_back"} <= actions


def test_deprecate_is_refused_while_active_and_deprecated_cannot_be_activated(tenant, preset):
    owner = Actor(user=owner_of(tenant))
    v1 = _adapter(tenant, 1)
    adapters.activate_adapter(tenant=tenant, actor=owner, preset_id=preset.pk, adapter_id=v1.pk)
    with pytest.raises(Conflict, match="roll back"):
        adapters.deprecate_adapter(tenant=tenant, actor=owner, adapter_id=v1.pk)
    adapters.rollback_adapter(tenant=tenant, actor=owner, preset_id=preset.pk)
    adapters.deprecate_adapter(tenant=tenant, actor=owner, adapter_id=v1.pk)
    with pytest.raises(Conflict, match="only ready adapters"):
        adapters.activate_adapter(tenant=tenant, actor=owner, preset_id=preset.pk, adapter_id=v1.pk)


def test_rollback_skips_deprecated_versions(tenant, preset):
    owner = Actor(user=owner_of(tenant))
    v1, v2, v3 = (_adapter(tenant, v) for v in (1, 2, 3))
    for v in (v1, v2, v3):
        adapters.activate_adapter(tenant=tenant, actor=owner, preset_id=preset.pk, adapter_id=v.pk)
    LoraAdapter.objects.filter(pk=v2.pk).update(status="deprecated")
    adapters.rollback_adapter(tenant=tenant, actor=owner, preset_id=preset.pk)
    preset.refresh_from_db()
    assert preset.active_adapter == v1


def test_adapter_api_activate_and_deprecate(tenant, preset):
    client = api_client_for(tenant, ["styles:read", "styles:write"])
    v1 = _adapter(tenant, 1)
    response = client.post(
        f"/api/v1/presets/{preset.pk}/activate-adapter/",
        {"adapter": str(v1.pk), "strength": 0.9},
        format="json",
    )
    assert response.status_code == 200 and response.json()["active_adapter"] == str(v1.pk)
    assert client.post(f"/api/v1/adapters/{v1.pk}/deprecate/").status_code == 409
    assert client.get("/api/v1/adapters/").json()["results"][0]["sha256"] == v1.sha256
