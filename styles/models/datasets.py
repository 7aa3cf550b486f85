from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tenants.scoping import TenantOwnedModel


class LoraDataset(TenantOwnedModel):
    """Training images for a LoRA, with a per-image validation report and editable captions."""

    name = models.CharField(max_length=100)
    trigger_word = models.CharField(
        max_length=40, blank=True, help_text="Token the LoRA learns, e.g. 'acmebot'."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "LoRA dataset"

    def __str__(self) -> str:
        return self.name


class DatasetImage(TenantOwnedModel):
    """One uploaded file: accepted (stored, EXIF-stripped copy) or rejected with the reason."""

    class Status(models.TextChoices):
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")

    dataset = models.ForeignKey(LoraDataset, on_delete=models.CASCADE, related_name="images")
    original_name = models.CharField(max_length=255)
    status = models.CharField(max_length=16, choices=Status.choices, db_index=True)
    error_code = models.CharField(max_length=40, blank=True)
    error_message = models.CharField(max_length=300, blank=True)
    file = models.FileField(max_length=300, blank=True)
    format = models.CharField(max_length=8, blank=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    bytes = models.PositiveIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    phash = models.CharField(max_length=16, blank=True, help_text="64-bit pHash, hex.")
    colorhash = models.CharField(max_length=16, blank=True, help_text="42-bit colour hash, hex.")
    thumbnail = models.BinaryField(
        blank=True,
        default=b"",
        editable=False,
        help_text="96×96 RGB: the near-duplicate check compares new images with it.",
    )
    # The CLIP pass (a generation-side task, only with real CLIP weights) fills these two.
    clip_embedding = models.BinaryField(
        blank=True,
        default=b"",
        editable=False,
        help_text="L2-normalised CLIP image embedding, float32; empty until the CLIP check ran.",
    )
    clip_model = models.CharField(
        max_length=64, blank=True, help_text="sha256 of the CLIP checkpoint of clip_embedding."
    )
    duplicate_of = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    caption = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["created_at", "original_name"]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.status})"


class DuplicatePair(TenantOwnedModel):
    """A near-duplicate warning: `image` (the later upload) looks like an edited copy of
    `other`. Both stay accepted until the user keeps both (resolved) or drops one (the pair
    goes with it). The hash stages find most pairs; the CLIP pass (real CLIP weights only)
    records its cosine on them and adds the pairs it alone finds."""

    class FoundBy(models.TextChoices):
        HASHES = "hashes", _("Image hashes")
        CLIP = "clip", _("CLIP embeddings")

    dataset = models.ForeignKey(LoraDataset, on_delete=models.CASCADE, related_name="duplicates")
    image = models.ForeignKey(DatasetImage, on_delete=models.CASCADE, related_name="+")
    other = models.ForeignKey(DatasetImage, on_delete=models.CASCADE, related_name="+")
    phash_distance = models.PositiveSmallIntegerField()
    color_distance = models.PositiveSmallIntegerField()
    difference = models.FloatField(help_text="Worst-block difference after alignment, 0-1.")
    found_by = models.CharField(max_length=8, choices=FoundBy.choices, default=FoundBy.HASHES)
    clip_similarity = models.FloatField(
        null=True, blank=True, help_text="Cosine of the two CLIP embeddings; empty: not checked."
    )
    kept_at = models.DateTimeField(null=True, blank=True, help_text="Set by 'keep both'.")

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(fields=["image", "other"], name="duplicate_pair_once")
        ]

    @property
    def open(self) -> bool:
        return self.kept_at is None
