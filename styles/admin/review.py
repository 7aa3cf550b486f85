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

from styles.models import AdapterImport, DatasetImage, FineTune
from styles.web import loss_chart

MAX_THUMBNAILS = 48


def dataset_panel(ft: FineTune) -> str:
    if ft.dataset_id is None:
        return format_html(
            "<p>The tenant deleted this dataset (hash <code>{}</code>).</p>",
            ft.dataset_hash or "unknown",
        )
    images = DatasetImage.objects.filter(dataset_id=ft.dataset_id)
    accepted = images.filter(status=DatasetImage.Status.ACCEPTED).order_by("created_at")
    counts = format_html(
        "<p>{} accepted, {} rejected. Trigger word <code>{}</code>.{}</p>",
        accepted.count(),
        images.filter(status=DatasetImage.Status.REJECTED).count(),
        ft.trigger_word,
        format_html(" Showing the first {}.", MAX_THUMBNAILS)
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
                img.caption or "(no caption)",
            )
            for img in accepted[:MAX_THUMBNAILS]
        ),
    )
    return format_html('{}<div class="review-grid" id="dataset-review">{}</div>', counts, cells)


def loss_panel(ft: FineTune) -> str:
    chart = loss_chart.build(ft.loss_curve)
    if chart is None:
        return mark_safe("<p>No training steps recorded yet.</p>")
    return render_to_string("styles/partials/loss_chart.html", {"chart": chart})


def validation_panel(ft: FineTune, *, scores_meaningful: bool) -> str:
    cells = [(i, c) for i, c in enumerate(ft.validation) if "prompt" in c]
    if not cells:
        return mark_safe("<p>The validation grid is rendered after training.</p>")
    note = (
        ""
        if scores_meaningful
        else mark_safe("<p><strong>Test weights:</strong> CLIP scores are not quality.</p>")
    )
    figures = format_html_join(
        "",
        '<figure class="review-cell"><img src="{}" width="128" height="128" alt="{}">'
        "<figcaption>{} · seed {}{}</figcaption></figure>",
        (
            (
                reverse("admin_finetune_validation", args=[ft.pk, i]),
                cell["prompt"],
                cell["prompt"],
                cell["seed"],
                f" · CLIP {cell['clip_score']:.3f}" if cell.get("clip_score") is not None else "",
            )
            for i, cell in cells
        ),
    )
    return format_html('{}<div class="review-grid" id="validation-review">{}</div>', note, figures)


def import_report_panel(item: AdapterImport) -> str:
    """What the worker found in an imported LoRA file, or why it was refused."""
    if item.error_message:
        return format_html("<p><strong>Refused:</strong> {}</p>", item.error_message)
    report = item.report or {}
    if not report:
        return mark_safe("<p>A worker has not checked the file yet.</p>")
    modules = ", ".join(f"{n} {part} layers" for part, n in (report.get("modules") or {}).items())
    return format_html(
        "<p>{} format, rank {}, alpha {}: {}. Fits the configured base model "
        "(<code>{}</code>).</p>",
        report.get("format", "?"),
        "/".join(str(r) for r in report.get("ranks") or []) or "?",
        "/".join(f"{a:g}" for a in report.get("alphas") or []) or "= rank",
        modules or "no layers",
        (item.base_model_hash or "")[:16],
    )


def import_preview_panel(item: AdapterImport, *, scores_meaningful: bool) -> str:
    cells = [(i, c) for i, c in enumerate(item.validation) if "prompt" in c]
    if not cells:
        return mark_safe("<p>The preview is rendered once the file passes its checks.</p>")
    note = (
        ""
        if scores_meaningful
        else mark_safe("<p><strong>Test weights:</strong> CLIP scores are not quality.</p>")
    )
    figures = format_html_join(
        "",
        '<figure class="review-cell"><img src="{}" width="128" height="128" alt="{}">'
        "<figcaption>{} · seed {}{}</figcaption></figure>",
        (
            (
                reverse("admin_import_preview", args=[item.pk, i]),
                cell["prompt"],
                cell["prompt"],
                cell["seed"],
                f" · CLIP {cell['clip_score']:.3f}" if cell.get("clip_score") is not None else "",
            )
            for i, cell in cells
        ),
    )
    return format_html('{}<div class="review-grid" id="import-preview">{}</div>', note, figures)
