"""Blink and talk loops, and their animated files (WebP, GIF, APNG) and frame strips.

The vector engine draws every frame from facial action parameters (eyelid and mouth openness),
so a loop is exact and deterministic. A diffusion pack has no such parameters: its loop cycles
the state images, which the manifest and the page say plainly.

Consecutive frames always differ: GIF and APNG writers merge equal neighbours (adding their
durations), which would change the frame count a widget reads from the manifest. A long hold
is therefore one frame with a long duration. GIF durations are multiples of 10 ms.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image

from generation.engines.vector.expressions import FaceAction


@dataclass(frozen=True)
class Loop:
    name: str
    actions: tuple[FaceAction, ...]
    durations_ms: tuple[int, ...]


BLINK = Loop(
    "blink",
    (FaceAction(1.0), FaceAction(0.5), FaceAction(0.0), FaceAction(0.5)),
    (2400, 60, 90, 60),
)
TALK = Loop(
    "talk",
    tuple(FaceAction(1.0, m) for m in (0.0, 0.45, 0.9, 0.6, 1.0, 0.3)),
    (120, 90, 110, 90, 120, 100),
)
VECTOR_LOOPS = (BLINK, TALK)
STATE_CYCLE_MS = 700  # each state's time on screen when a diffusion pack cycles its states
FORMATS = {"webp": "image/webp", "gif": "image/gif", "apng": "image/png"}


def encode(frames: list[Image.Image], durations: list[int], fmt: str) -> bytes:
    """One animated file that loops forever; frames are RGBA of one size."""
    buf = io.BytesIO()
    first, rest = frames[0], frames[1:]
    if fmt == "webp":
        first.save(
            buf, "WEBP", save_all=True, append_images=rest, duration=durations, loop=0,
            lossless=True, method=4,
        )  # fmt: skip
    elif fmt == "gif":
        # GIF has one-bit transparency; disposal 2 clears each frame so edges never pile up.
        first.save(
            buf, "GIF", save_all=True, append_images=rest, duration=durations, loop=0, disposal=2,
            optimize=False,
        )  # fmt: skip
    elif fmt == "apng":
        first.save(
            buf, "PNG", save_all=True, append_images=rest, duration=durations, loop=0,
            disposal=1, blend=0,
        )  # fmt: skip
    else:
        raise ValueError(f"unknown animation format {fmt!r}")
    return buf.getvalue()


def frame_strip(frames: list[Image.Image]) -> tuple[Image.Image, list[dict[str, int]]]:
    """Frames side by side on one transparent PNG, and each frame's rect in it."""
    w, h = frames[0].size
    strip = Image.new("RGBA", (w * len(frames), h), (0, 0, 0, 0))
    rects = []
    for i, frame in enumerate(frames):
        strip.paste(frame.convert("RGBA"), (i * w, 0))
        rects.append({"x": i * w, "y": 0, "w": w, "h": h})
    return strip, rects


def gif_durations(durations: list[int]) -> list[int]:
    return [max(20, int(round(d / 10.0)) * 10) for d in durations]
