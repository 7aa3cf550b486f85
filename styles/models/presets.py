import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from tenants.scoping import TenantOwnedModel, TenantScopedQuerySet


class StylePresetQuerySet(TenantScopedQuerySet):
    def available_to(self, tenant):
        """Built-in presets (no tenant) plus the tenant's own."""
        return self.filter(models.Q(tenant__isnull=True) | models.Q(tenant=tenant))


class StylePreset(models.Model):
    """A brand style: how a description becomes a prompt, and the sampler settings to render it.

    Built-in presets have no tenant and are read-only for tenants; a tenant copies one to edit.
    """

    class Engine(models.TextChoices):
        AUTO = "auto", _("Automatic (diffusion when configured, else vector)")
        DIFFUSERS = "diffusers", _("Stable Diffusion")
        VECTOR = "vector", _("Vector (weight-free)")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(
        "tenants.Tenant", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    slug = models.SlugField(max_length=60)
    name = models.CharField(max_length=80)
    description = models.CharField(max_length=240, blank=True)
    base_style = models.CharField(max_length=32, default="cartoon")
    prompt_template = models.CharField(
        max_length=500,
        default="{subject}",
        help_text="Must contain {subject}, replaced by the composed description.",
    )
    negative_prompt = models.CharField(max_length=500, blank=True)
    trigger_word = models.CharField(max_length=40, blank=True)
    palette = models.JSONField(default=list, blank=True, help_text="Brand colours as #rrggbb.")
    default_attributes = models.JSONField(default=dict, blank=True)
    engine = models.CharField(max_length=16, choices=Engine.choices, default=Engine.AUTO)
    scheduler = models.CharField(max_length=32, default="dpmpp_2m_karras")
    steps = models.PositiveSmallIntegerField(default=25)
    guidance_scale = models.FloatField(default=7.0)
    size = models.PositiveSmallIntegerField(default=512)
    is_locked = models.BooleanField(
        default=False, help_text="Brand kit lock: only the allowed ranges below may be used."
    )
    lock_rules = models.JSONField(default=dict, blank=True)
    copied_from = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    active_adapter = models.ForeignKey(
        "styles.LoraAdapter",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="active_on",
        help_text="The LoRA version jobs through this preset render with (diffusion engine).",
    )
    adapter_strength = models.FloatField(default=1.0)
    brand_weight = models.FloatField(
        null=True,
        blank=True,
        help_text="Share of the brand (reference image) score in the ranking, 0-1; the text score "
        "gets the rest. Empty: the server default (AVATARSAAS_BRAND_WEIGHT).",
    )
    state_pack_states = models.JSONField(
        default=list,
        blank=True,
        help_text="The states a state pack renders, in order (names from the product's state "
        "vocabulary). Empty: neutral, happy, thinking, surprised, sorry, talking, sleeping.",
    )
    palette_weight = models.FloatField(
        null=True,
        blank=True,
        help_text="Share of palette adherence (CIEDE2000 to the palette) in ranking, 0-1. "
        "Empty: palette adherence is reported, not ranked on.",
    )
    palette_recolor = models.FloatField(
        default=0.0,
        help_text="Soft recolour of state pack images toward the palette, 0 (off) to 1.",
    )
    # Previously active adapter ids, newest last: what "roll back" returns to.
    adapter_history = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = StylePresetQuerySet.as_manager()

    class Meta:
        ordering = ["tenant_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "slug"], name="uniq_preset_slug_per_tenant"),
            models.UniqueConstraint(
                fields=["slug"],
                condition=models.Q(tenant__isnull=True),
                name="uniq_builtin_preset_slug",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_builtin(self) -> bool:
        return self.tenant_id is None


class ReferenceImage(TenantOwnedModel):
    """A brand reference picture: candidates are scored by CLIP similarity to these."""

    preset = models.ForeignKey(StylePreset, on_delete=models.CASCADE, related_name="references")
    file = models.FileField(max_length=300)
    original_name = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.original_name or str(self.pk)


class BrandKitSettings(models.Model):
    """Per-workspace brand kit policy (a row appears the first time an admin saves it)."""

    tenant = models.OneToOneField(
        "tenants.Tenant", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    locked_presets_only = models.BooleanField(
        default=False,
        help_text="API keys and members may only generate through locked presets.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "brand kit settings"
        verbose_name_plural = "brand kit settings"

    def __str__(self) -> str:
        return f"brand kit of {self.tenant_id}"
