"""Region edits: repaint the part of an avatar a mask marks with what the user asks for.

The mask (white = change) must be the image's size and mark something; it is stored under the
tenant's prefix with its sha256 before the job is submitted. The edit is a normal, charged,
quota-counted job: the parent's description with the request appended (so the prompt describes
the whole picture, as inpainting models expect), the parent's seed, engine, preset, adapter and
control maps, and `parent_image` for lineage. The worker composites the result over the parent
through the feathered mask, so nothing outside it changes.
"""

from __future__ import annotations

from django.utils.translation import gettext

from core import storage
from core.errors import DomainError, InvalidInput
from generation.engines.control_maps import png_bytes, sha256_hex
from generation.engines.masks import binary_mask
from generation.jobs.changes import get_image
from generation.jobs.submit import MAX_DESCRIPTION, JobRequest, require_access, submit_job
from generation.models import GenerationJob, JobMode
from styles.services.imaging import ImageRejected, open_image
from tenants.actors import Actor
from tenants.models import Tenant
from tenants.roles import Perm

MAX_EDIT_PROMPT = 300
MAX_MASK_BYTES = 4 * 2**20
MIN_MASK_SHARE = 1 / 4096  # at least this share of the pixels must be marked


def read_mask(data: bytes, size: int):
    """The binary mask (L, 255 = change) of an uploaded PNG/WebP, or InvalidInput on field
    `mask`: not an image, too big, the wrong size, or nothing marked."""
    if len(data) > MAX_MASK_BYTES:
        raise InvalidInput(
            gettext("The mask is larger than %(max_mask_bytes)s MB.")
            % {"max_mask_bytes": MAX_MASK_BYTES // 2**20},
            field="mask",
            code="too_large",
        )
    try:
        image = open_image(data, min_side=1, max_pixels=4096 * 4096)
    except ImageRejected as exc:
        raise InvalidInput(exc.message, field="mask", code=exc.code) from exc
    if image.size != (size, size):
        raise InvalidInput(
            gettext(
                "The mask is %(width)sx%(height)s; it must be %(size)sx%(size)s, the "
                "size of the image it edits."
            )
            % {"width": image.width, "height": image.height, "size": size},
            field="mask",
            code="wrong_size",
        )
    mask = binary_mask(image)
    marked = sum(1 for v in mask.getdata() if v)
    if marked < max(1, size * size * MIN_MASK_SHARE):
        raise InvalidInput(
            gettext("The mask marks nothing: paint (white) over the part to change."),
            field="mask",
            code="empty_mask",
        )
    return mask


def edit_image(
    *,
    tenant: Tenant,
    actor: Actor,
    image_id,
    mask: bytes,
    prompt: str,
    strength: float | None = None,
    idempotency_key: str | None = None,
) -> GenerationJob:
    """Queue a region edit of one image; see the module docstring."""
    require_access(actor, tenant, Perm.GENERATE, "jobs:write")
    image = get_image(tenant=tenant, image_id=image_id)
    text = " ".join((prompt or "").split())
    if not text:
        raise InvalidInput(
            gettext("Say what should be there, e.g. 'a red bow tie instead'."), field="prompt"
        )
    if len(text) > MAX_EDIT_PROMPT:
        raise InvalidInput(
            gettext("Keep the edit under %(max_edit_prompt)s characters.")
            % {"max_edit_prompt": MAX_EDIT_PROMPT},
            field="prompt",
        )
    parent = image.job
    data = png_bytes(read_mask(mask, parent.size))
    name = storage.save_bytes(tenant.pk, "masks", "png", data)
    room = MAX_DESCRIPTION - len(text) - 2
    request = JobRequest.from_job(
        parent,
        description=f"{parent.description[:room]}, {text}",
        attributes={},  # re-parsed from the combined description, so the request counts
        n=1,
        seed=image.seed,
        seeds=(image.seed,),
        mode=JobMode.EDIT,
        parent_image_id=str(image.pk),
        strength=1.0 if strength is None else strength,
        mask=(name, sha256_hex(data)),
    )
    try:
        job, _ = submit_job(
            tenant=tenant, actor=actor, request=request, idempotency_key=idempotency_key
        )
    except DomainError:
        storage.delete_after_commit([name])  # refused (credits, quota, lock): keep no orphan
        raise
    if job.mask.name != name:  # an idempotent replay answered with the first job's mask
        storage.delete_after_commit([name])
    return job
