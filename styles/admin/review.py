"""What staff look at when reviewing a fine-tune in the admin: the dataset (thumbnails and
captions), the loss curve and, once trained, the validation grid with its scores; and for a
LoRA import, what the worker found in the file and its preview grid.

Staff are not members of the tenant, so the pictures come through staff-only file views
(`avatarsaas.admin_views`), not the tenant's dashboard URLs.
"""

from __future__ import annotations

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from styles.models import AdapterImport, DatasetImage, FineTune
from styles.web import loss_chart

MAX_THUMBNAILS = 48


def _test_weights_note() -> str:
    # The catalog is ours, so its markup is trusted like the template's.
    note = gettext("<strong>Test weights:</strong> CLIP scores are not quality.")
    return mark_safe(f"<p>{note}</p>")


def dataset_panel(ft: FineTune) -> str:
    if ft.dataset_id is None:
        return format_html(
            gettext("<p>The tenant deleted this dataset (hash <code>{hash}</code>).</p>"),
            hash=ft.dataset_hash or gettext("unknown"),
        )
    images = DatasetImage.objects.filter(dataset_id=ft.dataset_id)
    accepted = images.filter(status=DatasetImage.Status.ACCEPTED).order_by("created_at")
    counts = format_html(
        gettext(
            "<p>{accepted} accepted, {rejected} rejected. Trigger word <code>{trigger}</code>."
            "{more}</p>"
        ),
        accepted=accepted.count(),
        rejected=images.filter(status=DatasetImage.Status.REJECTED).count(),
        trigger=ft.trigger_word,
        more=format_html(gettext(" Showing the first {count}."), count=MAX_THUMBNAILS)
        if accepted.count() > MAX_THUMBNAILS
        else "",
    )
    cells = format_html_join(
        "",
        '<figure class="review-cell"><img src="{}" width="96" height="96" alt="{}">'
        "<figcaption>{}</figcaption></figure>",
        (
            (
                reverse("admin_dataset_image", args=[img.pk]),
                img.original_name,
                img.caption or gettext("(no caption)"),
            )
            for img in accepted[:MAX_THUMBNAILS]
        ),
    )
    return format_html('{}<div class="review-grid" id="dataset-review">{}</div>', counts, cells)


def loss_panel(ft: FineTune) -> str:
    chart = loss_chart.build(ft.loss_curve)
    if chart is None:
        return format_html("<p>{}</p>", gettext("No training steps recorded yet."))
    return render_to_string("styles/partials/loss_chart.html", {"chart": chart})


def validation_panel(ft: FineTune, *, scores_meaningful: bool) -> str:
    cells = [(i, c) for i, c in enumerate(ft.validation) if "prompt" in c]
    if not cells:
        return format_html("<p>{}</p>", gettext("The validation grid is rendered after training."))
    note = "" if scores_meaningful else _test_weights_note()
    figures = format_html_join(
        "",
        '<figure class="review-cell"><img src="{}" width="128" height="128" alt="{}">'
        "<figcaption>{} · {}{}</figcaption></figure>",
        (
            (
                reverse("admin_finetune_validation", args=[ft.pk, i]),
                cell["prompt"],
                cell["prompt"],
                gettext("seed %(seed)s") % {"seed": cell["seed"]},
                f" · CLIP {cell['clip_score']:.3f}" if cell.get("clip_score") is not None else "",
            )
            for i, cell in cells
        ),
    )
    return format_html('{}<div class="review-grid" id="validation-review">{}</div>', note, figures)


def import_report_panel(item: AdapterImport) -> str:
    """What the worker found in an imported LoRA file, or why it was refused."""
    if item.error_message:
        return format_html(
            gettext("<p><strong>Refused:</strong> {error}</p>"), error=item.error_message
        )
    report = item.report or {}
    if not report:
        return format_html("<p>{}</p>", gettext("A worker has not checked the file yet."))
    modules = ", ".join(
        gettext("%(count)s %(part)s layers") % {"count": n, "part": part}
        for part, n in (report.get("modules") or {}).items()
    )
    return format_html(
        gettext(
            "<p>{format} format, rank {rank}, alpha {alpha}: {modules}. Fits the configured "
            "base model (<code>{base}</code>).</p>"
        ),
        format=report.get("format", "?"),
        rank="/".join(str(r) for r in report.get("ranks") or []) or "?",
        alpha="/".join(f"{a:g}" for a in report.get("alphas") or []) or gettext("= rank"),
        modules=modules or gettext("no layers"),
        base=(item.base_model_hash or "")[:16],
    )


def import_preview_panel(item: AdapterImport, *, scores_meaningful: bool) -> str:
    cells = [(i, c) for i, c in enumerate(item.validation) if "prompt" in c]
    if not cells:
        return format_html(
            "<p>{}</p>", gettext("The preview is rendered once the file passes its checks.")
        )
    note = "" if scores_meaningful else _test_weights_note()
    figures = format_html_join(
        "",
        '<figure class="review-cell"><img src="{}" width="128" height="128" alt="{}">'
        "<figcaption>{} · {}{}</figcaption></figure>",
        (
            (
                reverse("admin_import_preview", args=[item.pk, i]),
                cell["prompt"],
                cell["prompt"],
                gettext("seed %(seed)s") % {"seed": cell["seed"]},
                f" · CLIP {cell['clip_score']:.3f}" if cell.get("clip_score") is not None else "",
            )
            for i, cell in cells
        ),
    )
    return format_html('{}<div class="review-grid" id="import-preview">{}</div>', note, figures)
