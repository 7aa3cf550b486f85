from django.db import models
from django.utils.translation import gettext_lazy as _

from tenants.scoping import TenantOwnedModel


class GeneratedImage(TenantOwnedModel):
    """One candidate of a job, with its scores and what it takes to re-render it."""

    class Review(models.TextChoices):
        PENDING = "pending", _("Not reviewed")
        APPROVED = "approved", _("Approved")
        FLAGGED = "flagged", _("Flagged")

    job = models.ForeignKey(
        "generation.GenerationJob", on_delete=models.CASCADE, related_name="images"
    )
    index = models.PositiveSmallIntegerField()
    seed = models.BigIntegerField()
    engine = models.CharField(max_length=16)
    clip_score = models.FloatField(null=True, blank=True)
    brand_score = models.FloatField(null=True, blank=True)
    final_score = models.FloatField(null=True, blank=True)
    selected = models.BooleanField(default=False)
    rank = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="The worker's order: 1 is the candidate it put first."
    )
    quality = models.JSONField(
        default=dict, blank=True, help_text="Ranking features, normalised scores, ranker used."
    )
    review_status = models.CharField(
        max_length=16, choices=Review.choices, default=Review.PENDING, db_index=True
    )
    review_note = models.CharField(max_length=300, blank=True)
    adapter_version_id = models.CharField(max_length=64, blank=True)
    metadata = models.JSONField(default=dict, help_text="Everything needed to re-render.")
    original = models.FileField(max_length=300)
    sidecar = models.FileField(max_length=300, blank=True)
    # The diffusion latents the pixels were decoded from (.npy): a variation starts from these,
    # so it re-enters the model exactly instead of through a VAE round trip.
    latents = models.FileField(max_length=300, blank=True)

    class Meta:
        ordering = ["job", "index"]
        constraints = [
            models.UniqueConstraint(fields=["job", "index"], name="uniq_image_index_per_job")
        ]

    def __str__(self) -> str:
        return f"image {self.index} of {self.job_id}"


class ImageFile(TenantOwnedModel):
    """One rendition of an image (size x shape x format), served only through a tenant check."""

    image = models.ForeignKey(GeneratedImage, on_delete=models.CASCADE, related_name="files")
    size = models.PositiveSmallIntegerField()
    shape = models.CharField(max_length=8, default="square")  # square | circle
    format = models.CharField(max_length=8)  # png | webp
    content_type = models.CharField(max_length=40)
    file = models.FileField(max_length=300)
    bytes = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-size", "shape", "format"]

    def __str__(self) -> str:
        return f"{self.size}px {self.shape} {self.format}"
