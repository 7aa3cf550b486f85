"""A preset's control images: the brand pictures (silhouette, line art, sketch, pose, edges)
that steer its diffusion jobs through ControlNet. Stored as clean PNG copies; the control map
itself is derived per job at the job's size (generation.engines.control_maps)."""

from __future__ import annotations

import io

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext

from core import storage
from core.errors import InvalidInput, NotFound
from core.vocabulary import CONTROL_TYPES
from styles.models import PresetControlImage
from styles.services.imaging import ImageRejected, open_image
from styles.services.presets import get_own_preset, get_preset, require_manage
from tenants.actors import Actor
from tenants.audit import record_event
from tenants.models import Tenant

MAX_CONTROL_IMAGES = 3
MAX_CONTROL_BYTES = 8 * 2**20
MAX_CONTROL_PIXELS = 4096 * 4096
MIN_CONTROL_SIDE = 32
MAX_SCALE = 2.0


def clean_control_type(value) -> str:
    if value not in CONTROL_TYPES:
        raise InvalidInput(
            gettext("control_type must be one of %(control_types)s.")
            % {"control_types": ", ".join(CONTROL_TYPES)},
            field="control_type",
        )
    return value


def clean_scale(value, field: str = "conditioning_scale") -> float:
    try:
        scale = float(value)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(
            gettext("%(field)s must be a number.") % {"field": field}, field=field
        ) from exc
    if not 0.0 <= scale <= MAX_SCALE:
        raise InvalidInput(
            gettext("%(field)s must be between 0 and %(max_scale)s.")
            % {"field": field, "max_scale": format(MAX_SCALE, "g")},
            field=field,
        )
    return scale


def open_control_image(data: bytes, *, field: str = "file"):
    """Decode an uploaded control picture with the same guards as every other upload:
    PNG/JPEG/WebP only, at most MAX_CONTROL_BYTES and MAX_CONTROL_PIXELS."""
    if len(data) > MAX_CONTROL_BYTES:
        raise InvalidInput(
            gettext("The control image is %(data)s MB; the limit is %(max_control_bytes)s MB.")
            % {
                "data": format(len(data) / 2**20, ".1f"),
                "max_control_bytes": MAX_CONTROL_BYTES // 2**20,
            },
            field=field,
            code="too_large",
        )
    try:
        return open_image(data, min_side=MIN_CONTROL_SIDE, max_pixels=MAX_CONTROL_PIXELS)
    except ImageRejected as exc:
        code = "too_large" if exc.code == "decompression_bomb" else exc.code
        raise InvalidInput(exc.message, field=field, code=code) from exc


def _read(upload) -> bytes:
    if isinstance(upload, bytes | bytearray):
        return bytes(upload)
    if hasattr(upload, "seek"):
        upload.seek(0)
    return upload.read(MAX_CONTROL_BYTES + 1)


def add_control_image(
    *,
    tenant: Tenant,
    actor: Actor,
    preset_id,
    upload,
    control_type: str,
    conditioning_scale: float = 1.0,
    preprocess: bool = True,
    original_name: str = "",
) -> PresetControlImage:
    """Store a validated, metadata-free PNG copy of a control picture on a preset."""
    require_manage(tenant, actor)
    preset = get_own_preset(tenant=tenant, preset_id=preset_id)
    control_type = clean_control_type(control_type)
    scale = clean_scale(conditioning_scale)
    if preset.control_images.count() >= MAX_CONTROL_IMAGES:
        raise InvalidInput(
            gettext("A preset holds at most %(max_control_images)s control images.")
            % {"max_control_images": MAX_CONTROL_IMAGES},
            field="file",
        )
    image = open_control_image(_read(upload))
    buf = io.BytesIO()
    image.convert("RGBA" if "A" in image.getbands() else "RGB").save(buf, format="PNG")
    name = storage.save_bytes(tenant.pk, "controls", "png", buf.getvalue())
    with transaction.atomic():
        control = PresetControlImage.objects.create(
            tenant=tenant,
            preset=preset,
            file=name,
            original_name=original_name[:200],
            control_type=control_type,
            conditioning_scale=scale,
            preprocess=bool(preprocess),
        )
        record_event(
            tenant=tenant,
            actor=actor,
            action="preset.control_added",
            target=preset,
            metadata={"control_type": control_type, "scale": scale},
        )
    return control


def get_control_image(*, tenant: Tenant, control_id) -> PresetControlImage:
    try:
        return PresetControlImage.objects.for_tenant(tenant).get(pk=control_id)
    except (PresetControlImage.DoesNotExist, ValidationError, ValueError) as exc:
        raise NotFound(gettext("No such control image.")) from exc


def control_images_of(*, tenant: Tenant, preset_id) -> list[PresetControlImage]:
    """A preset's control images (built-ins have none)."""
    preset = get_preset(tenant=tenant, preset_id=preset_id)
    return [] if preset.is_builtin else list(preset.control_images.all())


@transaction.atomic
def update_control_image(
    *, tenant: Tenant, actor: Actor, control_id, conditioning_scale=None, preprocess=None
) -> PresetControlImage:
    require_manage(tenant, actor)
    control = get_control_image(tenant=tenant, control_id=control_id)
    if conditioning_scale is not None:
        control.conditioning_scale = clean_scale(conditioning_scale)
    if preprocess is not None:
        control.preprocess = bool(preprocess)
    control.save()
    record_event(tenant=tenant, actor=actor, action="preset.control_updated", target=control.preset)
    return control


@transaction.atomic
def remove_control_image(*, tenant: Tenant, actor: Actor, control_id) -> None:
    require_manage(tenant, actor)
    control = get_control_image(tenant=tenant, control_id=control_id)
    record_event(tenant=tenant, actor=actor, action="preset.control_removed", target=control.preset)
    control.delete()
    storage.delete_after_commit([control.file.name])
