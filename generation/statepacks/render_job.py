"""What the worker runs for a state pack job: one image per state, each scored for identity
(CLIP image-image similarity to the source avatar) and palette adherence, a diffusion state
below the identity threshold re-rolled within the pack's budget; then the deliverables.

A state's render is a pure function of the job's stored inputs, the state, its seed and its
strength (`render_state`), so `rerender_state` reproduces any state bit for bit on CPU.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from typing import Any

from django.conf import settings

from core import storage
from generation.engines import registry as engine_registry
from generation.engines.base import Candidate, Engine, EngineError, RenderRequest
from generation.engines.vector.plan import Plan, make_plan
from generation.jobs.render_config import PresetRenderConfig, render_config_for
from generation.models import GeneratedImage, GenerationJob, StatePack
from generation.quality.palette import palette_score, soft_recolour
from generation.quality.rerolls import reroll_seed
from generation.statepacks import deliverables as building
from generation.statepacks.expressions import STATES, state_prompt
from generation.statepacks.matting import MattingRefused, get_matter
from generation.worker import packs
from generation.worker.render_inputs import render_request_for

logger = logging.getLogger(__name__)
REROLL_STRENGTH_FACTOR = 0.75  # each re-roll keeps more of the source: identity should rise
IDENTITY_NOTE_RANDOM = (
    "Identity scores come from CLIP weights that are not marked as real "
    "(AVATARSAAS_WEIGHTS_ARE_REAL): they run the real scoring code but mean nothing."
)


@dataclass
class RenderedPack:
    stored: list[packs.StoredCandidate]
    engine_seconds: float
    report: dict[str, Any]


@dataclass
class Attempt:
    candidate: Candidate
    identity: float | None
    palette: float | None
    strength: float | None


def state_request(
    base: RenderRequest, engine: str, state: str, seed: int, strength
) -> RenderRequest:
    """The job's request with only the expression changed (and the state's seed/strength)."""
    spec = STATES[state]
    if engine == "vector":
        # Same attributes, palette and seed: the plan differs only in its expression.
        attributes = {**(base.attributes or {}), "expression": spec.vector_expression}
        return replace(
            base, attributes=attributes, seeds=(seed,), init_image=None, init_latents=None,
            init_hash="", strength=None, controls=(),
        )  # fmt: skip
    return replace(
        base, prompt=state_prompt(base.prompt, state), seeds=(seed,), strength=strength,
        init_latents=None,
    )  # fmt: skip


def render_state(
    engine: Engine, base: RenderRequest, engine_name: str, state: str, seed: int, strength,
    recolor: float = 0.0,
) -> Candidate:  # fmt: skip
    (candidate,) = engine.generate(state_request(base, engine_name, state, seed, strength))
    if recolor > 0 and base.palette:
        candidate.image = soft_recolour(candidate.image, base.palette, recolor)
    candidate.metadata = {
        **candidate.metadata,
        "state": state,
        "state_strength": strength,
        "recolor": recolor if base.palette else 0.0,
    }
    return candidate


def vector_plan(base: RenderRequest, state: str, seed: int) -> Plan:
    attributes = {**(base.attributes or {}), "expression": STATES[state].vector_expression}
    return make_plan(attributes, tuple(base.palette), seed)


def identity_meaningful() -> bool:
    return bool(settings.AVATARSAAS_CLIP_CHECKPOINT) and bool(settings.AVATARSAAS_WEIGHTS_ARE_REAL)


def _rank_key(attempt: Attempt, palette_weight: float | None) -> float:
    identity = attempt.identity if attempt.identity is not None else 0.0
    if palette_weight is None or attempt.palette is None:
        return identity
    # ΔE2000 0..100 -> adherence 1..0, blended with the identity cosine by the preset's weight.
    adherence = 1.0 - min(attempt.palette, 100.0) / 100.0
    return (1 - palette_weight) * identity + palette_weight * adherence


def render(
    job: GenerationJob, engine: Engine, base: RenderRequest, config: PresetRenderConfig, progress
) -> RenderedPack:
    pack = StatePack.objects.get(job=job)
    scorer = engine_registry.get_scorer()
    source = base.init_image
    reference = scorer.image_embeddings([source]) if scorer is not None else None
    threshold = float(settings.AVATARSAAS_STATEPACK_IDENTITY_THRESHOLD)
    budget = int(settings.AVATARSAAS_STATEPACK_MAX_REROLLS)
    started = time.monotonic()
    chosen: list[Attempt] = []
    results: list[dict[str, Any]] = []
    for i, state in enumerate(pack.states):
        attempts, budget = _attempts(job, i, state, engine, base, scorer, reference, config, budget)
        best = max(attempts, key=lambda a: _rank_key(a, config.palette_weight))
        chosen.append(best)
        results.append(
            {
                "seed": best.candidate.seed,
                "identity_score": best.identity,
                "palette_delta_e": best.palette,
                "rerolls": len(attempts) - 1,
            }
        )
        progress(i + 1, len(pack.states))
    engine_seconds = time.monotonic() - started
    scored = [_scored(a, r, i) for i, (a, r) in enumerate(zip(chosen, results, strict=True))]
    stored = packs.store_candidates(job, scored)
    progress(len(pack.states), len(pack.states))  # renews the lease before the files
    _store_deliverables(job, pack, base, chosen, results, scorer is not None, threshold, config)
    report = {
        "state_pack": {
            "pack_id": str(pack.pk),
            "threshold": threshold,
            "rerolls": sum(r["rerolls"] for r in results),
            "identity_meaningful": identity_meaningful(),
        }
    }
    return RenderedPack(stored, engine_seconds, report)


def _attempts(job, index, state, engine, base, scorer, reference, config, budget):
    """One state's renders: the first, then re-rolls (a new seed, less strength) while its
    identity is under the threshold and the pack's budget lasts. Returns (attempts, budget)."""
    threshold = float(settings.AVATARSAAS_STATEPACK_IDENTITY_THRESHOLD)
    attempts: list[Attempt] = []
    round_ = 0
    while True:
        strength = None
        if job.engine != "vector":
            strength = round(job.strength * REROLL_STRENGTH_FACTOR**round_, 4)
        seed = reroll_seed(job.seeds[index], round_)
        candidate = render_state(
            engine, base, job.engine, state, seed, strength, config.palette_recolor
        )
        candidate.index = index
        attempts.append(_score(candidate, scorer, reference, config.palette, strength))
        identity = attempts[-1].identity
        # The vector engine's identity is exact by construction: nothing to re-roll.
        if job.engine == "vector" or identity is None or identity >= threshold:
            return attempts, budget
        next_strength = job.strength * REROLL_STRENGTH_FACTOR ** (round_ + 1)
        if budget <= 0 or int(job.steps * next_strength) < 1:  # no render left to try
            return attempts, budget
        budget -= 1
        round_ += 1


