"""The owner's workspace settings: rename, transfer ownership, delete.

Deletion is two-phase, like most SaaS: the owner's request suspends the workspace at once
(members lose access, API keys stop working, running work is canceled and its credits
released) and schedules a purge after a grace period, during which staff can undo it. The
purge (a scheduled task) deletes every row of the workspace and every file under its storage
prefix, and leaves one workspace-less audit record saying it happened.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from core import storage
from core.errors import Conflict, InvalidInput, NotAllowed, NotFound
from tenants.actors import Actor
from tenants.audit import record_event
from tenants.billing.models import StripeSubscription
from tenants.language import in_language_of
from tenants.models import Membership, Tenant
from tenants.roles import Perm, Role, role_allows
from tenants.selectors import role_of
from tenants.signals import workspace_purging, workspace_suspended

logger = logging.getLogger(__name__)


def _require_owner(tenant: Tenant, actor: Actor) -> None:
    if actor.api_key is not None or not role_allows(
        role_of(tenant=tenant, actor=actor), Perm.MANAGE_TENANT
    ):
        raise NotAllowed(gettext("Only the workspace owner can do this."))


def _locked(tenant: Tenant) -> Tenant:
    return Tenant.objects.select_for_update(of=("self",)).get(pk=tenant.pk)


def rename_workspace(*, tenant: Tenant, actor: Actor, name: str) -> Tenant:
    _require_owner(tenant, actor)
    name = (name or "").strip()
    if not name:
        raise InvalidInput(gettext("Give the workspace a name."), field="name")
    if len(name) > 120:
        raise InvalidInput(gettext("Keep the name under 120 characters."), field="name")
    with transaction.atomic():
        locked = _locked(tenant)
        before = locked.name
        locked.name = name
        locked.save(update_fields=["name"])
        record_event(
            tenant=locked,
            actor=actor,
            action="tenant.renamed",
            target=locked,
            metadata={"from": before, "to": name},
        )
    return locked


def transfer_ownership(*, tenant: Tenant, actor: Actor, membership_id) -> Membership:
    """Make another member the owner; the current owner stays on as an admin."""
    _require_owner(tenant, actor)
    with transaction.atomic():
        _locked(tenant)  # one transfer at a time per workspace
        try:
            target = Membership.objects.select_for_update().get(pk=membership_id, tenant=tenant)
        except (Membership.DoesNotExist, ValidationError, ValueError) as exc:
            raise NotFound(gettext("No such member in this workspace.")) from exc
        current = Membership.objects.select_for_update().get(tenant=tenant, user=actor.user)
        if target.pk == current.pk:
            raise InvalidInput(gettext("You already own this workspace."), field="member")
        target.role, current.role = Role.OWNER, Role.ADMIN
        target.save(update_fields=["role"])
        current.save(update_fields=["role"])
        record_event(
            tenant=tenant,
            actor=actor,
            action="tenant.ownership_transferred",
            target=tenant,
            metadata={"to": target.user.email, "from": actor.user.email},
        )
    return target


def schedule_deletion(*, tenant: Tenant, actor: Actor, confirm_slug: str) -> datetime:
    """Suspend the workspace now and schedule its purge; returns when it will be purged."""
    _require_owner(tenant, actor)
    if (confirm_slug or "").strip() != tenant.slug:
        raise InvalidInput(
            gettext("Type the workspace id '%(slug)s' to confirm.") % {"slug": tenant.slug},
            field="confirm_slug",
        )
    if StripeSubscription.objects.for_tenant(tenant).filter(
        status__in=StripeSubscription.ACTIVE_STATUSES
    ):
        raise Conflict(
            gettext(
                "Cancel the subscription on the Billing page first, so nothing is "
                "charged after the workspace is gone."
            ),
            code="subscription_active",
        )
    purge_at = timezone.now() + timedelta(days=settings.AVATARSAAS_DELETION_GRACE_DAYS)
    with transaction.atomic():
        locked = _locked(tenant)
        canceled = _cancel_running_work(locked, actor)
        locked.is_active = False
        locked.deletion_scheduled_at = purge_at
        locked.save(update_fields=["is_active", "deletion_scheduled_at"])
        record_event(
            tenant=locked,
            actor=actor,
            action="tenant.deletion_scheduled",
            target=locked,
            metadata={"purge_at": purge_at.isoformat(), **canceled},
        )
        owner_email = actor.user.email
        with in_language_of(actor.user):
            subject = gettext("%(name)s will be deleted on %(date)s") % {
                "name": locked.name,
                "date": f"{purge_at:%Y-%m-%d}",
            }
            body = gettext(
                "The workspace %(name)s (%(slug)s) was deleted by %(email)s. It is suspended "
                "now, and its data and files are erased on %(when)s UTC. To undo it before "
                "then, sign in and restore it on %(url)s"
            ) % {
                "name": locked.name,
                "slug": locked.slug,
                "email": owner_email,
                "when": f"{purge_at:%Y-%m-%d %H:%M}",
                "url": settings.SITE_URL.rstrip("/") + reverse("workspaces"),
            }
        transaction.on_commit(
            lambda: send_mail(
                subject,
                body,
                settings.DEFAULT_FROM_EMAIL,
                [owner_email],
                fail_silently=True,
            )
        )
    return purge_at


def _cancel_running_work(tenant: Tenant, actor: Actor) -> dict:
    """Cancel queued/running jobs and fine-tunes under review or training, releasing their
    credits through the same services a user's cancel goes through (so each releases once)."""
    canceled: dict = {}
    for _receiver, counts in workspace_suspended.send(sender=Tenant, tenant=tenant, actor=actor):
        canceled.update(counts or {})
    return canceled


