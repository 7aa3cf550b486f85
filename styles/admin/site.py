from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.errors import DomainError
from core.model_settings import weights_status
from styles.admin import review as admin_review
from styles.models import (
    AdapterImport,
    AdapterImportState,
    BrandKitSettings,
    DatasetImage,
    FineTune,
    FineTuneState,
    LoraAdapter,
    LoraDataset,
    ReferenceImage,
    StylePreset,
)
from styles.services import adapter_imports, finetunes


class ReviewActionForm(ActionForm):
    note = forms.CharField(
        required=False,
        max_length=500,
        label=_("Review note"),
        help_text=_("Shown to the tenant; required to reject."),
    )


@admin.register(FineTune)
class FineTuneAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "tenant",
        "state",
        "progress",
        "steps",
        "rank",
        "resolution",
        "cost_credits",
        "attempts",
        "reviewed_by",
        "created_at",
    ]
    list_filter = ["state", "train_text_encoder"]
    search_fields = ["id", "name", "tenant__slug", "trigger_word"]
    readonly_fields = [f.name for f in FineTune._meta.fields] + [
        "dataset_review",
        "loss_review",
        "validation_review",
    ]
    fieldsets = [
        (
            "Request",
            {
                "fields": [
                    "name",
                    "tenant",
                    "state",
                    "dataset",
                    "trigger_word",
                    ("rank", "alpha", "steps", "learning_rate"),
                    ("resolution", "batch_size", "train_text_encoder", "gradient_checkpointing"),
                    "cost_credits",
                    "created_by",
                    "created_at",
                ]
            },
        ),
        ("Review", {"fields": ["review_note", "reviewed_by", "reviewed_at"]}),
        ("Dataset", {"fields": ["dataset_review"]}),
        (
            "Training",
            {
                "fields": [
                    ("progress", "progress_step", "eta_seconds"),
                    "loss_review",
                    ("chosen_step", "validation_curve"),
                    ("started_at", "finished_at"),
                    ("failure_code", "failure_message"),
                ]
            },
        ),
        ("Validation", {"fields": ["validation_review"]}),
        (
            "Run internals",
            {
                "classes": ["collapse"],
                "fields": [
                    "id",
                    "preset",
                    "base_model",
                    "base_model_hash",
                    "dataset_hash",
                    "checkpoint_every",
                    "seed",
                    ("attempts", "max_attempts"),
                    ("lease_owner", "lease_expires_at"),
                    ("checkpoint_name", "checkpoint_step"),
                    "loss_curve",
                    "validation",
                ],
            },
        ),
    ]
    action_form = ReviewActionForm
    actions = ["approve_selected", "reject_selected"]
    change_form_template = "admin/styles/finetune/change_form.html"

    class Media:
        css = {"all": ["css/admin.css"]}

    @admin.display(description=_("Dataset images and captions"))
    def dataset_review(self, obj):
        return admin_review.dataset_panel(obj)

    @admin.display(description=_("Loss"))
    def loss_review(self, obj):
        return admin_review.loss_panel(obj)

    @admin.display(description=_("Validation grid"))
    def validation_review(self, obj):
        return admin_review.validation_panel(
            obj, scores_meaningful=weights_status().scores_meaningful
        )

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_review_finetune_permission(self, request):
        return request.user.has_perm("styles.review_finetune")

    def _review(self, request, queryset, verb: str):
        if not self.has_review_finetune_permission(request):
            raise PermissionDenied(
                gettext("Reviewing fine-tunes needs the 'review fine-tunes' permission.")
            )
        _review_batch(
            self,
            request,
            queryset,
            pending=FineTuneState.SUBMITTED,
            act=finetunes.approve_finetune if verb == "approve" else finetunes.reject_finetune,
            id_arg="finetune_id",
            done_text=(
                gettext("Approved %(count)d fine-tune(s).")
                if verb == "approve"
                else gettext("Rejected %(count)d fine-tune(s).")
            ),
        )

    def has_change_permission(self, request, obj=None):
        # Every field is read-only: staff act through the review form and actions only.
        return False

    def get_urls(self):
        review = self.admin_site.admin_view(self.review_view)
        return [
            path("<uuid:object_id>/review/", review, name="styles_finetune_review"),
            *super().get_urls(),
        ]

    def render_change_form(self, request, context, *args, obj=None, **kwargs):
        context["can_review"] = (
            obj is not None
            and obj.state == FineTuneState.SUBMITTED
            and self.has_review_finetune_permission(request)
        )
        return super().render_change_form(request, context, *args, obj=obj, **kwargs)

    def review_view(self, request, object_id):
        """Approve or reject from the fine-tune's own page, then on to the next in the queue."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_review_finetune_permission(request):
            raise PermissionDenied(
                gettext("Reviewing fine-tunes needs the 'review fine-tunes' permission.")
            )
        ft = get_object_or_404(FineTune, pk=object_id)
        verb = request.POST.get("decision")
        if verb not in ("approve", "reject"):
            self.message_user(request, gettext("Choose approve or reject."), messages.ERROR)
            return redirect("admin:styles_finetune_change", ft.pk)
        self._review(request, FineTune.objects.filter(pk=ft.pk), verb)
        ft.refresh_from_db()
        if ft.state == FineTuneState.SUBMITTED:  # refused (e.g. a rejection without a note)
            return redirect("admin:styles_finetune_change", ft.pk)
        return redirect(reverse("admin:styles_finetune_changelist") + "?state__exact=submitted")

    @admin.action(
        description=_("Approve and queue training (note optional)"), permissions=["review_finetune"]
    )
    def approve_selected(self, request, queryset):
        self._review(request, queryset, "approve")

    @admin.action(
        description=_("Reject with the note below (credits released)"),
        permissions=["review_finetune"],
    )
    def reject_selected(self, request, queryset):
        self._review(request, queryset, "reject")


@admin.register(AdapterImport)
class AdapterImportAdmin(admin.ModelAdmin):
    """Imported LoRA files: staff look at the worker's report and preview, then approve (a new
    adapter version, lineage "imported") or reject with a note."""

    list_display = ["name", "tenant", "state", "format", "size_bytes", "reviewed_by", "created_at"]
    list_filter = ["state", "format"]
    search_fields = ["id", "name", "sha256", "tenant__slug"]
    readonly_fields = [f.name for f in AdapterImport._meta.fields] + [
        "report_review",
        "preview_review",
    ]
    fieldsets = [
        (
            "Upload",
            {
                "fields": [
                    "name",
                    "tenant",
                    "state",
                    "trigger_word",
                    ("original_name", "format", "size_bytes"),
                    "sha256",
                    "created_by",
                    "created_at",
                ]
            },
        ),
        ("Checks", {"fields": ["report_review", ("error_code", "validated_at")]}),
        ("Preview", {"fields": ["preview_review"]}),
        ("Review", {"fields": ["review_note", "reviewed_by", "reviewed_at"]}),
        (
            "Internals",
            {
                "classes": ["collapse"],
                "fields": ["id", "file", "base_model_hash", "report", "validation"],
            },
        ),
    ]
    action_form = ReviewActionForm
    actions = ["approve_selected", "reject_selected"]

    class Media:
        css = {"all": ["css/admin.css"]}

    @admin.display(description=_("What the file holds"))
    def report_review(self, obj):
        return admin_review.import_report_panel(obj)

    @admin.display(description=_("Preview grid"))
    def preview_review(self, obj):
        return admin_review.import_preview_panel(
            obj, scores_meaningful=weights_status().scores_meaningful
        )

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # read-only: staff act through the actions

    def has_review_adapterimport_permission(self, request):
        return request.user.has_perm("styles.review_adapterimport")

    def _review(self, request, queryset, verb: str):
        if not self.has_review_adapterimport_permission(request):
            raise PermissionDenied(
                gettext("Reviewing imports needs the 'review LoRA imports' permission.")
            )
        _review_batch(
            self,
            request,
            queryset,
            pending=AdapterImportState.PENDING_REVIEW,
            act=(
                adapter_imports.approve_import
                if verb == "approve"
                else adapter_imports.reject_import
            ),
            id_arg="import_id",
            done_text=(
                gettext("Approved %(count)d import(s).")
                if verb == "approve"
                else gettext("Rejected %(count)d import(s).")
            ),
        )

    @admin.action(
        description=_("Approve: publish as a new adapter version"),
        permissions=["review_adapterimport"],
    )
    def approve_selected(self, request, queryset):
        self._review(request, queryset, "approve")

    @admin.action(description=_("Reject with the note below"), permissions=["review_adapterimport"])
    def reject_selected(self, request, queryset):
        self._review(request, queryset, "reject")


@admin.register(LoraAdapter)
class LoraAdapterAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "version",
        "tenant",
        "lineage",
        "status",
        "size_bytes",
        "approved_by",
        "created_at",
    ]
    list_filter = ["status", "lineage"]
    search_fields = ["name", "sha256", "tenant__slug"]
    readonly_fields = [f.name for f in LoraAdapter._meta.fields if f.name != "status"]


class DatasetImageInline(admin.TabularInline):
    model = DatasetImage
    extra = 0
    fields = ["original_name", "status", "error_code", "width", "height", "caption"]
    readonly_fields = ["original_name", "status", "error_code", "width", "height"]
    can_delete = False
    show_change_link = False


@admin.register(LoraDataset)
class LoraDatasetAdmin(admin.ModelAdmin):
    list_display = ["name", "tenant", "trigger_word", "created_at"]
    search_fields = ["name", "tenant__slug"]
    inlines = [DatasetImageInline]


class ReferenceImageInline(admin.TabularInline):
    model = ReferenceImage
    extra = 0
    readonly_fields = ["file", "original_name"]


@admin.register(StylePreset)
class StylePresetAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "tenant", "engine", "is_locked", "active_adapter"]
    list_filter = ["is_locked", "engine"]
    search_fields = ["name", "slug", "tenant__slug"]
    raw_id_fields = ["active_adapter", "copied_from"]
    inlines = [ReferenceImageInline]


admin.site.register(BrandKitSettings)


def _review_batch(model_admin, request, queryset, *, pending, act, id_arg, done_text) -> None:
    """Approve or reject each selected item awaiting review (`act`), one by one so one refusal
    does not stop the rest; say what was done, refused and skipped."""
    note = request.POST.get("note", "")
    done = 0
    for item in queryset.filter(state=pending):
        try:
            act(**{id_arg: item.pk}, staff_user=request.user, note=note)
            done += 1
        except DomainError as exc:
            model_admin.message_user(
                request,
                gettext("%(item)s: %(error)s") % {"item": item, "error": exc.message},
                messages.ERROR,
            )
    skipped = queryset.exclude(state=pending).count()
    if done:
        model_admin.message_user(request, done_text % {"count": done}, messages.SUCCESS)
    if skipped:
        model_admin.message_user(
            request,
            gettext("Skipped %(count)d not awaiting review.") % {"count": skipped},
            messages.WARNING,
        )
