"""A state pack's files: every state in every avatar size on a transparent background, the
sprite sheet, the animation loops and the manifest that ties them together, and the zip.

Pure image work (no storage, no rows): the worker passes the chosen state images in and
stores what comes out.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass, field
from typing import Any

from PIL import Image

from generation.engines.vector.expressions import render_face_frames, with_face
from generation.engines.vector.plan import Plan
from generation.engines.vector.render import render_avatar
from generation.statepacks import animation
from generation.statepacks.matting import Matter, MattingRefused
from generation.statepacks.sprites import png_bytes, sprite_sheet
from generation.worker.postprocess import DEFAULT_SIZES

FORMAT = "avatarsaas.statepack/1"
MAX_CELL = 256  # sprite and animation frames: chat widgets show avatars small
CYCLE_NOTE = (
    "This pack was drawn by the diffusion engine, which has no facial action parameters: "
    "the loop cycles the state images instead of blinking or moving the mouth."
)
FACIAL_NOTE = "Drawn frame by frame from facial action parameters (eyelid and mouth openness)."


@dataclass(frozen=True)
class PackInputs:
    pack_id: str
    source_image_id: str | None
    engine: str
    size: int
    states: list[str]
    images: list[Image.Image]  # the chosen state images, as stored (RGB)
    results: list[dict[str, Any]]  # per state: seed, identity_score, palette_delta_e, rerolls
    identity: dict[str, Any]
    palette: tuple[str, ...] = ()
    vector_plans: list[Plan] | None = None  # the vector engine's plan of each state


@dataclass
class Deliverables:
    manifest: dict[str, Any]
    matting: str
    matting_note: str
    # Stored one by one (served for previews and downloads): kind -> (file name, bytes).
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)


def avatar_sizes(size: int) -> tuple[int, ...]:
    """Every avatar size up to the render's own (never upscaled)."""
    return tuple(s for s in DEFAULT_SIZES if s <= size) or (size,)


def transparent_states(inputs: PackInputs, matter: Matter) -> tuple[list[Image.Image], str, str]:
    """(RGBA state images, method, note). The vector engine redraws with real alpha; diffusion
    output is matted, or kept opaque with the refusal's message when it cannot be."""
    if inputs.vector_plans is not None:
        frames = [render_avatar(p, inputs.size, transparent=True) for p in inputs.vector_plans]
        return frames, "vector_alpha", "Drawn on a transparent canvas (exact alpha)."
    try:
        mattes = [matter.matte(image) for image in inputs.images]
    except MattingRefused as exc:
        return [i.convert("RGBA") for i in inputs.images], "refused", exc.message
    keys = sorted({m.key_color for m in mattes if m.key_color})
    note = f"Background keyed out ({', '.join(keys)})." if keys else ""
    return [m.image for m in mattes], mattes[0].method, note


def _loops(inputs: PackInputs, cell: int, stills: list[Image.Image]) -> list[dict[str, Any]]:
    """[{name, source, note, frames (RGBA), durations, details}] for the pack's engine."""
    if inputs.vector_plans is not None:
        base = with_face(inputs.vector_plans[0], expression="neutral")
        return [
            {
                "name": loop.name,
                "source": "facial_actions",
                "note": FACIAL_NOTE,
                "frames": render_face_frames(base, cell, loop.actions, transparent=True),
                "durations": list(loop.durations_ms),
                "details": [{"eyelid": a.eyelid, "mouth_open": a.mouth_open} for a in loop.actions],
            }
            for loop in animation.VECTOR_LOOPS
        ]
    return [
        {
            "name": "states",
            "source": "state_cycle",
            "note": CYCLE_NOTE,
            "frames": [s.resize((cell, cell), Image.Resampling.LANCZOS) for s in stills],
            "durations": [animation.STATE_CYCLE_MS] * len(stills),
            "details": [{"state": name} for name in inputs.states],
        }
    ]


def build(inputs: PackInputs, matter: Matter) -> Deliverables:
    stills, method, note = transparent_states(inputs, matter)
    sizes = avatar_sizes(inputs.size)
    cell = min(inputs.size, MAX_CELL)
    entries: dict[str, bytes] = {}
    states = []
    for name, still, result in zip(inputs.states, stills, inputs.results, strict=True):
        paths = {}
        for s in sizes:
            path = f"states/{name}/{s}.png"
            image = still if s == still.width else still.resize((s, s), Image.Resampling.LANCZOS)
            entries[path] = png_bytes(image)
            paths[str(s)] = path
        entries[f"states/{name}.png"] = entries[paths[str(sizes[0])]]
        states.append({"name": name, "file": f"states/{name}.png", "sizes": paths, **result})
    sheet, rects = sprite_sheet(stills, cell)
    entries["sprite.png"] = png_bytes(sheet)
    for state, rect in zip(states, rects, strict=True):
        state["frame"] = rect
    deliverables = Deliverables(manifest={}, matting=method, matting_note=note)
    animations = []
    for loop in _loops(inputs, cell, stills):
        animations.append(_add_loop(loop, entries, deliverables))
    manifest = {
        "format": FORMAT,
        "pack_id": inputs.pack_id,
        "source_image_id": inputs.source_image_id,
        "engine": inputs.engine,
        "size": inputs.size,
        "states": states,
        "sprite": {
            "file": "sprite.png",
            "width": sheet.width,
            "height": sheet.height,
            "cell": cell,
        },
        "animations": animations,
        "background": {
            "transparent": method != "refused",
            "method": method,
            "note": note,
        },
        "identity": inputs.identity,
        "palette": list(inputs.palette),
    }
    entries["manifest.json"] = json.dumps(manifest, indent=2).encode()
    deliverables.manifest = manifest
    deliverables.files["zip"] = ("statepack.zip", _zip(entries))
    deliverables.files["sprite"] = ("sprite.png", entries["sprite.png"])
    deliverables.files["manifest"] = ("manifest.json", entries["manifest.json"])
    return deliverables


def _add_loop(loop: dict[str, Any], entries: dict[str, bytes], out: Deliverables) -> dict:
    name, frames, durations = loop["name"], loop["frames"], loop["durations"]
    files = {}
    for fmt in animation.FORMATS:
        path = f"animations/{name}.{fmt}"
        timing = animation.gif_durations(durations) if fmt == "gif" else durations
        entries[path] = animation.encode(frames, timing, fmt)
        out.files[f"{name}.{fmt}"] = (path.rsplit("/", 1)[1], entries[path])
        files[fmt] = path
    strip, rects = animation.frame_strip(frames)
    entries[f"animations/{name}_strip.png"] = png_bytes(strip)
    out.files[f"{name}.strip"] = (f"{name}_strip.png", entries[f"animations/{name}_strip.png"])
    return {
        "name": name,
        "source": loop["source"],
        "note": loop["note"],
        "loop": 0,
        "strip": f"animations/{name}_strip.png",
        "files": files,
        "frames": [
            {"rect": rect, "duration_ms": d, **detail}
            for rect, d, detail in zip(rects, durations, loop["details"], strict=True)
        ],
    }


def _zip(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(entries):
            # A fixed timestamp: the same pack zips to the same bytes.
            info = zipfile.ZipInfo(path, date_time=(2020, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, entries[path])
    return buf.getvalue()
