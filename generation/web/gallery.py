"""The tenant's gallery: every generated image, filterable, with each image's lineage."""

from __future__ import annotations

from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone

from core.model_settings import weights_status
from generation import selectors
from generation.models import GeneratedImage, WorkspaceRanker
from generation.quality import learning, satisfaction
from generation.web.downloads import FORMATS, SHAPES
from styles.models import StylePreset
from tenants.roles import Perm
from tenants.web import paginate, tenant_view

SATISFACTION_DAYS = 30


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _float(value: str) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None


def filters_from(query) -> selectors.GalleryFilters:
    """Bad values are ignored rather than rejected: a filter form should never 500 or 400."""
    return selectors.GalleryFilters(
        preset=query.get("preset", "").strip(),
        adapter=query.get("adapter", "").strip(),
        since=_date(query.get("since", "")),
        until=_date(query.get("until", "")),
        min_score=_float(query.get("min_score", "")),
        picked_only=query.get("picked") == "1",
    )


@tenant_view(Perm.VIEW)
def gallery(request):
    filters = filters_from(request.GET)
    try:
        images = paginate(request, selectors.gallery_images(request.tenant, filters), 24)
    except (ValidationError, ValueError):  # a malformed preset id in the query string
        images = paginate(request, GeneratedImage.objects.none(), 24)
    for image in images:
        image.thumb = selectors.thumbnail_of(image)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "generation/gallery.html",
        {
            "images": images,
            "filters": filters,
            "query": query.urlencode(),
            "presets": StylePreset.objects.available_to(request.tenant).order_by("name"),
            "adapters": selectors.adapter_versions_in_use(request.tenant),
            "weights": weights_status(),
            "satisfaction": satisfaction.measure(
                since=timezone.now() - timedelta(days=SATISFACTION_DAYS), tenant=request.tenant
            ),
            "satisfaction_days": SATISFACTION_DAYS,
            "ranker": WorkspaceRanker.objects.for_tenant(request.tenant).first(),
            "ranker_min_picks": learning.min_picks(),
        },
    )


@tenant_view(Perm.VIEW)
def image_detail(request, image_id):
    try:
        image = selectors.image_with_lineage(request.tenant, image_id)
    except (GeneratedImage.DoesNotExist, ValidationError, ValueError) as exc:
        raise Http404("Image not found.") from exc
    return render(
        request,
        "generation/image_detail.html",
        {
            "image": image,
            "job": image.job,
            "preview": selectors.thumbnail_of(image, want=512),
            "made_by": selectors.made_by(image.job),
            "weights": weights_status(),
            "pack_sizes": selectors.pack_sizes_for(image.job),
            "pack_shapes": SHAPES,
            "pack_formats": FORMATS,
        },
    )
