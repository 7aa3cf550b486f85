from __future__ import annotations

from typing import Any

from tenants.actors import Actor
from tenants.models import AuditEvent, Tenant


def record_event(
    *,
    tenant: Tenant | None,
    actor: Actor,
    action: str,
    target: Any = None,
    metadata: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit event; call inside the service's transaction so both land or neither."""
    return AuditEvent.objects.create(
        tenant=tenant,
        actor_user=actor.user,
        actor_api_key=actor.api_key,
        action=action,
        target_type=type(target).__name__ if target is not None else "",
        target_id=str(getattr(target, "pk", "")) if target is not None else "",
        metadata=metadata or {},
        ip=actor.ip,
    )
