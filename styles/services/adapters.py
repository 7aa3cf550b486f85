"""LoRA adapter versions: where their weights are on this machine, activate, roll back,
deprecate. Only `ready` adapters can be activated or rendered with."""

from __future__ import annotations

import hashlib
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage, default_storage
from django.db import transaction
from django.utils.translation import gettext

from core.errors import Conflict, NotFound
from styles.models import LoraAdapter, StylePreset
from styles.services.locks import require_lock_rights
from styles.services.presets import get_own_preset, require_manage, validate_strength
from tenants.actors import Actor
from tenants.audit import record_event
from tenants.models import Tenant

MAX_STRENGTH = 2.0


def local_weights_path(adapter: LoraAdapter) -> Path:
    """A local file holding the adapter's weights (diffusers loads from local paths only).

    On local storage that is the stored file itself; on S3 the weights are downloaded once
    into AVATARSAAS_ADAPTER_CACHE (named by sha256, so a cached copy is never stale).
    """
    if isinstance(default_storage, FileSystemStorage):
        return Path(default_storage.path(adapter.weights.name))
    cache = Path(getattr(settings, "AVATARSAAS_ADAPTER_CACHE", settings.VAR_DIR / "adapters"))
    target = cache / f"{adapter.sha256}.safetensors"
    if not target.exists():
        cache.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".part")
        digest = hashlib.sha256()
        with default_storage.open(adapter.weights.name, "rb") as src, partial.open("wb") as dst:
            for chunk in iter(lambda: src.read(1 << 20), b""):
                digest.update(chunk)
                dst.write(chunk)
        if digest.hexdigest() != adapter.sha256:
            partial.unlink(missing_ok=True)
            raise Conflict(
                gettext("Stored weights of %(adapter)s do not match their sha256.")
                % {"adapter": adapter}
            )
        partial.replace(target)
    return target


def get_adapter(*, tenant: Tenant, adapter_id) -> LoraAdapter:
    try:
        return LoraAdapter.objects.for_tenant(tenant).get(pk=adapter_id)
    except (LoraAdapter.DoesNotExist, ValidationError, ValueError) as exc:
        raise NotFound(gettext("No such LoRA adapter in this workspace.")) from exc


def _locked_preset(tenant: Tenant, actor: Actor, preset_id) -> StylePreset:
    preset = get_own_preset(tenant=tenant, preset_id=preset_id)
    preset = StylePreset.objects.select_for_update().get(pk=preset.pk)
    require_lock_rights(tenant=tenant, actor=actor, preset=preset)  # brand-kit locked presets
    return preset


@transaction.atomic
def activate_adapter(
    *, tenant: Tenant, actor: Actor, preset_id, adapter_id, strength: float | None = None
) -> StylePreset:
    """Make `adapter_id` the preset's active LoRA (remembering the previous one for rollback)."""
    require_manage(tenant, actor)
    preset = _locked_preset(tenant, actor, preset_id)
    adapter = get_adapter(tenant=tenant, adapter_id=adapter_id)
    if not adapter.is_usable:
        raise Conflict(
            gettext("%(adapter)s is %(status)s; only ready adapters can be activated.")
            % {"adapter": adapter, "status": adapter.status}
        )
    if strength is not None:
        preset.adapter_strength = validate_strength(strength)
    if preset.active_adapter_id and preset.active_adapter_id != adapter.pk:
        preset.adapter_history = [*preset.adapter_history, str(preset.active_adapter_id)][-20:]
    preset.active_adapter = adapter
    preset.save(update_fields=["active_adapter", "adapter_strength", "adapter_history"])
    record_event(
        tenant=tenant,
        actor=actor,
        action="adapter.activated",
        target=preset,
        metadata={"adapter": str(adapter.pk), "version": adapter.version},
    )
    return preset


@transaction.atomic
def rollback_adapter(*, tenant: Tenant, actor: Actor, preset_id) -> StylePreset:
    """Return to the previously active ready adapter (or to none when there is none)."""
    require_manage(tenant, actor)
    preset = _locked_preset(tenant, actor, preset_id)
    if not preset.active_adapter_id and not preset.adapter_history:
        raise Conflict(gettext("This preset has no adapter to roll back from."))
    history = list(preset.adapter_history)
    previous = None
    while history and previous is None:
        candidate = LoraAdapter.objects.for_tenant(tenant).filter(pk=history.pop()).first()
        if candidate is not None and candidate.is_usable:
            previous = candidate
    from_id = preset.active_adapter_id
    preset.active_adapter = previous
    preset.adapter_history = history
    preset.save(update_fields=["active_adapter", "adapter_history"])
    record_event(
        tenant=tenant,
        actor=actor,
        action="adapter.rolled_back",
        target=preset,
        metadata={"from": str(from_id or ""), "to": str(previous.pk) if previous else ""},
    )
    return preset


@transaction.atomic
def deprecate_adapter(*, tenant: Tenant, actor: Actor, adapter_id) -> LoraAdapter:
    """Retire a version. Refused while a preset still renders with it (roll back first)."""
    require_manage(tenant, actor)
    adapter = get_adapter(tenant=tenant, adapter_id=adapter_id)
    in_use = list(StylePreset.objects.for_tenant(tenant).filter(active_adapter=adapter))
    if in_use:
        names = ", ".join(p.name for p in in_use)
        raise Conflict(
            gettext(
                "%(adapter)s is active on %(names)s; roll back or activate another version first."
            )
            % {"adapter": adapter, "names": names},
            field="adapter",
        )
    adapter.status = LoraAdapter.Status.DEPRECATED
    adapter.save(update_fields=["status"])
    record_event(tenant=tenant, actor=actor, action="adapter.deprecated", target=adapter)
    return adapter
