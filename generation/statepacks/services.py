"""Making a state pack: a normal, priced, idempotent job with one image per state.

The job starts from the picked image (`parent_image`) with its seed for every state. The
diffusion engine runs image-to-image at a moderate strength, steered by the picked image's line
art (or silhouette) when that ControlNet is configured; the vector engine redraws the same
plan. Credits are reserved with the job, in one transaction with the StatePack row.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from core import storage
from core.errors import Conflict, DomainError, InvalidInput, NotFound
from core.model_settings import controlnet_configured
from core.vocabulary import DEFAULT_STATE_PACK_STATES
from generation.jobs.changes import get_image
from generation.jobs.controls import PlannedControl, store_controls
from generation.jobs.render_config import render_config_for
from generation.jobs.submit import JobRequest, require_access, submit_job
from generation.models import GeneratedImage, GenerationJob, JobMode, StatePack
from generation.worker.render_inputs import open_png
from tenants.actors import Actor
from tenants.models import Tenant
from tenants.roles import Perm

# The source's shape, in the order a state pack prefers it: line art keeps the features where
# they were, a silhouette at least the outline. Scaled down so the expression can still change.
CONTROL_PREFERENCE = ("lineart", "silhouette")
CONTROL_SCALE = 0.6
ARTIFACT_KINDS = ("zip", "sprite", "manifest")


def pack_states(image: GeneratedImage) -> list[str]:
    config = render_config_for(image.job.preset)
    return list(config.state_pack_states) or list(DEFAULT_STATE_PACK_STATES)


def _source_control(tenant: Tenant, image: GeneratedImage) -> list[dict]:
    if image.engine != "diffusers":
        return []
    kind = next((k for k in CONTROL_PREFERENCE if controlnet_configured(k)), None)
    if kind is None:
        return []
    picture = open_png(storage.read_bytes(image.original.name), "RGB")
    return store_controls(
        tenant.pk, image.job.size, [PlannedControl(kind, CONTROL_SCALE, "statepack", image=picture)]
    )


def _replay(tenant: Tenant, key: str, image: GeneratedImage) -> StatePack | None:
    job = GenerationJob.objects.for_tenant(tenant).filter(idempotency_key=key).first()
    if job is None:
        return None
    pack = StatePack.objects.filter(job=job).first()
    if pack is None or pack.source_image_id != image.pk:
        raise Conflict(
            "This Idempotency-Key was already used with a different request; use a new key.",
            field="Idempotency-Key",
            code="idempotency_key_reused",
        )
    return pack


def make_state_pack(
    *, tenant: Tenant, actor: Actor, image_id, idempotency_key: str | None = None
) -> StatePack:
    """Queue a state pack of one image; see the module docstring."""
    require_access(actor, tenant, Perm.GENERATE, "jobs:write")
    image = get_image(tenant=tenant, image_id=image_id)
    source = image.job
    if source.mode == JobMode.STATEPACK:
        raise InvalidInput(
            "This image is a state of a pack already; make a pack from the avatar it came from.",
            field="image",
            code="already_a_state",
        )
    if idempotency_key:
        replayed = _replay(tenant, idempotency_key, image)
        if replayed is not None:
            return replayed
    states = pack_states(image)
    controls = _source_control(tenant, image)
    request = JobRequest.from_job(
        source,
        n=len(states),
        seed=image.seed,
        seeds=(image.seed,) * len(states),
        mode=JobMode.STATEPACK,
        parent_image_id=str(image.pk),
        strength=float(settings.AVATARSAAS_STATEPACK_STRENGTH),
        mask=None,
        controls=tuple(controls),
        circle=False,
    )
    maps = [c["map"] for c in controls]
    try:
        with transaction.atomic():
            job, created = submit_job(
                tenant=tenant, actor=actor, request=request, idempotency_key=idempotency_key
            )
            if created:
                return StatePack.objects.create(
                    tenant=tenant,
                    job=job,
                    source_image=image,
                    states=states,
                    animation="facial_actions" if job.engine == "vector" else "state_cycle",
                )
    except DomainError:
        storage.delete_after_commit(maps)  # refused (credits, quota, lock): keep no orphan
        raise
    # A concurrent request with the same key won the race: answer with its pack.
    storage.delete_after_commit(maps)
    replayed = _replay(tenant, idempotency_key or "", image)
    if replayed is None:
        raise Conflict("A state pack request with this key is in flight.", code="conflict")
    return replayed


def get_state_pack(*, tenant: Tenant, pack_id) -> StatePack:
    try:
        return StatePack.objects.for_tenant(tenant).select_related("job").get(pk=pack_id)
    except (StatePack.DoesNotExist, ValidationError, ValueError) as exc:
        raise NotFound("No such state pack in this workspace.") from exc


def pack_file(*, tenant: Tenant, pack_id, kind: str) -> tuple[StatePack, str]:
    """(pack, storage name) of one deliverable; 404 for an unknown kind or a pack not built."""
    pack = get_state_pack(tenant=tenant, pack_id=pack_id)
    name = (pack.files or {}).get(kind)
    if not name:
        raise NotFound(
            f"This state pack has no '{kind}' file"
            + ("" if pack.is_ready else " yet: it is still rendering")
            + f". Files: {', '.join(sorted(pack.files or {})) or 'none yet'}.",
            field="kind",
        )
    return pack, name


def pack_images(pack: StatePack) -> list[tuple[str, GeneratedImage | None]]:
    """(state, its image row or None while rendering), in the pack's order."""
    by_index = {img.index: img for img in pack.job.images.all()}
    return [(state, by_index.get(i)) for i, state in enumerate(pack.states)]
