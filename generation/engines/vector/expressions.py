"""Facial action frames for the vector engine: eyelid openness and mouth openness.

The same plan (attributes, palette, seed) is drawn with only the face changed, so every frame
and every expression of one character has an exact identity. A partly open eyelid is the open
drawing below the lid line and the closed drawing above it, inside the eye band only.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
from PIL import Image

from generation.engines.vector.canvas import Anchors
from generation.engines.vector.plan import Plan
from generation.engines.vector.render import render_with_anchors

# Margins (512 units) around the eyes and mouth that any expression may touch: brows sit 34
# above the eyes and lift 10 more, robot glows spread about 9, the eyes grow 1.5x at most and
# a happy human's cheeks blush out to 78 either side of the face's centre.
EYE_MARGIN, BROW_REACH, MOUTH_REACH, CHEEK_REACH = 36.0, 56.0, 0.9, 84.0


@dataclass(frozen=True)
class FaceAction:
    """One frame's facial action parameters: 1 = eyes wide open; None = the expression's mouth."""

    eyelid: float = 1.0
    mouth_open: float | None = None


def with_face(plan: Plan, *, expression: str | None = None, **extras) -> Plan:
    """`plan` with another expression or facial action parameters; nothing else changes."""
    changed = copy.deepcopy(plan)
    if expression is not None:
        changed.expression = expression
    changed.extras = {**changed.extras, **{k: v for k, v in extras.items() if v is not None}}
    return changed


def face_box(anchors: Anchors) -> tuple[float, float, float, float]:
    """The region (512 units) that an expression or facial action may change."""
    half_w = anchors.eye_dx + anchors.eye_r * 1.6 + EYE_MARGIN
    half_w = max(half_w, anchors.mouth_w * 0.9 + EYE_MARGIN, CHEEK_REACH)
    top = anchors.eye_y - anchors.eye_r * 1.8 - BROW_REACH
    bottom = anchors.mouth_y + anchors.mouth_w * MOUTH_REACH + EYE_MARGIN
    return (anchors.face_cx - half_w, top, anchors.face_cx + half_w, bottom)


def _eye_band(anchors: Anchors, size: int) -> tuple[int, int, int, int]:
    k = size / 512
    half_w = anchors.eye_dx + anchors.eye_r * 1.6 + 12
    top, bottom = anchors.eye_y - anchors.eye_r * 1.5 - 6, anchors.eye_y + anchors.eye_r * 1.5 + 6
    box = (anchors.face_cx - half_w, top, anchors.face_cx + half_w, bottom)
    x0, y0, x1, y1 = (round(v * k) for v in box)
    return max(0, x0), max(0, y0), min(size, x1), min(size, y1)


def render_face_frame(
    plan: Plan, size: int, action: FaceAction, *, transparent: bool = False
) -> Image.Image:
    """Draw `plan` with the facial action `action` (deterministic: same inputs, same bytes)."""
    return render_face_frames(plan, size, [action], transparent=transparent)[0]


def render_face_frames(
    plan: Plan, size: int, actions, *, transparent: bool = False
) -> list[Image.Image]:
    """`render_face_frame` for each action, drawing each (mouth, eyes open/shut) pose once:
    a blink's half-open frames reuse the open and the shut drawing."""
    drawn: dict[tuple, tuple[Image.Image, Anchors]] = {}

    def pose(mouth_open, shut: bool):
        key = (mouth_open, shut)
        if key not in drawn:
            posed = with_face(plan, mouth_open=mouth_open, eyes_closed=True if shut else None)
            drawn[key] = render_with_anchors(posed, size, transparent=transparent)
        return drawn[key]

    frames = []
    for action in actions:
        eyelid = max(0.0, min(1.0, action.eyelid))
        image, anchors = pose(action.mouth_open, eyelid <= 0.0)
        if 0.0 < eyelid < 1.0:
            closed, _ = pose(action.mouth_open, True)
            x0, y0, x1, y1 = _eye_band(anchors, size)
            lid = y0 + round((1.0 - eyelid) * (y1 - y0))
            out = np.array(image)
            out[y0:lid, x0:x1] = np.asarray(closed)[y0:lid, x0:x1]
            image = Image.fromarray(out, image.mode)
        frames.append(image)
    return frames


def face_region(plan: Plan, size: int) -> tuple[int, int, int, int]:
    """`face_box` in pixels of a `size` render, clamped to the image."""
    _, anchors = render_with_anchors(plan, 64)
    k = size / 512
    x0, y0, x1, y1 = face_box(anchors)
    return (
        max(0, int(x0 * k)),
        max(0, int(y0 * k)),
        min(size, int(np.ceil(x1 * k))),
        min(size, int(np.ceil(y1 * k))),
    )
