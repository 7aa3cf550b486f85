"""Tenant, membership, invitation and API key use cases. One function per use case."""

from __future__ import annotations

import secrets
from dataclasses import asdict
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext

from core.errors import InvalidInput, NotAllowed, NotFound
from tenants import credits, verification
from tenants.actors import Actor
from tenants.audit import record_event
from tenants.key_limits import KeyLimits, clean_limits
from tenants.language import language_for_email
from tenants.models import ALL_SCOPES, ApiKey, Invitation, Membership, Tenant, hash_token
from tenants.plans import default_plan
from tenants.roles import ASSIGNABLE_ROLES, Perm, Role
from tenants.selectors import require_perm, role_of

INVITATION_TTL = timedelta(days=7)
API_KEY_PREFIX_LEN = 8


def _unique_slug(name: str) -> str:
    base = slugify(name)[:50] or "team"
    slug, n = base, 1
    while Tenant.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


@transaction.atomic
def create_tenant(
    *, name: str, owner, actor: Actor, slug: str | None = None, welcome_credits: bool = True
) -> Tenant:
    name = (name or "").strip()
    if not name:
        raise InvalidInput(gettext("Give your workspace a name."), field="tenant_name")
    if slug and Tenant.objects.filter(slug=slug).exists():
        raise InvalidInput(gettext("The slug '%(slug)s' is taken.") % {"slug": slug}, field="slug")
    tenant = Tenant.objects.create(
        name=name[:120], slug=slug or _unique_slug(name), plan=default_plan()
    )
    Membership.objects.create(tenant=tenant, user=owner, role=Role.OWNER)
    record_event(tenant=tenant, actor=actor, action="tenant.created", target=tenant)
    if welcome_credits:
        credits.grant_signup_credits(tenant=tenant, actor=actor)
    return tenant


def create_additional_workspace(*, user, name: str, actor: Actor) -> Tenant:
    """A signed-in user's own new workspace (an agency running several brands, or someone
    whose workspace was deleted). Welcome credits come with signing up only, so they cannot
    be farmed by creating (or deleting and re-creating) workspaces."""
    limit = int(getattr(settings, "AVATARSAAS_MAX_OWNED_WORKSPACES", 5))
    with transaction.atomic():
        # One creation at a time per user, so the limit below is exact.
        get_user_model().objects.select_for_update().filter(pk=user.pk).first()
        owned = Membership.objects.filter(user=user, role=Role.OWNER)
        if owned.filter(tenant__is_active=True).count() >= limit:
            raise NotAllowed(
                gettext(
                    "You already own %(limit)s workspaces, the most one person can; delete "
                    "one or ask support to raise the limit."
                )
                % {"limit": limit},
                code="workspace_limit",
            )
        return create_tenant(name=name, owner=user, actor=actor, welcome_credits=False)


@transaction.atomic
def sign_up(*, email: str, password: str, tenant_name: str, ip: str | None = None):
    """Create a user, their workspace (tenant) and the owner membership, all or nothing, and
    email the verification link. The welcome credits wait for the address to be verified
    (``tenants.verification``): unverified sign-ups cost nothing to farm."""
    User = get_user_model()
    email = (email or "").strip().lower()
    if not email:
        raise InvalidInput(gettext("Enter your email address."), field="email")
    if User.objects.filter(username__iexact=email).exists():
        raise InvalidInput(
            gettext("An account with this email already exists; sign in."), field="email"
        )
    user = User(username=email, email=email)
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise InvalidInput(" ".join(exc.messages), field="password") from exc
    user.set_password(password)
    user.save()
    actor = Actor(user=user, ip=ip)
    tenant = create_tenant(name=tenant_name, owner=user, actor=actor, welcome_credits=False)
    record_event(tenant=tenant, actor=actor, action="user.signed_up", target=user)
    verification.start_verification(user=user, tenant=tenant)
    return user, tenant


# --- invitations -------------------------------------------------------------------------------


