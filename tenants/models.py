import hashlib
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenants.roles import Role
from tenants.scoping import TenantOwnedModel, TenantScopedQuerySet

# What an invitation's or a key's `status` code reads as on a page; the codes stay English.
STATUS_LABELS = {
    "accepted": _("accepted"),
    "revoked": _("revoked"),
    "expired": _("expired"),
    "pending": _("pending"),
    "active": _("active"),
}


class Plan(models.Model):
    """Plans are data (seeded by a migration, edited in the admin), not code."""

    slug = models.SlugField(max_length=32, primary_key=True)
    name = models.CharField(max_length=64)
    signup_credits = models.PositiveIntegerField(default=0)
    monthly_credits = models.PositiveIntegerField(default=0)
    monthly_price_cents = models.PositiveIntegerField(default=0)
    max_concurrent_jobs = models.PositiveIntegerField(default=2)
    requests_per_minute = models.PositiveIntegerField(default=60)
    finetunes_per_month = models.PositiveIntegerField(default=0)
    max_webhook_endpoints = models.PositiveIntegerField(default=5)
    max_presets = models.PositiveIntegerField(
        default=25, help_text="Own style presets a workspace may keep (built-ins not counted)."
    )
    max_datasets = models.PositiveIntegerField(
        default=10, help_text="LoRA datasets a workspace may keep."
    )
    stripe_price_id = models.CharField(max_length=100, blank=True)
    is_public = models.BooleanField(default=True)

    class Meta:
        ordering = ["monthly_price_cents"]

    def __str__(self) -> str:
        return self.name


DATABASE_MAINTAINED_FIELDS = frozenset({"queued_jobs", "running_jobs", "job_cap"})


class Tenant(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60, unique=True)
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, default="free", related_name="+")
    # Denormalised sum of CreditEntry.amount, updated in the same transaction as each entry
    # under a row lock; the ledger is the truth and `check_ledger` verifies they agree.
    credit_balance = models.IntegerField(default=0)
    stripe_customer_id = models.CharField(max_length=64, blank=True)
    is_active = models.BooleanField(default=True)
    deletion_scheduled_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Set when the owner deleted the workspace: everything is purged at this time. "
        "Staff can undo it until then with the 'Reactivate' action.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Scheduling state, written by generation's claim transaction under this row's lock: the
    # worker serves the least recently served tenant first (round-robin). Kept here, one small
    # row per tenant, so fairness never reads the job history.
    last_served_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Scheduling counts kept by database triggers, never written from Python (see `save()`):
    # the live jobs by the job table's triggers (generation/worker/job_counts.py), the plan's
    # concurrency cap by this table's and the plan table's (tenants/job_cap.py). The claim
    # finds a tenant that can start a job through the partial index `tenant_claimable`
    # (migration 0014) over these columns, and checks the cap on the row it has locked.
    queued_jobs = models.PositiveIntegerField(default=0, editable=False)
    running_jobs = models.PositiveIntegerField(default=0, editable=False)
    job_cap = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["name"]
        # Staff actions that mint money or shut a customer out; view-only staff get neither.
        permissions = [
            ("adjust_credits", "Can adjust a workspace's credits"),
            ("suspend_tenant", "Can suspend or reactivate a workspace"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.slug})"

    def save(self, *args, **kwargs):
        # A full save would write back the counts this instance read, undoing the triggers'
        # work since then (claims, finishes, a plan's new cap).
        if not self._state.adding and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                f.name
                for f in self._meta.concrete_fields
                if not f.primary_key and f.name not in DATABASE_MAINTAINED_FIELDS
            ]
        super().save(*args, **kwargs)


class Membership(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TenantScopedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "user"], name="uniq_membership_per_tenant")
        ]
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.user} is {self.role} of {self.tenant.slug}"


