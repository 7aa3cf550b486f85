from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html

from generation.models import (
    GeneratedImage,
    GenerationJob,
    ImageFile,
    WebhookDelivery,
    WebhookEndpoint,
)
from tenants.actors import Actor
from tenants.audit import record_event


class GeneratedImageInline(admin.TabularInline):
    model = GeneratedImage
    extra = 0
    fields = ["thumb", "index", "seed", "clip_score", "brand_score", "selected", "review_status"]
    readonly_fields = ["thumb", "index", "seed", "clip_score", "brand_score", "selected"]
    can_delete = False

    @admin.display(description="")
    def thumb(self, obj):
        return _thumb(obj)


def _thumb(image, size=96):
    f = image.files.order_by("size").filter(size__gte=64).first() if image.pk else None
    if f is None:
        return "—"
    url = reverse("admin_image_file", args=[f.pk])
    return format_html(
        '<img src="{}" width="{}" height="{}" style="border-radius:8px">', url, size, size
    )


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
        "failure_code",
        "created_at",
    ]
    list_filter = ["status", "engine", "cache_hit", "failure_code"]
    search_fields = ["id", "tenant__slug", "description", "prompt"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in GenerationJob._meta.fields]
    inlines = [GeneratedImageInline]
    actions = ["retry_failed"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Retry: run failed jobs again as new jobs (charged normally)")
    def retry_failed(self, request, queryset):
        from generation import jobs

        retried = 0
        for job in queryset.filter(status="failed"):
            actor = Actor(user=request.user, ip=request.META.get("REMOTE_ADDR"))
            try:
                new = jobs.submit_job(
                    tenant=job.tenant,
                    actor=Actor.system(),
                    request=jobs.JobRequest(
                        description=job.description,
                        preset_id=str(job.preset_id) if job.preset_id else None,
                        attributes=job.attributes,
                        engine=job.engine,
                        n=job.n,
                        seeds=tuple(job.seeds),
                        size=job.size,
                        steps=job.steps,
                        guidance_scale=job.guidance_scale,
                        scheduler=job.scheduler,
                        circle=job.circle,
                    ),
                )[0]
            except Exception as exc:  # noqa: BLE001 - report per job to the operator
                self.message_user(request, f"{job.pk}: {exc}", messages.ERROR)
                continue
            record_event(
                tenant=job.tenant,
                actor=actor,
                action="job.retried_by_staff",
                target=new,
                metadata={"from": str(job.pk)},
            )
            retried += 1
        self.message_user(request, f"{retried} job(s) re-submitted.")


@admin.register(GeneratedImage)
class GeneratedImageAdmin(admin.ModelAdmin):
    list_display = [
        "thumb",
        "job",
        "tenant",
        "engine",
        "clip_score",
        "brand_score",
        "selected",
        "review_status",
        "created_at",
    ]
    list_filter = ["review_status", "engine", "selected"]
    search_fields = ["job__id", "tenant__slug"]
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
    ]
    fields = readonly_fields + ["review_status", "review_note"]
    actions = ["approve", "flag"]

    def has_add_permission(self, request):
        return False

    @admin.display(description="Image")
    def thumb(self, obj):
        return _thumb(obj, 64)

    @admin.display(description="Image")
    def thumb_large(self, obj):
        return _thumb(obj, 256)

    def _review(self, request, queryset, status):
        actor = Actor(user=request.user, ip=request.META.get("REMOTE_ADDR"))
        for image in queryset:
            image.review_status = status
            image.save(update_fields=["review_status"])
            record_event(tenant=image.tenant, actor=actor, action=f"image.{status}", target=image)
        self.message_user(request, f"{queryset.count()} image(s) marked {status}.")

    @admin.action(description="Approve selected images")
    def approve(self, request, queryset):
        self._review(request, queryset, GeneratedImage.Review.APPROVED)

    @admin.action(description="Flag selected images")
    def flag(self, request, queryset):
        self._review(request, queryset, GeneratedImage.Review.FLAGGED)


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ["url", "tenant", "is_active", "created_at"]
    exclude = ["secret"]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "event_type",
        "tenant",
        "endpoint",
        "status",
        "attempts",
        "response_code",
        "created_at",
    ]
    list_filter = ["status", "event_type"]
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]
    actions = ["redeliver"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Redeliver now")
    def redeliver(self, request, queryset):
        from generation import webhooks

        for d in queryset:
            webhooks.redeliver(tenant=d.tenant, actor=Actor(user=request.user), delivery_id=d.pk)


admin.site.register(ImageFile)