def pending_deletion_owned_by(user):
    """Workspaces this user owns that are suspended for deletion and not yet purged."""
    return Tenant.objects.filter(
        memberships__user=user,
        memberships__role=Role.OWNER,
        is_active=False,
        deletion_scheduled_at__isnull=False,
    ).order_by("deletion_scheduled_at")


def restore_own_workspace(*, user, tenant_id, actor: Actor) -> Tenant:
    """The owner undoes their deletion during the grace period (another user's, or a staff
    suspension without a scheduled deletion, answers 404)."""
    try:
        tenant = pending_deletion_owned_by(user).get(pk=tenant_id)
    except (Tenant.DoesNotExist, ValidationError, ValueError) as exc:
        raise NotFound(
            gettext("No workspace of yours is waiting to be deleted with this id.")
        ) from exc
    cancel_deletion(tenant=tenant, actor=actor)
    tenant.refresh_from_db()
    return tenant


def cancel_deletion(*, tenant: Tenant, actor: Actor) -> None:
    """Undo during the grace period: the owner's Restore, or the admin's Reactivate action."""
    with transaction.atomic():
        locked = _locked(tenant)
        was = locked.deletion_scheduled_at
        locked.is_active = True
        locked.deletion_scheduled_at = None
        locked.save(update_fields=["is_active", "deletion_scheduled_at"])
        action = "tenant.deletion_canceled" if was else "tenant.reactivated_by_staff"
        record_event(tenant=locked, actor=actor, action=action, target=locked)


def _stored_files(tenant_id) -> list[str]:
    names, folders = [], [f"tenants/{tenant_id}"]
    while folders:
        folder = folders.pop()
        try:
            subfolders, files = default_storage.listdir(folder)
        except FileNotFoundError:
            continue
        names += [f"{folder}/{name}" for name in files]
        folders += [f"{folder}/{name}" for name in subfolders]
    return names


def purge(tenant: Tenant) -> int:
    """Delete the workspace's rows and files; returns how many files were deleted."""
    files = _stored_files(tenant.pk)
    with transaction.atomic():
        locked = _locked(tenant)
        workspace_purging.send(sender=Tenant, tenant=locked)
        record_event(
            tenant=None,
            actor=Actor.system(),
            action="tenant.purged",
            metadata={
                "tenant_id": str(locked.pk),
                "slug": locked.slug,
                "name": locked.name,
                "files": len(files),
            },
        )
        locked.delete()
        storage.delete_after_commit(files)
    return len(files)


def purge_due(now: datetime | None = None) -> list[str]:
    """Purge every workspace whose grace period is over; returns their slugs."""
    now = now or timezone.now()
    due = Tenant.objects.filter(is_active=False, deletion_scheduled_at__lte=now)
    purged = []
    for tenant in due:
        try:
            files = purge(tenant)
        except Exception:  # noqa: BLE001 - one failure must not block the others; retried next run
            logger.exception("purge of workspace %s failed", tenant.slug)
            continue
        logger.info("purged workspace %s (%s files)", tenant.slug, files)
        purged.append(tenant.slug)
    return purged
