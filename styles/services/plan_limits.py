"""Per-plan count limits on what a workspace keeps (presets, datasets).

The check runs inside the create's transaction under a row lock on the tenant, so two
concurrent creates cannot both see room for one more: the second waits for the first to
commit and then counts its row. (SQLite serialises writers anyway; PostgreSQL needs the lock.)
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext

from core.errors import Conflict
from tenants.models import Tenant

LIMIT_CODE = "limit_reached"


def require_room(*, tenant: Tenant, rows: QuerySet, limit_field: str, noun: str) -> None:
    """Refuse (409 `limit_reached`, field `limit_field`) when `rows` already holds the plan's
    `limit_field` (a Plan field, e.g. `max_presets`) of them. Call it in the create's
    transaction, before the insert."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("require_room must run inside the create's transaction")
    # of=("self",): lock the tenant row only, not the plan row every workspace shares.
    locked = Tenant.objects.select_for_update(of=("self",)).select_related("plan").get(pk=tenant.pk)
    limit = getattr(locked.plan, limit_field)
    if rows.count() >= limit:
        raise Conflict(
            gettext(
                "The %(name)s plan keeps at most %(limit)s %(noun)s; delete one or "
                "upgrade the plan to add more."
            )
            % {"name": locked.plan.name, "limit": limit, "noun": noun},
            field=limit_field,
            code=LIMIT_CODE,
            extra={"limit": limit},
        )
