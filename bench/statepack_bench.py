"""State pack bench: a whole pack against the same number of single renders, per engine, and
the matting time per 512 px image.

    python bench/statepack_bench.py                 # vector 256 px, tiny diffusion 64 px, CPU
    python bench/statepack_bench.py --repeats 3 --states 7

A pack = one render per state (vector: same plan, new expression; diffusion: img2img at the
pack strength with a line-art ControlNet) + identity scoring (tiny CLIP, diffusion only) +
palette score + background (vector: alpha redraw; diffusion: matting, refused on the tiny
model's noise) + the deliverables (every size, sprite, loops in WebP/GIF/APNG, zip). Single
renders are plain txt2img / vector renders of one seed each, as a normal job makes them.
Results go to bench/results/statepack_bench.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # runnable as a plain script from anywhere
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "avatarsaas.settings")
os.environ.setdefault("AVATARSAAS_TESTING", "1")

RESULTS = ROOT / "bench" / "results" / "statepack_bench.json"
PALETTE = ("#1e5ac8", "#fafaf8", "#ff7a00")


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _median(fn, repeats: int) -> float:
    return statistics.median(_timed(fn) for _ in range(repeats))


def _pack(engine, base, engine_name, states, scorer=None):
    from generation.statepacks import deliverables, render_job
    from generation.statepacks.matting import BorderKeyMatter

    reference = scorer.image_embeddings([base.init_image]) if scorer is not None else None
    strength = 0.5 if engine_name == "diffusers" else None
    chosen = []
    for state in states:
        cand = render_job.render_state(engine, base, engine_name, state, 7, strength)
        chosen.append(render_job._score(cand, scorer, reference, PALETTE, strength))
    plans = None
    if engine_name == "vector":
        plans = [render_job.vector_plan(base, s, 7) for s in states]
    deliverables.build(
        deliverables.PackInputs(
            pack_id="00000000-0000-0000-0000-000000000000",
            source_image_id=None,
            engine=engine_name,
            size=base.width,
            states=list(states),
            images=[a.candidate.image for a in chosen],
            results=[{"seed": 7} for _ in states],
            identity={"scored": scorer is not None, "meaningful": False, "threshold": 0.8},
            palette=PALETTE,
            vector_plans=plans,
        ),
        BorderKeyMatter(),
    )


def bench_vector(states, repeats: int, size: int) -> dict:
    from generation.engines.base import RenderRequest
    from generation.engines.vector import VectorEngine

    engine = VectorEngine()
    base = RenderRequest(prompt="", attributes={"subject": "robot"}, width=size, height=size)
    single = _median(lambda: [engine.generate(base) for _ in states], repeats)
    pack = _median(lambda: _pack(engine, base, "vector", states), repeats)
    return {"size": size, "n_single_s": single, "pack_s": pack, "ratio": pack / single}


def bench_diffusion(states, repeats: int, size: int, steps: int) -> dict:
    from dataclasses import replace

    from generation.engines.base import ControlRef, RenderRequest
    from generation.engines.control_maps import prepare_control_map
    from generation.engines.diffusers_engine import DiffusersEngine
    from generation.engines.scoring import ClipScorer
    from generation.engines.tiny_models import build_tiny_models

    with tempfile.TemporaryDirectory() as tmp:
        tiny = build_tiny_models(tmp)
        engine = DiffusersEngine(
            tiny.sd_model_dir, device="cpu", controlnet_dirs=tiny.controlnet_dirs
        )
        scorer = ClipScorer(tiny.clip_arch, tiny.clip_checkpoint, device="cpu")
        base = RenderRequest(
            prompt="a happy blue robot avatar", width=size, height=size, steps=steps, seeds=(7,)
        )
        (source,) = engine.generate(base)
        control = ControlRef("lineart", prepare_control_map(source.image, "lineart", size), 0.6)
        pack_base = replace(base, init_image=source.image, strength=0.5, controls=(control,))
        _pack(engine, pack_base, "diffusers", states[:1], scorer)  # warm both pipelines
        single = _median(lambda: [engine.generate(base) for _ in states], repeats)
        pack = _median(lambda: _pack(engine, pack_base, "diffusers", states, scorer), repeats)
    return {
        "size": size,
        "steps": steps,
        "pack_strength": 0.5,
        "n_single_s": single,
        "pack_s": pack,
        "ratio": pack / single,
    }


def bench_matting(repeats: int) -> dict:
    from PIL import Image, ImageDraw

    from generation.statepacks.matting import BorderKeyMatter

    big = Image.new("RGB", (2048, 2048), (250, 250, 248))
    ImageDraw.Draw(big).ellipse((512, 400, 1536, 1800), fill=(30, 90, 200))
    image = big.resize((512, 512), Image.Resampling.LANCZOS)
    matter = BorderKeyMatter()
    return {"size": 512, "seconds_per_image": _median(lambda: matter.matte(image), repeats)}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--states", type=int, default=7)
    p.add_argument("--vector-size", type=int, default=256)
    p.add_argument("--diffusion-size", type=int, default=64)
    p.add_argument("--steps", type=int, default=10)
    args = p.parse_args()

    import django

    django.setup()
    from core.vocabulary import STATE_PACK_STATES

    states = STATE_PACK_STATES[: args.states]
    result = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "states": len(states),
        "repeats": args.repeats,
        "vector": bench_vector(states, args.repeats, args.vector_size),
        "tiny_diffusion": bench_diffusion(states, args.repeats, args.diffusion_size, args.steps),
        "matting": bench_matting(max(5, args.repeats)),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    for name in ("vector", "tiny_diffusion"):
        r = result[name]
        print(
            f"{name:15s} {len(states)} single renders {r['n_single_s']:.2f} s  "
            f"state pack {r['pack_s']:.2f} s  (x{r['ratio']:.2f})"
        )
    print(f"matting          {result['matting']['seconds_per_image'] * 1000:.0f} ms per 512 px")


if __name__ == "__main__":
    main()
