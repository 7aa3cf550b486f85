"""Billing rows: credit packs on sale, purchases, our copy of Stripe subscriptions, and every
verified Stripe event. They belong to the tenants app (app_label "tenants", tables unchanged)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenants.billing.money import format_money
from tenants.scoping import TenantOwnedModel


class CreditPack(models.Model):
    """A one-off credit purchase on sale; data seeded by a migration and edited in the admin."""

    slug = models.SlugField(max_length=32, primary_key=True)
    name = models.CharField(max_length=64)
    credits = models.PositiveIntegerField()
    price_cents = models.PositiveIntegerField()
    currency = models.CharField(max_length=3, default="usd", help_text="ISO code, lower case.")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["price_cents"]

    def __str__(self) -> str:
        return f"{self.name} ({self.credits} credits)"

    @property
    def price_display(self) -> str:
        return format_money(self.price_cents, self.currency)


class CreditPurchase(TenantOwnedModel):
    """One attempt to buy a pack: a Stripe PaymentIntent (or Checkout payment) and its outcome.

    Credits and price are copied from the pack when the purchase starts, so a later price edit
    never changes what an in-flight payment grants.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting payment")
        PAID = "paid", _("Paid, credits granted")
        REFUNDED = "refunded", _("Refunded")

    pack = models.ForeignKey(CreditPack, on_delete=models.PROTECT, related_name="+")
    credits = models.PositiveIntegerField()
    amount_cents = models.PositiveIntegerField()
    currency = models.CharField(max_length=3)
    # The Stripe object paid: a PaymentIntent id (pi_...), or a Checkout Session id without one.
    stripe_payment_id = models.CharField(max_length=120, unique=True, null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    paid_at = models.DateTimeField(null=True, blank=True)
    amount_refunded_cents = models.PositiveIntegerField(default=0)
    credits_clawed_back = models.PositiveIntegerField(default=0)
    # Refunded credits the tenant had already spent: recorded, never taken below zero.
    credits_shortfall = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        permissions = [("refund_purchase", "Can refund a credit purchase at Stripe")]

    def __str__(self) -> str:
        return f"{self.credits} credits ({self.status})"

    @property
    def amount_display(self) -> str:
        return format_money(self.amount_cents, self.currency)


class StripeSubscription(TenantOwnedModel):
    """Our copy of a Stripe subscription, as of the newest webhook applied to it."""

    stripe_subscription_id = models.CharField(max_length=120, unique=True)
    plan = models.ForeignKey("tenants.Plan", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=32, default="incomplete")
    current_period_end = models.DateTimeField(null=True, blank=True)
    cancel_at_period_end = models.BooleanField(default=False)
    # Stripe's `created` (epoch seconds) of the newest event applied; older events are ignored.
    last_event_created = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    ACTIVE_STATUSES = ("active", "trialing", "past_due")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.stripe_subscription_id} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE_STATUSES


class StripeEvent(models.Model):
    """Every verified Stripe webhook, stored before it is processed, processed exactly once."""

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        PROCESSED = "processed", _("Processed")
        IGNORED = "ignored", _("Ignored")
        FAILED = "failed", _("Failed (will be retried)")

    id = models.CharField(max_length=120, primary_key=True, help_text="Stripe's event id.")
    type = models.CharField(max_length=80, db_index=True)
    stripe_created = models.BigIntegerField(help_text="Stripe's `created`, epoch seconds.")
    livemode = models.BooleanField(default=False)
    payload = models.JSONField()
    tenant = models.ForeignKey(
        "tenants.Tenant", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RECEIVED)
    result = models.CharField(max_length=300, blank=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.id} {self.type} ({self.status})"
