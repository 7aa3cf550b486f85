"""Per-workspace ranker training from picks, and which ranker a job's candidates get.

A *choice* is a job whose candidates all carry stored features and whose chosen candidate is
known (`GenerationJob.chosen_image`: the latest pick, else download, else thumbs up; see
`feedback`). Once a workspace has `min_picks()` choices (AVATARSAAS_RANKER_MIN_PICKS, default
30), the worker trains its ranker before ranking a job, and again after every `retrain_every()`
new choices (AVATARSAAS_RANKER_RETRAIN_EVERY, default 10): milliseconds of numpy, so it needs
no schedule of its own. Below the threshold the blended score ranks.

Before a ranker is switched on it must earn it: fitted on the older 75% of the choices, its
top-1 agreement on the newest 25% must be at least the blended score's. The weights then used
are refitted on every choice. Both agreement figures are stored for the admin and the bench.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from generation.models import GeneratedImage, GenerationJob, WorkspaceRanker
from generation.quality.ranker import Choice, RankerModel, fit, matrix, top1_agreement

logger = logging.getLogger(__name__)

HOLDOUT_SHARE = 0.25
MAX_HISTORY = 2000  # newest choices used for training


def min_picks() -> int:
    return int(getattr(settings, "AVATARSAAS_RANKER_MIN_PICKS", 30))


def retrain_every() -> int:
    return max(1, int(getattr(settings, "AVATARSAAS_RANKER_RETRAIN_EVERY", 10)))


def _chosen_jobs(tenant_id):
    return GenerationJob.objects.filter(
        tenant_id=tenant_id, chosen_image__isnull=False, chosen_at__isnull=False
    )


def choice_history(tenant_id) -> list[Choice]:
    """The workspace's choices, oldest first (jobs from before features were stored are skipped)."""
    jobs = list(
        _chosen_jobs(tenant_id)
        .order_by("-chosen_at")
        .values_list("pk", "chosen_image_id")[:MAX_HISTORY]
    )
    jobs.reverse()
    rows: dict = {}
    images = GeneratedImage.objects.filter(job_id__in=[pk for pk, _ in jobs]).order_by(
        "job_id", "index"
    )
    for job_id, image_id, quality in images.values_list("job_id", "pk", "quality"):
        rows.setdefault(job_id, []).append((image_id, (quality or {}).get("features")))
    history = []
    for job_id, chosen_id in jobs:
        batch = rows.get(job_id, [])
        ids = [image_id for image_id, _ in batch]
        if len(batch) < 2 or chosen_id not in ids or any(f is None for _, f in batch):
            continue
        history.append(Choice(matrix([f for _, f in batch]), ids.index(chosen_id)))
    return history


def train(tenant_id) -> WorkspaceRanker | None:
    """Fit, check against the blended score on the newest choices, store. None below threshold."""
    history = choice_history(tenant_id)
    if len(history) < min_picks():
        return None
    cut = max(1, int(len(history) * (1 - HOLDOUT_SHARE)))
    older, newer = history[:cut], history[cut:]
    learned_top1 = top1_agreement(fit(older), newer)
    blended_top1 = top1_agreement(RankerModel.prior(), newer)
    model = fit(history)
    values = {
        "weights": model.as_dict(),
        "trained_on": _chosen_jobs(tenant_id).count(),
        "holdout": {
            "choices": len(newer),
            "learned_top1": round(learned_top1, 4),
            "blended_top1": round(blended_top1, 4),
        },
        "active": learned_top1 >= blended_top1,
        "trained_at": timezone.now(),
    }
    try:
        with transaction.atomic():
            ranker, created = WorkspaceRanker.objects.select_for_update().get_or_create(
                tenant_id=tenant_id, defaults={**values, "version": 1}
            )
            if not created:
                for name, value in values.items():
                    setattr(ranker, name, value)
                ranker.version += 1
                ranker.save()
    except IntegrityError:  # another worker created it at the same moment: theirs will do
        return WorkspaceRanker.objects.filter(tenant_id=tenant_id).first()
    logger.info(
        "ranker v%s for tenant %s: learned %.3f vs blended %.3f on %s newer choices (%s)",
        ranker.version,
        tenant_id,
        learned_top1,
        blended_top1,
        len(newer),
        "active" if ranker.active else "inactive",
    )
    return ranker


def _due(tenant_id, ranker: WorkspaceRanker | None) -> bool:
    choices = _chosen_jobs(tenant_id).count()
    if choices < min_picks():
        return False
    return ranker is None or choices - ranker.trained_on >= retrain_every()


def ranker_for(tenant_id) -> tuple[RankerModel | None, WorkspaceRanker | None]:
    """The learned model to rank this workspace's next job with (None: use the blended score),
    retraining first when enough new choices arrived. Never raises: ranking must not fail a job."""
    try:
        ranker = WorkspaceRanker.objects.filter(tenant_id=tenant_id).first()
        if _due(tenant_id, ranker):
            ranker = train(tenant_id) or ranker
        if ranker is not None and ranker.active and ranker.weights:
            return RankerModel.from_dict(ranker.weights), ranker
        return None, ranker
    except Exception:  # noqa: BLE001 - the blended score is always a safe answer
        logger.exception("ranker for tenant %s unavailable; blended score ranks", tenant_id)
        return None, None