def _score(candidate, scorer, reference, palette, strength) -> Attempt:
    identity = None
    if scorer is not None and reference is not None:
        identity = round(float(scorer.scores_against([candidate.image], reference)[0]), 6)
    adherence = palette_score(candidate.image, palette)
    return Attempt(candidate, identity, adherence.delta_e if adherence else None, strength)


def _scored(attempt: Attempt, result: dict[str, Any], index: int) -> packs.ScoredCandidate:
    candidate = attempt.candidate
    candidate.metadata = {**candidate.metadata, "state_index": index}
    return packs.ScoredCandidate(
        candidate,
        final_score=attempt.identity,
        rank=index + 1,  # the pack's order; the first state is the one "selected"
        quality={
            "identity": attempt.identity,
            "palette_delta_e": attempt.palette,
            "rerolls": result["rerolls"],
            "state": candidate.metadata["state"],
        },
    )


def _store_deliverables(job, pack, base, chosen, results, scored, threshold, config) -> None:
    plans = None
    if job.engine == "vector":
        plans = [
            vector_plan(base, s, a.candidate.seed) for s, a in zip(pack.states, chosen, strict=True)
        ]
    meaningful = identity_meaningful()
    identity = {"scored": scored, "meaningful": meaningful, "threshold": threshold}
    if scored and not meaningful:
        identity["note"] = IDENTITY_NOTE_RANDOM
    elif not scored:
        identity["note"] = "No CLIP model is configured: identity was not scored."
    built = building.build(
        building.PackInputs(
            pack_id=str(pack.pk),
            source_image_id=str(job.parent_image_id) if job.parent_image_id else None,
            engine=job.engine,
            size=job.size,
            states=list(pack.states),
            images=[a.candidate.image for a in chosen],
            results=results,
            identity=identity,
            palette=tuple(config.palette),
            vector_plans=plans,
        ),
        _matter(),
    )
    names = {}
    for kind, (filename, data) in built.files.items():
        ext = filename.rsplit(".", 1)[1]
        names[kind] = storage.save_bytes(job.tenant_id, "statepacks", ext, data)
    StatePack.objects.filter(pk=pack.pk).update(
        files=names,
        manifest=built.manifest,
        results=results,
        matting=built.matting,
        matting_note=built.matting_note,
        animation=built.manifest["animations"][0]["source"],
    )


def _matter():
    try:
        return get_matter()
    except MattingRefused as exc:  # a misconfigured server: fail the job, release credits
        raise EngineError(exc.message, code=exc.code) from exc


def rerender_state(image: GeneratedImage):
    """Render one state of a pack again from the job's stored inputs and the image's recorded
    seed and strength: the same pixels, bit for bit, on the same kind of device."""
    job = image.job
    config = render_config_for(job.preset)
    adapter = config.adapter if job.adapter_version_id else None
    base = render_request_for(job, config, adapter)
    engine = engine_registry.get_engine(job.engine)
    meta = image.metadata
    candidate = render_state(
        engine, base, job.engine, meta["state"], image.seed, meta.get("state_strength"),
        meta.get("recolor", 0.0),
    )  # fmt: skip
    return candidate.image
