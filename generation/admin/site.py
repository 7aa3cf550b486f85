"""Staff admin for generation: review CLIP-scored images, follow and retry jobs, redeliver
webhooks. Every action goes through `generation.jobs.staff` and lands in the tenant's audit log."""

from django.contrib import admin, messages
from django.db.models import Q
from django.urls import reverse
from django.utils.html import format_html

from core.errors import DomainError
from core.model_settings import weights_status
from generation.jobs import staff
from generation.models import (
    GeneratedImage,
    GenerationJob,
    ImageFile,
    WebhookDelivery,
    WebhookEndpoint,
)
from tenants.actors import Actor

ADMIN_MEDIA = {"all": ["css/admin.css"]}


def _actor(request) -> Actor:
    return Actor.from_request(request)


def _thumb(image, size=96):
    f = None
    if image.pk:
        files = [x for x in image.files.all() if x.shape == "square"]
        f = min(files, key=lambda x: abs(x.size - size), default=None)
    if f is None:
        return "—"
    url = reverse("admin_image_file", args=[f.pk])
    return format_html(
        '<img class="avatar-thumb" src="{}" width="{}" height="{}" alt="">', url, size, size
    )


class ScoreBandFilter(admin.SimpleListFilter):
    """CLIP bands for review; with test weights the numbers are noise (see the banner)."""

    title = "CLIP score"
    parameter_name = "clip_band"
    bands = {
        "none": ("not scored", Q(clip_score__isnull=True)),
        "low": ("below 0.20", Q(clip_score__lt=0.20)),
        "mid": ("0.20 – 0.30", Q(clip_score__gte=0.20, clip_score__lt=0.30)),
        "high": ("0.30 and above", Q(clip_score__gte=0.30)),
    }

    def lookups(self, request, model_admin):
        return [(key, label) for key, (label, _) in self.bands.items()]

    def queryset(self, request, queryset):
        band = self.bands.get(self.value() or "")
        return queryset.filter(band[1]) if band else queryset


class BrandScoreFilter(admin.SimpleListFilter):
    title = "brand score"
    parameter_name = "brand"

    def lookups(self, request, model_admin):
        return [("none", "no references"), ("low", "below 0.50"), ("high", "0.50 and above")]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "none":
            return queryset.filter(brand_score__isnull=True)
        if value == "low":
            return queryset.filter(brand_score__lt=0.5)
        if value == "high":
            return queryset.filter(brand_score__gte=0.5)
        return queryset


class GeneratedImageInline(admin.TabularInline):
    model = GeneratedImage
    extra = 0
    fields = ["thumb", "index", "seed", "clip_score", "brand_score", "selected", "review_status"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description="")
    def thumb(self, obj):
        return _thumb(obj, 64)


@admin.register(GenerationJob)
class GenerationJobAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "tenant",
        "status",
        "engine",
        "n",
        "cost_credits",
        "cache_hit",
        "attempts",
        "failure",
        "created_at",
    ]
    list_filter = ["status", "engine", "cache_hit", "failure_code", "tenant"]
    list_select_related = ["tenant"]
    search_fields = ["id", "tenant__slug", "description", "prompt"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in GenerationJob._meta.fields]
    inlines = [GeneratedImageInline]
    actions = ["retry_failed"]

    class Media:
        css = ADMIN_MEDIA

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # jobs are the billing record; never deleted by hand

    @admin.display(description="Failure", ordering="failure_code")
    def failure(self, obj):
        if not obj.failure_code:
            return "—"
        return format_html('<span title="{}">{}</span>', obj.failure_message, obj.failure_code)

    # Staff actions need the model's change permission, not just a staff login: view-only
    # staff can look but not spend a tenant's credits or message its endpoints.
    @admin.action(
        description="Retry failed jobs as new jobs (same seeds, charged normally)",
        permissions=["change"],
    )
    def retry_failed(self, request, queryset):
        retried = 0
        for job in queryset.select_related("tenant"):
            try:
                new = staff.retry_failed_job(job=job, actor=_actor(request))
            except DomainError as exc:
                self.message_user(request, f"{job.pk}: {exc.message}", messages.ERROR)
                continue
            retried += 1
            self.message_user(request, f"{job.pk} → new job {new.pk} ({new.status}).")
        self.message_user(request, f"{retried} job(s) re-submitted.")


