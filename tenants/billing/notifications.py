"""Low-balance notice: an email to owners/admins and a `credits.low` tenant webhook, at most once
a day per tenant.

Call ``maybe_notify_low_balance(tenant)`` after credits go down (a job's reservation). Inside a
transaction it waits for the commit, so a rolled-back reservation never sends mail.
"""

from __future__ import annotations

import logging
from functools import partial

from django.conf import settings
from django.core.cache import cache
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from core.events import webhook_event
from tenants.language import by_language
from tenants.models import Membership, Tenant
from tenants.roles import Role

logger = logging.getLogger(__name__)
NOTICE_INTERVAL_S = 24 * 3600


def low_balance_threshold() -> int:
    return int(getattr(settings, "AVATARSAAS_LOW_BALANCE_THRESHOLD", 20))


def notice_cache_key(tenant_id) -> str:
    return f"billing:credits-low:{tenant_id}"


def maybe_notify_low_balance(tenant: Tenant, balance: int | None = None) -> None:
    """Schedule the check for after the current transaction commits (now, outside one).
    ``balance``: the balance the caller just wrote, when known; at or over the threshold the
    check then needs no read."""
    transaction.on_commit(partial(notify_if_low, tenant.pk, balance))


def notify_if_low(tenant_id, balance: int | None = None) -> bool:
    """Send the notice if the balance is under the threshold and none went out in 24 hours."""
    threshold = low_balance_threshold()
    if balance is not None and balance >= threshold:
        return False
    tenant = Tenant.objects.filter(pk=tenant_id).first()
    if tenant is None or tenant.credit_balance >= threshold:
        return False
    # cache.add is atomic (SET NX on Redis), so concurrent jobs send one notice, not several.
    try:
        first = cache.add(notice_cache_key(tenant.pk), tenant.credit_balance, NOTICE_INTERVAL_S)
    except Exception:  # noqa: BLE001 - runs after a submit commits: an outage must not 500 it
        logger.warning("cache unavailable: low-balance notice for %s skipped", tenant.pk)
        return False
    if not first:
        return False
    data = {
        "tenant_id": str(tenant.pk),
        "balance": tenant.credit_balance,
        "threshold": threshold,
        "billing_url": settings.SITE_URL.rstrip("/") + reverse("billing"),
    }
    _email_admins(tenant, data)
    _emit_webhook(tenant, data)
    return True


def _email_admins(tenant: Tenant, data: dict) -> None:
    admins = [
        m.user
        for m in Membership.objects.for_tenant(tenant)
        .filter(role__in=[Role.OWNER, Role.ADMIN], user__is_active=True)
        .exclude(user__email="")
        .select_related("user")
    ]
    # One email per language, each admin reading it in theirs.
    for language, users in by_language(admins).items():
        with translation.override(language):
            subject = gettext("%(name)s: only %(balance)s AvatarSaaS credits left") % {
                "name": tenant.name,
                "balance": data["balance"],
            }
            message = gettext(
                "Your workspace %(name)s has %(balance)s credits left (below %(threshold)s). "
                "New avatar jobs fail once credits run out.\n\n"
                "Buy a credit pack or change your plan: %(url)s\n"
            ) % {
                "name": tenant.name,
                "balance": data["balance"],
                "threshold": data["threshold"],
                "url": data["billing_url"],
            }
        try:
            send_mail(
                subject=subject,
                message=message,
                from_email=None,
                recipient_list=[u.email for u in users],
            )
        except Exception:
            logger.exception("Could not send the low-balance email for tenant %s", tenant.pk)


def _emit_webhook(tenant: Tenant, data: dict) -> None:
    try:
        webhook_event.send(sender=Tenant, tenant=tenant, event_type="credits.low", data=data)
    except Exception:
        logger.exception("Could not queue the credits.low webhook for tenant %s", tenant.pk)
