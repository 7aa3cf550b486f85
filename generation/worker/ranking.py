"""A checked batch -> scored against the user's meaning -> ranked (learned or blended).

The worker's glue between the quality stages: `rerolls` has rejected and replaced unusable
renders; here the survivors are CLIP-scored against the meaning text (never the prompt), their
scores normalised and blended by the preset's weight (`packs.score_candidates`), and then
ordered by the workspace's learned ranker when it has an active one, else by the blended score.
A fallback (a reject delivered because the re-roll budget ran out) always ranks last. Unscored
batches (no CLIP configured) keep their render order, fallbacks last.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from generation.engines import registry as engine_registry
from generation.jobs.render_config import PresetRenderConfig
from generation.models import GenerationJob
from generation.quality import learning, palette
from generation.quality.meaning import meaning_of_job
from generation.quality.ranker import RankerModel, features_of, matrix
from generation.quality.rerolls import CheckedRender
from generation.worker import packs


@dataclass
class RankedBatch:
    scored: list[packs.ScoredCandidate]
    report: dict[str, Any] = field(default_factory=dict)  # stored as GenerationJob.quality


@dataclass(frozen=True)
class RankingPlan:
    """What ranking needs from the database, read on the render loop so that scoring and
    ranking (`rank`) can run in the packing stage without a query."""

    meaning: str
    reference_names: tuple[str, ...]
    brand_weight: float
    model: RankerModel | None
    ranker_version: int | None
    palette: tuple[str, ...] = ()
    palette_weight: float | None = None


def plan_ranking(job: GenerationJob, config: PresetRenderConfig) -> RankingPlan:
    meaning = meaning_of_job(
        job, defaults=config.default_attributes, trigger_word=config.trigger_word
    )
    # Only a scored batch uses the learned ranker, and a batch is scored when CLIP is set up.
    scorer = engine_registry.get_scorer()
    model, ranker = learning.ranker_for(job.tenant_id) if scorer is not None else (None, None)
    return RankingPlan(
        meaning=meaning,
        reference_names=tuple(config.reference_images),
        brand_weight=config.brand_weight,
        model=model,
        ranker_version=ranker.version if model is not None and ranker else None,
        palette=tuple(config.palette),
        palette_weight=config.palette_weight,
    )


def rank_batch(
    job: GenerationJob, checked: CheckedRender, config: PresetRenderConfig
) -> RankedBatch:
    return rank(plan_ranking(job, config), checked)


def rank(plan: RankingPlan, checked: CheckedRender) -> RankedBatch:
    """Score (CLIP) and order a checked batch. No database access."""
    scored = packs.score_candidates(
        checked.candidates,
        text=plan.meaning,
        reference_names=plan.reference_names,
        brand_weight=plan.brand_weight,
    )
    # Every candidate gets its palette ΔE2000; the preset's palette_weight blends it in.
    palette.apply_to_batch(scored, plan.palette, plan.palette_weight)
    is_scored = bool(scored) and all(s.final_score is not None for s in scored)
    for item, check in zip(scored, checked.accepted, strict=True):
        image = check.verdict.features.as_dict()
        item.quality = {
            **item.quality,
            "checks": image,
            "fallback": check.verdict.reason if check.fallback else None,
            "features": features_of(
                blended=item.final_score,
                text_z=item.quality.get("text_z"),
                brand_z=item.quality.get("brand_z"),
                image=image,
                fallback=check.fallback,
            ),
        }
    model = plan.model if is_scored else None
    ranked_by = "learned" if model is not None else ("blended" if is_scored else "unscored")
    _assign_ranks(scored, model, scored_at_all=is_scored)
    report = {
        **checked.report(),
        "meaning": plan.meaning,
        "ranked_by": ranked_by,
        "ranker_version": plan.ranker_version if model is not None else None,
        "brand_weight": plan.brand_weight,
        "palette_weight": plan.palette_weight,
    }
    return RankedBatch(scored, report)


def _assign_ranks(
    scored: list[packs.ScoredCandidate], model: RankerModel | None, *, scored_at_all: bool
) -> None:
    if not scored:
        return
    if scored_at_all:
        model = model or RankerModel.prior()
        x = matrix([s.quality["features"] for s in scored])
        values = model.scores(x)
        order = model.order(x)
        for i, item in enumerate(scored):
            item.quality["ranker_score"] = round(float(values[i]), 6)
    else:
        order = sorted(
            range(len(scored)), key=lambda i: (scored[i].quality["fallback"] is not None, i)
        )
    for position, i in enumerate(order, 1):
        scored[i].rank = position
