"""Dashboard pages for state packs: "Make a state pack" on a candidate, the pack's page with
its animated preview, per-state scores and downloads, and the pack's files."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from core.errors import DomainError
from core.model_settings import weights_status
from generation import selectors
from generation.jobs.changes import get_image
from generation.statepacks.files import serve_pack_file
from generation.statepacks.render_job import identity_meaningful
from generation.statepacks.services import (
    get_state_pack,
    make_state_pack,
    pack_file,
    pack_images,
)
from tenants.actors import Actor
from tenants.roles import Perm, role_allows
from tenants.web import flash_domain_error, tenant_view

DOWNLOAD_LABELS = {
    "zip": _("Everything (zip: every state in every size, sprite sheet, manifest, animations)"),
    "sprite": _("Sprite sheet (PNG)"),
    "manifest": _("Manifest (JSON)"),
}


@tenant_view(Perm.GENERATE)
@require_POST
def image_state_pack(request, image_id):
    try:
        pack = make_state_pack(
            tenant=request.tenant, actor=Actor.from_request(request), image_id=image_id
        )
    except DomainError as exc:
        if exc.status_code == 404:
            raise Http404(exc.message) from exc
        flash_domain_error(request, exc)
        image = get_image(tenant=request.tenant, image_id=image_id)
        return redirect("job_detail", job_id=image.job_id)
    messages.success(
        request,
        ngettext(
            "Your state pack (%(n)s state) is rendering now.",
            "Your state pack (%(n)s states) is rendering now.",
            len(pack.states),
        )
        % {"n": len(pack.states)},
    )
    return redirect("state_pack_detail", pack_id=pack.pk)


def _pack_for(request, pack_id):
    try:
        return get_state_pack(tenant=request.tenant, pack_id=pack_id)
    except DomainError as exc:
        raise Http404(exc.message) from exc


@tenant_view(Perm.VIEW)
def state_pack_detail(request, pack_id):
    pack = _pack_for(request, pack_id)
    results = pack.results or []
    states = []
    for index, (state, image) in enumerate(pack_images(pack)):
        thumb = selectors.thumbnail_of(image) if image else None
        states.append(
            {
                "name": state,
                "image": image,
                "thumb": thumb,
                **(results[index] if index < len(results) else {}),
            }
        )
    loops = [a for a in (pack.manifest or {}).get("animations", [])]
    downloads = [
        (kind, DOWNLOAD_LABELS.get(kind, _loop_label(kind))) for kind in sorted(pack.files or {})
    ]
    return render(
        request,
        "generation/statepack.html",
        {
            "pack": pack,
            "job": pack.job,
            "states": states,
            "loops": loops,
            "downloads": downloads,
            "weights": weights_status(),
            "identity_meaningful": identity_meaningful(),
            "can_generate": role_allows(request.membership.role, Perm.GENERATE),
        },
    )


def _loop_label(kind: str) -> str:
    name, _, fmt = kind.partition(".")
    what = {
        "strip": gettext("frame strip (PNG)"),
        "apng": gettext("animated PNG"),
        "webp": gettext("animated WebP"),
    }
    return gettext("%(name)s loop: %(what)s") % {
        "name": name.capitalize(),
        "what": what.get(fmt, fmt.upper()),
    }


@tenant_view(Perm.VIEW)
def state_pack_file(request, pack_id, kind: str):
    try:
        pack, name = pack_file(tenant=request.tenant, pack_id=pack_id, kind=kind)
    except DomainError as exc:
        raise Http404(exc.message) from exc
    return serve_pack_file(pack, kind, name, attachment=request.GET.get("download") == "1")
