"""What users tell us about candidates, and the per-workspace ranker learned from it."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tenants.scoping import TenantOwnedModel


class Vote(models.TextChoices):
    UP = "up", _("Thumbs up")
    DOWN = "down", _("Thumbs down")


class ImageFeedback(TenantOwnedModel):
    """One member's (or one API key's) feedback on one candidate: at most one row each, holding
    their vote, when they picked it and how often they downloaded it."""

    image = models.ForeignKey(
        "generation.GeneratedImage", on_delete=models.CASCADE, related_name="feedback"
    )
    job = models.ForeignKey("generation.GenerationJob", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    api_key = models.ForeignKey(
        "tenants.ApiKey", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    vote = models.CharField(max_length=8, choices=Vote.choices, blank=True)
    voted_at = models.DateTimeField(null=True, blank=True)
    picked_at = models.DateTimeField(null=True, blank=True)
    downloads = models.PositiveIntegerField(default=0)
    last_downloaded_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at"]
        verbose_name_plural = "image feedback"
        constraints = [
            models.UniqueConstraint(
                fields=["image", "user"],
                condition=models.Q(user__isnull=False),
                name="uniq_feedback_per_user",
            ),
            models.UniqueConstraint(
                fields=["image", "api_key"],
                condition=models.Q(api_key__isnull=False),
                name="uniq_feedback_per_key",
            ),
            models.CheckConstraint(
                condition=models.Q(user__isnull=False, api_key__isnull=True)
                | models.Q(user__isnull=True, api_key__isnull=False),
                name="feedback_from_a_user_or_a_key",
            ),
        ]
        # /metrics and the workspace panel count votes cast in a window.
        indexes = [
            models.Index(fields=["voted_at"], name="feedback_voted_at"),
            models.Index(fields=["tenant", "voted_at"], name="feedback_tenant_voted_at"),
        ]

    def __str__(self) -> str:
        return f"feedback on {self.image_id}"

    @property
    def vote_or_none(self) -> str | None:
        return self.vote or None


class WorkspaceRanker(TenantOwnedModel):
    """A workspace's learned candidate ranker (weights over the score features) and how it did
    on the picks it was checked against. Only an `active` ranker reorders candidates."""

    weights = models.JSONField(default=dict, blank=True, help_text="Feature name -> weight.")
    trained_on = models.PositiveIntegerField(default=0, help_text="Jobs with a pick it saw.")
    holdout = models.JSONField(
        default=dict, blank=True, help_text="Top-1 agreement, learned vs blended, on later picks."
    )
    active = models.BooleanField(default=False)
    version = models.PositiveIntegerField(default=0)
    trained_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "workspace ranker"
        constraints = [models.UniqueConstraint(fields=["tenant"], name="uniq_ranker_per_tenant")]

    def __str__(self) -> str:
        return f"ranker v{self.version} of {self.tenant_id}"
