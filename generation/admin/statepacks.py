"""Staff view of state packs: each state with its identity score (CLIP image-image similarity
to the source avatar), palette ΔE2000 and re-rolls, and how the background was removed."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from core.model_settings import weights_status
from generation.admin.site import ADMIN_MEDIA, _thumb
from generation.models import StatePack


@admin.register(StatePack)
class StatePackAdmin(admin.ModelAdmin):
    list_display = ["id", "tenant", "engine", "status", "state_count", "lowest_identity", "matting"]
    list_filter = ["matting", "animation", "tenant"]
    list_select_related = ["tenant", "job"]
    search_fields = ["id", "job__id", "tenant__slug"]
    readonly_fields = [
        "tenant",
        "job_link",
        "source_image",
        "states",
        "animation",
        "matting",
        "matting_note",
        "identity_table",
        "manifest",
    ]
    fields = readonly_fields

    class Media:
        css = ADMIN_MEDIA

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Engine")
    def engine(self, obj):
        return obj.job.engine

    @admin.display(description="Status")
    def status(self, obj):
        return obj.job.status

    @admin.display(description="States")
    def state_count(self, obj):
        return len(obj.states)

    @admin.display(description="Lowest identity")
    def lowest_identity(self, obj):
        scores = [r.get("identity_score") for r in obj.results or []]
        scores = [s for s in scores if s is not None]
        return f"{min(scores):.3f}" if scores else "—"

    @admin.display(description="Job")
    def job_link(self, obj):
        url = reverse("admin:generation_generationjob_change", args=[obj.job_id])
        return format_html('<a href="{}">{}</a>', url, obj.job_id)

    @admin.display(description="Identity per state")
    def identity_table(self, obj):
        images = {i.index: i for i in obj.job.images.prefetch_related("files")}
        results = obj.results or []
        rows = []
        for index, state in enumerate(obj.states):
            r = results[index] if index < len(results) else {}
            image = images.get(index)
            score = r.get("identity_score")
            rows.append(
                (
                    _thumb(image, 64) if image else "",
                    state,
                    "—" if score is None else f"{score:.3f}",
                    "—" if r.get("palette_delta_e") is None else f"{r['palette_delta_e']:.1f}",
                    r.get("rerolls", 0),
                )
            )
        note = (
            ""
            if weights_status().scores_meaningful
            else "Scores from untrained (test) CLIP weights: review the pictures, not the numbers."
        )
        return format_html(
            "<table><tr><th></th><th>state</th><th>identity</th><th>palette ΔE</th>"
            "<th>re-rolls</th></tr>{}</table><p>{}</p>",
            format_html_join(
                "",
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                rows,
            ),
            note,
        )
