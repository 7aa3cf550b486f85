from django.db import models
from django.utils.translation import gettext_lazy as _

from tenants.scoping import TenantOwnedModel

WEBHOOK_EVENTS = [
    "job.succeeded",
    "job.failed",
    "job.canceled",
    "finetune.submitted",
    "finetune.approved",
    "finetune.rejected",
    "finetune.ready",
    "finetune.failed",
    "finetune.canceled",
    "credits.low",
]


class WebhookEndpoint(TenantOwnedModel):
    url = models.URLField(max_length=500)
    description = models.CharField(max_length=200, blank=True)
    # Standard Webhooks secret ("whsec_" + base64); shown to the tenant so they can verify.
    secret = models.CharField(max_length=100)
    events = models.JSONField(default=list, help_text="Event types to send; empty = all.")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.url

    def wants(self, event_type: str) -> bool:
        return self.is_active and (not self.events or event_type in self.events)


class WebhookDelivery(TenantOwnedModel):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SUCCEEDED = "succeeded", _("Delivered")
        FAILED = "failed", _("Failed (retrying)")
        GAVE_UP = "gave_up", _("Gave up")

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event_type = models.CharField(max_length=40, db_index=True)
    message_id = models.CharField(max_length=64, help_text="webhook-id: same on every retry.")
    payload = models.JSONField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    # A short generic outcome ("timed out", "HTTP 500"); response bodies are never stored, so
    # the log cannot be used to read what an internal service answers.
    error = models.CharField(max_length=300, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "webhook deliveries"

    def __str__(self) -> str:
        return f"{self.event_type} -> {self.endpoint_id} ({self.status})"
