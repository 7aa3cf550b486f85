"""Email verification at sign-up: a signed, expiring link, emailed; using it grants the sign-up
workspace its welcome credits, once.

The link carries the user id and the address, signed with SECRET_KEY (``django.core.signing``,
timestamped), so nothing secret is stored and a link for another address or user never
verifies. It expires after EMAIL_VERIFICATION_MAX_AGE_SECONDS; a new one can be sent from the
dashboard at most once a minute. Verifying twice (a second click, a second device) changes
nothing: the row is verified once and the ledger's "signup" idempotency key grants once.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from core.errors import InvalidInput, NotAllowed, NotFound
from tenants import credits
from tenants.actors import Actor
from tenants.audit import record_event
from tenants.language import in_language_of
from tenants.models import EmailVerification, Tenant

SALT = "tenants.verification.email"
RESEND_INTERVAL = timedelta(minutes=1)


def make_token(verification: EmailVerification) -> str:
    return signing.dumps({"u": verification.user_id, "e": verification.email.lower()}, salt=SALT)


def verification_link(verification: EmailVerification) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("verify_email", args=[make_token(verification)])


def _send_after_commit(verification: EmailVerification) -> None:
    link = verification_link(verification)
    days = max(1, settings.EMAIL_VERIFICATION_MAX_AGE_SECONDS // 86400)
    with in_language_of(verification.user):
        subject = gettext("Confirm your email address for AvatarSaaS")
        body = ngettext(
            "Open this link within %(days)d day to confirm your address and receive your "
            "welcome credits:\n\n%(link)s\n\nIf you did not sign up, ignore this email.",
            "Open this link within %(days)d days to confirm your address and receive your "
            "welcome credits:\n\n%(link)s\n\nIf you did not sign up, ignore this email.",
            days,
        ) % {"days": days, "link": link}
    transaction.on_commit(
        lambda: send_mail(
            subject,
            body,
            settings.DEFAULT_FROM_EMAIL,
            [verification.email],
            fail_silently=True,
        )
    )


def start_verification(*, user, tenant: Tenant) -> EmailVerification:
    """Record the pending check and email the link (after the sign-up transaction commits)."""
    verification = EmailVerification.objects.create(
        user=user, email=user.email, tenant=tenant, last_sent_at=timezone.now()
    )
    _send_after_commit(verification)
    return verification


def record_verified(*, user) -> EmailVerification:
    """Mark an address as verified without a link (the seeded demo user); idempotent."""
    verification, _ = EmailVerification.objects.get_or_create(
        user=user, defaults={"email": user.email, "verified_at": timezone.now()}
    )
    return verification


def pending_verification(user) -> EmailVerification | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return (
        EmailVerification.objects.select_related("tenant__plan")
        .filter(user=user, verified_at__isnull=True)
        .first()
    )


def resend_verification(*, user) -> EmailVerification:
    with transaction.atomic():
        verification = (
            EmailVerification.objects.select_for_update()
            .filter(user=user, verified_at__isnull=True)
            .first()
        )
        if verification is None:
            raise InvalidInput(
                gettext("Your email address is already confirmed."), code="already_verified"
            )
        now = timezone.now()
        if verification.last_sent_at and now - verification.last_sent_at < RESEND_INTERVAL:
            raise NotAllowed(
                gettext("We sent a link less than a minute ago; check your inbox and spam folder."),
                code="throttled",
            )
        verification.last_sent_at = now
        verification.save(update_fields=["last_sent_at"])
        _send_after_commit(verification)
    return verification


def read_token(token: str) -> EmailVerification:
    """The verification a link points at. NotFound for a forged or foreign link,
    InvalidInput for an expired one (sign in and send a new one)."""
    try:
        data = signing.loads(token, salt=SALT, max_age=settings.EMAIL_VERIFICATION_MAX_AGE_SECONDS)
    except signing.SignatureExpired as exc:
        raise InvalidInput(
            gettext(
                "This link has expired. Sign in and send yourself a new one from the dashboard."
            ),
            field="token",
            code="link_expired",
        ) from exc
    except signing.BadSignature as exc:
        raise NotFound(gettext("This confirmation link is not valid.")) from exc
    verification = (
        EmailVerification.objects.select_related("user", "tenant")
        .filter(user_id=data.get("u"))
        .first()
        if isinstance(data, dict)
        else None
    )
    if verification is None or verification.email.lower() != data.get("e"):
        raise NotFound(gettext("This confirmation link is not valid."))
    return verification


@transaction.atomic
def verify_email(*, token: str, ip: str | None = None) -> tuple[EmailVerification, int]:
    """Verify the address a link names and grant the welcome credits; returns the verification
    and the credits granted by this call (0 when it was verified before)."""
    verification = read_token(token)
    verification = (
        # Lock this row only: the workspace may be gone (a nullable, outer-joined side).
        EmailVerification.objects.select_for_update(of=("self",))
        .select_related("user", "tenant")
        .get(pk=verification.pk)
    )
    if verification.verified_at is not None:
        return verification, 0
    verification.verified_at = timezone.now()
    verification.save(update_fields=["verified_at"])
    actor = Actor(user=verification.user, ip=ip)
    tenant = verification.tenant
    record_event(
        tenant=tenant,
        actor=actor,
        action="user.email_verified",
        target=verification.user,
        metadata={"email": verification.email},
    )
    if tenant is None or not tenant.is_active:
        return verification, 0  # the workspace was deleted or suspended in the meantime
    entry = credits.grant_signup_credits(tenant=tenant, actor=actor)
    return verification, entry.amount if entry else 0