@admin.register(GeneratedImage)
class GeneratedImageAdmin(admin.ModelAdmin):
    list_display = [
        "thumb",
        "job_link",
        "tenant",
        "engine",
        "clip_score",
        "brand_score",
        "final_score",
        "identity",
        "selected",
        "review_status",
        "created_at",
    ]
    list_filter = [
        "review_status",
        ScoreBandFilter,
        BrandScoreFilter,
        "engine",
        "selected",
        "tenant",
    ]
    list_select_related = ["tenant", "job"]
    list_per_page = 50
    search_fields = ["job__id", "tenant__slug", "job__description"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "thumb_large",
        "job",
        "tenant",
        "index",
        "seed",
        "engine",
        "clip_score",
        "brand_score",
        "final_score",
        "adapter_version_id",
        "metadata",
        "original",
        "review_status",
    ]
    fields = readonly_fields + ["review_note"]
    actions = ["approve", "flag", "reset_review"]

    class Media:
        css = ADMIN_MEDIA

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("files")

    def changelist_view(self, request, extra_context=None):
        if not weights_status().scores_meaningful:
            self.message_user(
                request,
                "CLIP/brand scores here come from untrained (test) weights or are missing: "
                "review the pictures, not the numbers.",
                messages.WARNING,
            )
        return super().changelist_view(request, extra_context)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        # The note is the only editable field; saving it is a (re-)review, audited like one.
        staff.review_images(
            images=[obj], status=obj.review_status, actor=_actor(request), note=obj.review_note
        )

    @admin.display(description="Image")
    def thumb(self, obj):
        return _thumb(obj, 64)

    @admin.display(description="Image")
    def thumb_large(self, obj):
        return _thumb(obj, 256)

    @admin.display(description="Identity")
    def identity(self, obj):
        """A state pack image's CLIP image-image similarity to the avatar it was made from."""
        score = (obj.quality or {}).get("identity")
        return "—" if score is None else f"{score:.3f}"

    @admin.display(description="Job", ordering="job__created_at")
    def job_link(self, obj):
        url = reverse("admin:generation_generationjob_change", args=[obj.job_id])
        return format_html('<a href="{}">{}</a>', url, obj.job.description[:40])

    def _review(self, request, queryset, status):
        count = staff.review_images(images=queryset, status=status, actor=_actor(request))
        self.message_user(request, f"{count} image(s) marked {status}.")

    @admin.action(description="Approve selected images", permissions=["change"])
    def approve(self, request, queryset):
        self._review(request, queryset, GeneratedImage.Review.APPROVED)

    @admin.action(description="Flag selected images", permissions=["change"])
    def flag(self, request, queryset):
        self._review(request, queryset, GeneratedImage.Review.FLAGGED)

    @admin.action(description="Back to 'not reviewed'", permissions=["change"])
    def reset_review(self, request, queryset):
        self._review(request, queryset, GeneratedImage.Review.PENDING)


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ["url", "tenant", "is_active", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["url", "tenant__slug"]
    exclude = ["secret"]
    readonly_fields = ["tenant"]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "event_type",
        "tenant",
        "endpoint",
        "status",
        "attempts",
        "response_code",
        "next_attempt_at",
        "created_at",
    ]
    list_filter = ["status", "event_type"]
    list_select_related = ["tenant", "endpoint"]
    search_fields = ["message_id", "tenant__slug", "endpoint__url"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]
    actions = ["redeliver"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Redeliver now (same webhook-id)", permissions=["change"])
    def redeliver(self, request, queryset):
        count = 0
        for delivery in queryset.select_related("tenant"):
            staff.redeliver_as_staff(delivery=delivery, actor=_actor(request))
            count += 1
        self.message_user(request, f"{count} deliver{'y' if count == 1 else 'ies'} queued again.")


@admin.register(ImageFile)
class ImageFileAdmin(admin.ModelAdmin):
    list_display = ["image", "tenant", "size", "shape", "format", "bytes", "created_at"]
    list_filter = ["shape", "format", "size"]
    readonly_fields = [f.name for f in ImageFile._meta.fields]

    def has_add_permission(self, request):
        return False