@transaction.atomic
def invite_member(*, tenant: Tenant, actor: Actor, email: str, role: str) -> tuple[Invitation, str]:
    require_perm(tenant=tenant, actor=actor, perm=Perm.MANAGE_MEMBERS)
    email = (email or "").strip().lower()
    if "@" not in email:
        raise InvalidInput(gettext("Enter a valid email address."), field="email")
    _check_assignable(tenant=tenant, actor=actor, role=role)
    if Membership.objects.filter(tenant=tenant, user__email__iexact=email).exists():
        raise InvalidInput(
            gettext("%(email)s is already a member.") % {"email": email}, field="email"
        )
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        tenant=tenant,
        email=email,
        role=role,
        token_hash=hash_token(token),
        invited_by=actor.user,
        expires_at=timezone.now() + INVITATION_TTL,
    )
    record_event(
        tenant=tenant,
        actor=actor,
        action="member.invited",
        target=invitation,
        metadata={"email": email, "role": role},
    )
    link = settings.SITE_URL.rstrip("/") + reverse("accept_invitation", args=[token])
    with translation.override(language_for_email(email)):
        subject = gettext("You are invited to %(workspace)s on AvatarSaaS") % {
            "workspace": tenant.name
        }
        body = gettext("You have been invited as %(role)s. Accept within 7 days: %(link)s") % {
            "role": Role(role).label,
            "link": link,
        }
    transaction.on_commit(
        lambda: send_mail(
            subject,
            body,
            settings.DEFAULT_FROM_EMAIL,
            [email],
            fail_silently=True,
        )
    )
    return invitation, token


def find_invitation(token: str) -> Invitation:
    invitation = (
        Invitation.objects.select_related("tenant").filter(token_hash=hash_token(token)).first()
    )
    if invitation is None:
        raise NotFound(gettext("This invitation link is not valid."))
    return invitation


@transaction.atomic
def accept_invitation(*, token: str, user, ip: str | None = None) -> Membership:
    invitation = Invitation.objects.select_for_update().filter(token_hash=hash_token(token)).first()
    if invitation is None:
        raise NotFound(gettext("This invitation link is not valid."))
    if invitation.status != "pending":
        raise InvalidInput(
            gettext("This invitation is %(status)s.") % {"status": invitation.status}, field="token"
        )
    if invitation.email.lower() != (user.email or "").lower():
        raise NotAllowed(
            gettext("This invitation was sent to %(email)s; sign in with that address.")
            % {"email": invitation.email}
        )
    membership, created = Membership.objects.get_or_create(
        tenant=invitation.tenant, user=user, defaults={"role": invitation.role}
    )
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    record_event(
        tenant=invitation.tenant,
        actor=Actor(user=user, ip=ip),
        action="member.joined",
        target=membership,
        metadata={"role": membership.role, "invitation": str(invitation.pk)},
    )
    return membership


@transaction.atomic
def revoke_invitation(*, tenant: Tenant, actor: Actor, invitation_id) -> Invitation:
    require_perm(tenant=tenant, actor=actor, perm=Perm.MANAGE_MEMBERS)
    invitation = _get_scoped(Invitation, tenant, invitation_id)
    if invitation.accepted_at is None and invitation.revoked_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        record_event(tenant=tenant, actor=actor, action="invitation.revoked", target=invitation)
    return invitation


# --- members -----------------------------------------------------------------------------------


def _check_assignable(*, tenant: Tenant, actor: Actor, role: str) -> None:
    if role not in Role.values:
        raise InvalidInput(
            gettext("Role must be one of: %(values)s.") % {"values": ", ".join(Role.values)},
            field="role",
        )
    actor_role = role_of(tenant=tenant, actor=actor)
    if role not in ASSIGNABLE_ROLES.get(actor_role or "", frozenset()):
        raise NotAllowed(
            gettext("A %(actor_role)s cannot grant the %(role)s role.")
            % {"actor_role": actor_role, "role": role}
        )


def _get_scoped(model, tenant: Tenant, pk):
    try:
        return model.objects.for_tenant(tenant).get(pk=pk)
    except (model.DoesNotExist, ValidationError, ValueError) as exc:
        raise NotFound(
            gettext("%(thing)s not found.") % {"thing": model._meta.verbose_name.capitalize()}
        ) from exc


def _owner_count(tenant: Tenant) -> int:
    return Membership.objects.filter(tenant=tenant, role=Role.OWNER).count()


@transaction.atomic
def change_role(*, tenant: Tenant, actor: Actor, membership_id, role: str) -> Membership:
    require_perm(tenant=tenant, actor=actor, perm=Perm.MANAGE_MEMBERS)
    membership = _get_scoped(Membership, tenant, membership_id)
    _check_assignable(tenant=tenant, actor=actor, role=role)
    if membership.role == Role.OWNER:
        _check_assignable(tenant=tenant, actor=actor, role=Role.OWNER)
        # Lock the owner rows so two concurrent demotions cannot leave the tenant ownerless.
        list(Membership.objects.select_for_update().filter(tenant=tenant, role=Role.OWNER))
        if role != Role.OWNER and _owner_count(tenant) <= 1:
            raise InvalidInput(gettext("A workspace needs at least one owner."), field="role")
    old = membership.role
    membership.role = role
    membership.save(update_fields=["role"])
    record_event(
        tenant=tenant,
        actor=actor,
        action="member.role_changed",
        target=membership,
        metadata={"user": membership.user.email, "from": old, "to": role},
    )
    return membership


