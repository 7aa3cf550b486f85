"""The generate page's live preview: what was understood and a vector sketch of it.

With JavaScript the page asks `POST /api/v1/parse/` and `sketch` below as the user types;
without it the "Preview" button posts the whole form and `page_preview` fills the same boxes
on the server, with the sketch inlined as a data: URL (allowed by the CSP's img-src).
"""

from __future__ import annotations

import base64

from django.http import Http404, HttpResponse, JsonResponse
from django.views.decorators.http import require_POST

from core.api_errors import error_body
from core.errors import DomainError, NotFound
from core.fixed_window import RateLimited
from core.vocabulary import MAX_N
from generation.jobs.sketch import SketchRequest, render_sketch
from generation.jobs.submit import JobRequest, quote_job
from generation.web.attribute_history import AttributeHistory, chip_text, pending_changes
from generation.web.forms import ENGINES
from tenants.actors import Actor
from tenants.roles import Perm
from tenants.web import tenant_view


def _seed(value) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdigit() and int(value) < 2**31 else None


@tenant_view(Perm.GENERATE)
@require_POST
def sketch(request, preset_id=None):
    """PNG sketch of `description` with the `attr_<name>` overrides, in this tenant's preset."""
    post = request.POST
    try:
        result = render_sketch(
            tenant=request.tenant,
            request=SketchRequest(
                description=post.get("description", ""),
                preset_id=str(preset_id) if preset_id else None,
                edits={k: v for k, v in pending_changes(post).items() if v},
                seed=_seed(post.get("seed")),
            ),
        )
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except DomainError as exc:
        response = JsonResponse(
            error_body(exc.code, exc.message, field=exc.field, **exc.extra),
            status=exc.status_code,
        )
        if isinstance(exc, RateLimited):
            response["Retry-After"] = str(exc.retry_after)
        return response
    response = HttpResponse(result.png, content_type="image/png")
    response["Cache-Control"] = "private, no-store"
    response["X-Sketch-Cache"] = "hit" if result.cached else "miss"
    return response


def sketch_alt(attributes: dict) -> str:
    shown = [chip_text(v) for k, v in attributes.items() if k != "exclude" and v]
    return "Vector sketch: " + ("; ".join(shown) if shown else "a default character")


def summary(attributes: dict, not_understood: list[dict]) -> str:
    """One sentence for the status region, so a screen reader hears what changed."""
    understood = ", ".join(f"{k.replace('_', ' ')} {chip_text(v)}" for k, v in attributes.items())
    text = f"Understood: {understood or 'nothing yet'}."
    if not_understood:
        text += " Not understood: " + ", ".join(n["text"] for n in not_understood) + "."
    return text + " Sketch updated."


def preview_for(request, *, history: AttributeHistory, action: str) -> dict | None:
    """The preview a posted generate form comes back with. Preview, Undo and Redo show it
    (another tenant's preset answers 404); a refused Generate keeps showing what was
    understood, since without JavaScript nothing else would, and leaves errors to the form."""
    engine = request.POST.get("engine")
    engine = engine if engine in ENGINES else None
    if action != "generate":
        return page_preview(request, history=history, engine=engine)
    try:
        preview = page_preview(request, history=history, engine=engine)
    except NotFound:
        return None
    return None if "error" in preview else preview


def page_preview(request, *, history: AttributeHistory, engine: str | None) -> dict:
    """The server-rendered preview boxes; {"error": ...} when the description cannot be
    previewed. Another tenant's preset raises NotFound (the page answers 404)."""
    post = request.POST
    description = post.get("description", "").strip()
    if not description:
        return {"error": "Describe your bot to preview it.", "summary": "Nothing to preview yet."}
    preset_id = post.get("preset") or None
    try:
        quote = quote_job(
            tenant=request.tenant,
            actor=Actor.from_request(request),
            request=JobRequest(
                description=description,
                preset_id=preset_id,
                attributes=history.current,
                engine=engine,
                n=_n(post.get("n")),
            ),
        )
        drawn = render_sketch(
            tenant=request.tenant,
            request=SketchRequest(description, preset_id, history.current, _seed(post.get("seed"))),
        )
    except NotFound:
        raise
    except DomainError as exc:
        message = f"{exc.field}: {exc.message}" if exc.field else exc.message
        return {"error": message, "summary": message}
    d = quote.described
    return {
        "summary": summary(d.attributes, d.not_understood),
        "chips": [
            _chip(k, v, edited=k in history.current)
            for k, v in d.attributes.items()
            if k != "exclude"
        ],
        "excluded": d.attributes.get("exclude") or [],
        "not_understood": d.not_understood,
        "prompt": d.prompt,
        "parts": d.prompt_parts,
        "cut": d.cut,
        "sketch_src": "data:image/png;base64," + base64.b64encode(drawn.png).decode(),
        "sketch_alt": sketch_alt(drawn.attributes),
        "cost": quote.cost,
        "engine": quote.engine,
    }


def _chip(name: str, value, *, edited: bool) -> dict:
    text = chip_text(value)
    size = min(max(10, len(text) + 2), 40)  # long lists stay readable, within reason
    label = name.replace("_", " ")
    return {"name": name, "label": label, "value": text, "size": size, "edited": edited}


def _n(value) -> int:
    value = (value or "").strip()
    return int(value) if value.isdigit() and 1 <= int(value) <= MAX_N else 4
