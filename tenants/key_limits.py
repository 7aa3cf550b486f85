"""Setting what one API key may ask for (brand lock, parameter ranges, quota, rate).

Enforcement lives in ``tenants.key_policy``; this module validates and writes the limits, so
the dashboard, the admin and ``manage.py create_api_key`` all accept the same values.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field

from django.apps import apps
from django.db import transaction
from django.utils.translation import gettext

from core.errors import InvalidInput
from core.vocabulary import ALLOWED_SIZES, ENGINE_NAMES, MAX_N
from tenants.actors import Actor
from tenants.audit import record_event
from tenants.models import ApiKey, Tenant
from tenants.roles import Perm
from tenants.selectors import require_perm


@dataclass(frozen=True)
class KeyLimits:
    """Empty lists and None mean "no restriction"."""

    allowed_presets: list[str] = field(default_factory=list)
    allowed_engines: list[str] = field(default_factory=list)
    max_n: int | None = None
    max_size: int | None = None
    monthly_quota: int | None = None
    requests_per_minute: int | None = None


def clean_limits(*, tenant: Tenant, limits: KeyLimits) -> KeyLimits:
    presets = _clean_presets(tenant, limits.allowed_presets)
    unknown = [e for e in limits.allowed_engines if e not in ENGINE_NAMES]
    if unknown:
        raise InvalidInput(
            gettext("Unknown engine %(unknown)s; use %(engine_names)s.")
            % {"unknown": repr(unknown[0]), "engine_names": ", ".join(ENGINE_NAMES)},
            field="allowed_engines",
        )
    _in_range(limits.max_n, "max_n", 1, MAX_N)
    if limits.max_size is not None and limits.max_size not in ALLOWED_SIZES:
        raise InvalidInput(
            gettext("max_size must be one of %(allowed_sizes)s.")
            % {"allowed_sizes": ", ".join(map(str, ALLOWED_SIZES))},
            field="max_size",
        )
    _in_range(limits.monthly_quota, "monthly_quota", 1, 10_000_000)
    _in_range(limits.requests_per_minute, "requests_per_minute", 1, 100_000)
    return KeyLimits(
        allowed_presets=presets,
        allowed_engines=sorted(set(limits.allowed_engines)),
        max_n=limits.max_n,
        max_size=limits.max_size,
        monthly_quota=limits.monthly_quota,
        requests_per_minute=limits.requests_per_minute,
    )


def set_key_limits(*, tenant: Tenant, actor: Actor, key: ApiKey, limits: KeyLimits) -> ApiKey:
    """Replace a key's limits (audited). The key must belong to ``tenant``."""
    require_perm(tenant=tenant, actor=actor, perm=Perm.MANAGE_KEYS)
    if key.tenant_id != tenant.pk:
        raise InvalidInput(gettext("Unknown API key."), field="key")
    limits = clean_limits(tenant=tenant, limits=limits)
    with transaction.atomic():
        key = ApiKey.objects.select_for_update().get(pk=key.pk, tenant=tenant)
        before = current_limits(key)
        for name, value in asdict(limits).items():
            setattr(key, name, value)
        key.save(update_fields=list(asdict(limits)))
        record_event(
            tenant=tenant,
            actor=actor,
            action="api_key.limits_changed",
            target=key,
            metadata={"prefix": key.prefix, "before": asdict(before), "after": asdict(limits)},
        )
    return key


def current_limits(key: ApiKey) -> KeyLimits:
    return KeyLimits(
        allowed_presets=[str(p) for p in key.allowed_presets or []],
        allowed_engines=list(key.allowed_engines or []),
        max_n=key.max_n,
        max_size=key.max_size,
        monthly_quota=key.monthly_quota,
        requests_per_minute=key.requests_per_minute,
    )


def _clean_presets(tenant: Tenant, values: list[str]) -> list[str]:
    ids = []
    for value in values:
        try:
            ids.append(str(uuid.UUID(str(value))))
        except ValueError as exc:
            raise InvalidInput(
                gettext("%(value)s is not a preset id.") % {"value": repr(str(value)[:40])},
                field="allowed_presets",
            ) from exc
    if not ids:
        return []
    preset_model = apps.get_model("styles", "StylePreset")
    # A key may be locked to this workspace's presets or to built-ins, never to another's.
    visible = preset_model.objects.available_to(tenant).filter(pk__in=ids)
    found = {str(pk) for pk in visible.values_list("pk", flat=True)}
    missing = [i for i in ids if i not in found]
    if missing:
        raise InvalidInput(
            gettext("No style preset %(missing)s in this workspace.") % {"missing": missing[0]},
            field="allowed_presets",
        )
    return sorted(set(ids))


def _in_range(value: int | None, name: str, low: int, high: int) -> None:
    if value is not None and not low <= value <= high:
        raise InvalidInput(
            gettext("%(name)s must be between %(low)s and %(high)s.")
            % {"name": name, "low": low, "high": high},
            field=name,
        )