@transaction.atomic
def remove_member(*, tenant: Tenant, actor: Actor, membership_id) -> None:
    membership = _get_scoped(Membership, tenant, membership_id)
    leaving_self = actor.user is not None and membership.user_id == actor.user.pk
    if not leaving_self:
        require_perm(tenant=tenant, actor=actor, perm=Perm.MANAGE_MEMBERS)
        if membership.role == Role.OWNER:
            _check_assignable(tenant=tenant, actor=actor, role=Role.OWNER)
    if membership.role == Role.OWNER:
        list(Membership.objects.select_for_update().filter(tenant=tenant, role=Role.OWNER))
        if _owner_count(tenant) <= 1:
            raise InvalidInput(gettext("The last owner cannot leave; transfer ownership first."))
    record_event(
        tenant=tenant,
        actor=actor,
        action="member.removed",
        target=membership,
        metadata={"user": membership.user.email, "role": membership.role},
    )
    membership.delete()


# --- API keys ----------------------------------------------------------------------------------


def _validate_scopes(scopes) -> list[str]:
    if not isinstance(scopes, list | tuple) or not scopes:
        raise InvalidInput(gettext("Choose at least one scope."), field="scopes")
    unknown = sorted(set(scopes) - set(ALL_SCOPES))
    if unknown:
        raise InvalidInput(
            gettext("Unknown scope(s): %(unknown)s. Accepted: %(all_scopes)s.")
            % {"unknown": ", ".join(unknown), "all_scopes": ", ".join(ALL_SCOPES)},
            field="scopes",
        )
    return sorted(set(scopes))


@transaction.atomic
def create_api_key(
    *,
    tenant: Tenant,
    actor: Actor,
    name: str,
    scopes: list[str],
    expires_at: datetime | None = None,
    check_permission: bool = True,
    limits=None,
) -> tuple[ApiKey, str]:
    """Create a key; returns it with the plaintext, which is never stored or shown again.

    ``limits`` (a ``tenants.key_limits.KeyLimits``) restricts what the key may ask for.
    """
    if check_permission:
        require_perm(tenant=tenant, actor=actor, perm=Perm.MANAGE_KEYS)
    name = (name or "").strip()
    if not name:
        raise InvalidInput(gettext("Name the key after what will use it."), field="name")
    scopes = _validate_scopes(scopes)
    limits = clean_limits(tenant=tenant, limits=limits or KeyLimits())
    if expires_at is not None and expires_at <= timezone.now():
        raise InvalidInput(gettext("The expiry must be in the future."), field="expires_at")
    secret = secrets.token_hex(32)
    for _ in range(5):
        prefix = secrets.token_hex(API_KEY_PREFIX_LEN // 2)
        try:
            with transaction.atomic():
                key = ApiKey.objects.create(
                    tenant=tenant,
                    name=name[:100],
                    prefix=prefix,
                    secret_hash=hash_token(secret),
                    scopes=scopes,
                    expires_at=expires_at,
                    created_by=actor.user,
                    **asdict(limits),
                )
            break
        except IntegrityError:
            continue
    else:  # pragma: no cover - 32 bits of prefix collide five times only in theory
        raise RuntimeError("Could not allocate a unique API key prefix.")
    record_event(
        tenant=tenant,
        actor=actor,
        action="api_key.created",
        target=key,
        metadata={"name": key.name, "prefix": prefix, "scopes": scopes, "limits": asdict(limits)},
    )
    plaintext = f"{settings.AVATARSAAS_API_KEY_PREFIX}_{prefix}_{secret}"
    return key, plaintext


@transaction.atomic
def revoke_api_key(*, tenant: Tenant, actor: Actor, key_id) -> ApiKey:
    require_perm(tenant=tenant, actor=actor, perm=Perm.MANAGE_KEYS)
    key = _get_scoped(ApiKey, tenant, key_id)
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
        record_event(
            tenant=tenant,
            actor=actor,
            action="api_key.revoked",
            target=key,
            metadata={"name": key.name, "prefix": key.prefix},
        )
    return key