class EmailVerification(models.Model):
    """Sign-up's proof that the address is the user's. The welcome credits go to `tenant` (the
    workspace created at sign-up) when it is verified, not before: an unverified address costs
    an abuser nothing. Users without a row (invited members, staff, accounts from before this
    check) have nothing pending."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="email_verification"
    )
    email = models.EmailField()
    tenant = models.ForeignKey(
        Tenant, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    last_sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.email} ({'verified' if self.verified_at else 'pending'})"


def hash_token(token: str) -> str:
    # Tokens and API key secrets carry >=256 bits of randomness, so a fast hash is the standard
    # (GitHub/Stripe-style) choice; slow password hashing would only slow every API request.
    return hashlib.sha256(token.encode()).hexdigest()


class Invitation(TenantOwnedModel):
    email = models.EmailField()
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    @property
    def is_pending(self) -> bool:
        return (
            self.accepted_at is None
            and self.revoked_at is None
            and self.expires_at > timezone.now()
        )

    @property
    def status(self) -> str:
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "pending"

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


class ApiKeyScope(models.TextChoices):
    JOBS_READ = "jobs:read", _("Read jobs and images")
    JOBS_WRITE = "jobs:write", _("Submit, cancel and re-render jobs")
    STYLES_READ = "styles:read", _("Read presets, datasets and adapters")
    STYLES_WRITE = "styles:write", _("Manage presets, datasets and adapters")
    FINETUNES_WRITE = "finetunes:write", _("Create and submit fine-tunes")
    WEBHOOKS_WRITE = "webhooks:write", _("Manage webhook endpoints")


ALL_SCOPES = [choice.value for choice in ApiKeyScope]


class ApiKey(TenantOwnedModel):
    """Shown once as ``ask_<prefix>_<secret>``; only the prefix and a hash are stored."""

    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64)
    scopes = models.JSONField(default=list)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Restrictions, enforced at submit by tenants.key_policy. Empty/None = unrestricted.
    allowed_presets = models.JSONField(
        default=list, blank=True, help_text="Style preset ids this key may use (brand lock)."
    )
    allowed_engines = models.JSONField(
        default=list, blank=True, help_text='Engines this key may use, e.g. ["vector"].'
    )
    max_n = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Most candidates per job."
    )
    max_size = models.PositiveIntegerField(
        null=True, blank=True, help_text="Largest render size in pixels."
    )
    monthly_quota = models.PositiveIntegerField(
        null=True, blank=True, help_text="Most jobs per calendar month (UTC)."
    )
    requests_per_minute = models.PositiveIntegerField(
        null=True, blank=True, help_text="Rate limit for this key; capped by the plan's."
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.display_prefix})"

    @property
    def display_prefix(self) -> str:
        return f"{settings.AVATARSAAS_API_KEY_PREFIX}_{self.prefix}_…"

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and not self.is_expired

    @property
    def status(self) -> str:
        if self.revoked_at:
            return "revoked"
        if self.is_expired:
            return "expired"
        return "active"

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes


class AuditEvent(models.Model):
    """Append-only record of security- and money-relevant actions."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(
        Tenant, on_delete=models.CASCADE, null=True, blank=True, related_name="audit_events"
    )
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_api_key = models.ForeignKey(
        ApiKey, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=64, db_index=True)
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = TenantScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["tenant", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action}"

    @property
    def actor_label(self) -> str:
        if self.actor_api_key_id:
            return f"API key {self.actor_api_key}"
        if self.actor_user_id:
            return str(self.actor_user)
        return "system"


class CreditEntry(models.Model):
    """Append-only credit ledger. A tenant's balance is the sum of its entries."""

    class Kind(models.TextChoices):
        GRANT = "grant", _("Grant")
        PURCHASE = "purchase", _("Purchase")
        PLAN = "plan", _("Plan credits")
        RESERVE = "reserve", _("Reserved for a job")
        RELEASE = "release", _("Released reservation")
        ADJUSTMENT = "adjustment", _("Staff adjustment")
        REFUND = "refund", _("Refund claw-back")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="credit_entries")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    amount = models.IntegerField(help_text="Positive adds credits, negative takes them.")
    balance_after = models.IntegerField()
    reason = models.CharField(max_length=200, blank=True)
    # What caused it: a job id, a Stripe object id... Unique per tenant when set, which is what
    # makes grants and purchases idempotent under retries and duplicate webhooks.
    reference = models.CharField(max_length=120, blank=True)
    idempotency_key = models.CharField(max_length=160, null=True, blank=True)
    actor_label = models.CharField(max_length=80, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = TenantScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "credit entries"
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "idempotency_key"], name="uniq_credit_entry_idempotency"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount:+d} ({self.reference})"


class CreditReservation(models.Model):
    """Credits held for one piece of work; settled once or released once."""

    class State(models.TextChoices):
        HELD = "held", _("Held")
        SETTLED = "settled", _("Settled")
        RELEASED = "released", _("Released")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    reference = models.CharField(max_length=120)
    amount = models.PositiveIntegerField()
    state = models.CharField(max_length=16, choices=State.choices, default=State.HELD)
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    objects = TenantScopedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "reference"], name="uniq_reservation_ref")
        ]

    def __str__(self) -> str:
        return f"{self.reference}: {self.amount} {self.state}"


# The Stripe models live with billing; importing them here registers them with this app.
from tenants.billing.models import (  # noqa: E402, F401
    CreditPack,
    CreditPurchase,
    StripeEvent,
    StripeSubscription,
)


class UserProfile(models.Model):
    """Per-person settings that follow the user across workspaces. `language` is a code from
    settings.LANGUAGES, or blank for "not chosen yet" (then the browser's choice applies)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="profile"
    )
    language = models.CharField(max_length=16, blank=True, default="")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"profile of {self.user}"
