"""Staff admin for ranking quality: each workspace's learned ranker and satisfaction measure,
and the feedback (votes, picks, downloads) it learns from. Read-only but for "retrain now"."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import admin, messages
from django.utils import timezone

from generation.models import ImageFeedback, WorkspaceRanker
from generation.quality import learning, satisfaction

SATISFACTION_DAYS = 30


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


@admin.register(WorkspaceRanker)
class WorkspaceRankerAdmin(admin.ModelAdmin):
    list_display = [
        "tenant",
        "ranking",
        "trained_on",
        "holdout_learned",
        "holdout_blended",
        "top1_agreement",
        "thumbs_up",
        "trained_at",
    ]
    list_filter = ["active"]
    list_select_related = ["tenant"]
    list_per_page = 50
    search_fields = ["tenant__slug", "tenant__name"]
    readonly_fields = [f.name for f in WorkspaceRanker._meta.fields]
    actions = ["retrain"]

    def has_add_permission(self, request):
        return False

    def _measure(self, obj) -> satisfaction.Satisfaction:
        cache = getattr(self, "_measures", {})
        self._measures = cache
        if obj.tenant_id not in cache:
            since = timezone.now() - timedelta(days=SATISFACTION_DAYS)
            cache[obj.tenant_id] = satisfaction.measure(since=since, tenant=obj.tenant)
        return cache[obj.tenant_id]

    @admin.display(description="Ranks by", ordering="active")
    def ranking(self, obj):
        if obj.active:
            return f"learned v{obj.version}"
        return "blended (learned lost on holdout)" if obj.version else "blended (untrained)"

    @admin.display(description="Holdout top-1: learned")
    def holdout_learned(self, obj):
        return _percent((obj.holdout or {}).get("learned_top1"))

    @admin.display(description="Holdout top-1: blended")
    def holdout_blended(self, obj):
        return _percent((obj.holdout or {}).get("blended_top1"))

    @admin.display(description=f"Top pick agreement ({SATISFACTION_DAYS} d)")
    def top1_agreement(self, obj):
        m = self._measure(obj)
        return f"{_percent(m.top1_rate)} of {m.choices}"

    @admin.display(description=f"Thumbs up ({SATISFACTION_DAYS} d)")
    def thumbs_up(self, obj):
        m = self._measure(obj)
        return f"{_percent(m.thumbs_up_rate)} of {m.votes}"

    @admin.action(description="Retrain now (needs the minimum number of picks)")
    def retrain(self, request, queryset):
        for ranker in queryset:
            trained = learning.train(ranker.tenant_id)
            if trained is None:
                self.message_user(
                    request,
                    f"{ranker.tenant}: fewer than {learning.min_picks()} picks; not trained.",
                    messages.WARNING,
                )
            else:
                self.message_user(request, f"{ranker.tenant}: {trained} ({trained.holdout}).")


@admin.register(ImageFeedback)
class ImageFeedbackAdmin(admin.ModelAdmin):
    list_display = ["image", "tenant", "who", "vote", "picked_at", "downloads", "updated_at"]
    list_filter = ["vote"]
    list_select_related = ["tenant", "user", "api_key"]
    search_fields = ["tenant__slug", "image__id", "job__id"]
    readonly_fields = [f.name for f in ImageFeedback._meta.fields]
    date_hierarchy = "updated_at"

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="From")
    def who(self, obj):
        return f"key {obj.api_key.prefix}" if obj.api_key_id else str(obj.user)
