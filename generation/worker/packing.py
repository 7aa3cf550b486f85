"""A rendered job -> scored, ranked, encoded and stored files: the worker's packing stage.

Everything here is CPU and storage work (CLIP scoring, PNG/WebP encoding, uploads) and reads no
database row, so it can run in `pipeline.PackingStage` while the render loop denoises the next
job. What it needs from the database was read on the render loop (`ranking.RankingPlan`, the
re-render target). The only write is the lease renewal passed in as `renew`, between steps, so
a job whose packing stalls keeps its lease while it makes progress and loses it when it stops.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from generation.models import GenerationJob
from generation.quality.rerolls import CheckedRender
from generation.worker import packs, ranking


@dataclass
class RenderedJob:
    """One job's render, handed from the render loop to packing."""

    job: GenerationJob
    owner: str
    checked: CheckedRender
    engine_seconds: float
    plan: ranking.RankingPlan
    rerender_index: int | None = None


@dataclass
class PackedJob:
    """Everything `runner._finalize` writes, already stored."""

    stored: list[packs.StoredCandidate]
    quality: dict[str, Any]
    best: int
    pack: list[dict[str, Any]] = field(default_factory=list)  # the winner's avatar files


def pack_rendered(rendered: RenderedJob, *, renew: Callable[[], None]) -> PackedJob:
    """Score, rank and store `rendered`, then encode and store the winner's avatar pack."""
    renew()  # it may have waited in the stage's queue
    ranked = ranking.rank(rendered.plan, rendered.checked)
    renew()
    job = rendered.job
    stored = packs.store_candidates(job, ranked.scored, after_each=renew)
    best = packs.best_position(stored, rendered.rerender_index)
    pack: list[dict[str, Any]] = []
    if best >= 0:
        winner = stored[best]
        # Before "succeeded": a client that sees the job done must find the winner's pack.
        pack = packs.store_files(
            job.tenant_id,
            packs.encode_pack(winner.scored.candidate.image, circle=job.circle),
            skip={packs.file_key(t) for t in winner.thumbnails},
        )
    renew()
    return PackedJob(stored, ranked.report, best, pack)
