"""A job's ControlNet conditions: the preset's control images plus the job's own upload,
checked at submit (before anything is charged) and turned into stored control maps.

Each stored control is {"type", "scale", "source", "map", "map_hash"}: the map is the
preprocessed picture at the job's size under the tenant's prefix, and its sha256 is what the
image metadata and the sidecar record. Re-renders and seed variations replay the stored maps.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext

from core import storage
from core.errors import InvalidInput
from core.model_settings import controlnet_configured
from generation.engines.control_maps import png_bytes, prepare_control_map, sha256_hex
from generation.engines.diffusers_requests import MAX_CONTROLS
from generation.jobs.render_config import PresetRenderConfig
from styles.services.control_images import clean_control_type, clean_scale, open_control_image


@dataclass(frozen=True)
class ControlUpload:
    """A job's own control image, as sent (bytes are hashed, not stored, in the fingerprint)."""

    data: bytes
    type: str = "canny"
    scale: float = 1.0
    preprocess: bool = True


@dataclass(frozen=True)
class PlannedControl:
    type: str
    scale: float
    source: str  # "preset:<control image id>" or "upload"
    preprocess: bool = True
    image: Any = None  # the decoded upload
    file: str = ""  # or the preset control picture's storage name


def plan_controls(
    *, engine: str, config: PresetRenderConfig, upload: ControlUpload | None, use_preset: bool
) -> list[PlannedControl]:
    """The controls a job will render with; InvalidInput names the field that cannot work."""
    planned: list[PlannedControl] = []
    if engine == "diffusers" and use_preset:
        planned += [
            PlannedControl(c.type, c.scale, f"preset:{c.id}", c.preprocess, file=c.file)
            for c in config.controls
        ]
    if upload is not None:
        if engine != "diffusers":
            raise InvalidInput(
                gettext("A control image steers the diffusion engine; use engine 'diffusers'."),
                field="control_image",
            )
        control_type = clean_control_type(upload.type)
        scale = clean_scale(upload.scale, field="control_scale")
        image = open_control_image(upload.data, field="control_image")
        planned.append(PlannedControl(control_type, scale, "upload", upload.preprocess, image))
    for control in planned:
        if not controlnet_configured(control.type):
            raise InvalidInput(
                gettext("This server has no %(type)s ControlNet (AVATARSAAS_CONTROLNET_%(type2)s).")
                % {"type": control.type, "type2": control.type.upper()},
                field="control_type" if control.source == "upload" else "preset",
                code="controlnet_not_configured",
            )
    if len(planned) > MAX_CONTROLS:
        raise InvalidInput(
            gettext("At most %(max_controls)s control images per job.")
            % {"max_controls": MAX_CONTROLS},
            field="control_image",
        )
    return planned


def store_controls(tenant_id, size: int, planned: list[PlannedControl]) -> list[dict[str, Any]]:
    """Preprocess each control picture to its map at `size`, store it, record its sha256."""
    from PIL import Image

    stored = []
    for control in planned:
        picture = control.image
        if picture is None:
            picture = Image.open(io.BytesIO(storage.read_bytes(control.file)))
            picture.load()
        image = prepare_control_map(picture, control.type, size, preprocess=control.preprocess)
        data = png_bytes(image)
        stored.append(
            {
                "type": control.type,
                "scale": control.scale,
                "source": control.source,
                "map": storage.save_bytes(tenant_id, "controls", "png", data),
                "map_hash": sha256_hex(data),
            }
        )
    return stored


def public_controls(controls: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What the API and pages show of a job's controls (no storage names)."""
    return [{k: c.get(k) for k in ("type", "scale", "source", "map_hash")} for c in controls or []]
