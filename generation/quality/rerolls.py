"""Render a job's candidates, reject the technically unusable ones, re-roll them within budget.

A candidate is rejected before ranking when it is blank or near-uniform, badly framed (see
`image_checks`), or flagged by the safety checker. The diffusers engine drops flagged images
from its answer (and raises `output_blocked` when it flags them all), so a requested seed that
comes back without a candidate counts as flagged; an engine may also mark a candidate with
``metadata["nsfw"] = True``.

Each rejected slot is re-rendered with a new seed derived from the old one
(``seed + REROLL_STRIDE * round``: the same job retried on another worker re-rolls the same
way), in rounds, until every slot holds a passing candidate or the job's re-roll budget is
spent: at most `max_rerolls(n)` extra renders (`AVATARSAAS_QUALITY_MAX_REROLLS`, default 4,
and never more than n). Re-rolls cost the workspace nothing: the price was quoted for n
candidates and is settled as quoted.

A slot still failing when the budget is spent is filled with its first reject that shows a
subject at all (badly framed, not blank, near-uniform or flagged), marked `fallback` so that it
ranks last; otherwise it stays empty. Every rejected render is reported with its seed, round
and reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from django.conf import settings

from generation.engines.base import Candidate, Engine, EngineError, ProgressCallback, RenderRequest
from generation.quality.image_checks import Verdict, inspect

REROLL_STRIDE = 1_000_003
SEED_SPACE = 2**31
NEVER_DELIVERED = frozenset({"safety", "blank", "near_uniform", "no_subject"})


def max_rerolls(n: int) -> int:
    return max(0, min(n, int(getattr(settings, "AVATARSAAS_QUALITY_MAX_REROLLS", 4))))


def reroll_seed(seed: int, round_: int) -> int:
    return (seed + REROLL_STRIDE * round_) % SEED_SPACE


@dataclass(frozen=True)
class Rejection:
    slot: int
    seed: int
    round: int
    reason: str
    detail: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "slot": self.slot,
            "seed": self.seed,
            "round": self.round,
            "reason": self.reason,
            "detail": self.detail,
        }


@dataclass
class Checked:
    """A candidate that will be ranked, with what the checks measured."""

    candidate: Candidate
    verdict: Verdict
    fallback: bool = False  # delivered although rejected: the budget ran out


@dataclass
class CheckedRender:
    accepted: list[Checked] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    extra_renders: int = 0

    @property
    def candidates(self) -> list[Candidate]:
        return [c.candidate for c in self.accepted]

    def raise_if_empty(self) -> None:
        """Nothing deliverable after every re-roll: fail the job (its credits are released)."""
        if self.accepted:
            return
        if self.rejected and all(r.reason == "safety" for r in self.rejected):
            raise EngineError(
                f"All {len(self.rejected)} renders were flagged by the safety checker.",
                code="output_blocked",
            )
        reasons = sorted({r.reason for r in self.rejected})
        raise EngineError(
            f"All {len(self.rejected)} renders were rejected ({', '.join(reasons)}), "
            "re-rolls included; no credits were charged.",
            code="quality_rejected",
        )

    def report(self) -> dict[str, Any]:
        return {
            "rejected": [r.as_dict() for r in self.rejected],
            "extra_renders": self.extra_renders,
            "fallbacks": sum(c.fallback for c in self.accepted),
        }


def _render(engine: Engine, request: RenderRequest, seeds: tuple[int, ...], progress):
    """The engine's candidates by seed; an all-flagged batch is an empty answer, not an error."""
    try:
        candidates = engine.generate(replace(request, seeds=seeds), progress=progress)
    except EngineError as exc:
        if exc.code != "output_blocked":
            raise
        candidates = []
    return {c.seed: c for c in candidates}


def render_checked(
    engine: Engine,
    request: RenderRequest,
    *,
    progress: ProgressCallback | None = None,
    checks: bool = True,
) -> CheckedRender:
    """Render `request`; with `checks`, reject and re-roll as the module docstring says.

    Without `checks` (a re-render must reproduce its batch exactly) every candidate the engine
    returns is accepted as is, measured but never rejected.
    """
    result = CheckedRender()
    slots = list(range(request.n))
    seeds = dict(zip(slots, request.seeds, strict=True))
    filled: dict[int, Checked] = {}
    best_reject: dict[int, Checked] = {}
    budget = max_rerolls(request.n) if checks else 0
    round_ = 0
    while True:
        open_slots = [s for s in slots if s not in filled]
        if round_ > 0:
            open_slots = open_slots[:budget]
            budget -= len(open_slots)
            result.extra_renders += len(open_slots)
        if not open_slots:
            break
        batch = tuple(seeds[s] for s in open_slots)
        by_seed = _render(engine, request, batch, progress)
        for slot, seed in zip(open_slots, batch, strict=True):
            candidate = by_seed.get(seed)
            if candidate is None or candidate.metadata.get("nsfw"):
                result.rejected.append(Rejection(slot, seed, round_, "safety", "flagged"))
                continue
            verdict = inspect(candidate.image)
            candidate.index = slot  # a re-roll takes the place of the candidate it replaces
            if verdict.ok or not checks:
                filled[slot] = Checked(candidate, verdict)
                continue
            result.rejected.append(Rejection(slot, seed, round_, verdict.reason, verdict.detail))
            if verdict.reason not in NEVER_DELIVERED and slot not in best_reject:
                best_reject[slot] = Checked(candidate, verdict, fallback=True)
        round_ += 1
        if not checks or budget <= 0:
            break
        for slot in slots:
            if slot not in filled:
                seeds[slot] = reroll_seed(request.seeds[slot], round_)
    for slot in slots:
        chosen = filled.get(slot) or best_reject.get(slot)
        if chosen is not None:
            result.accepted.append(chosen)
    return result
