"""Running an approved fine-tune on a GPU worker: claim with a lease, train with checkpoints,
validate, publish the adapter. Mirrors `generation.worker.runner` for jobs.

A worker that dies leaves its lease to expire; `sweep_stale_finetunes` re-queues the run and
the next worker resumes from the last checkpoint in storage (the training loop is deterministic
per step, so the resumed run continues exactly where the checkpoint was taken).
"""

from __future__ import annotations

import hashlib
import io
import logging
import shutil
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core import storage
from core.images import NEUTRAL_BACKGROUND, parse_colour
from core.training_recipe import TrainingRecipe
from generation.engines import registry as engine_registry
from generation.engines.base import AdapterRef, EngineError
from generation.engines.loading import model_hash, resolve_model_path
from generation.training import adapter_exports
from generation.training.best_checkpoint import CheckpointValidator, ValidationPoint
from generation.training.config import TrainConfig, TrainExample
from generation.training.lora import LORA_WEIGHTS_NAME, train_lora
from generation.training.models import pipeline_kind
from generation.training.validation import VALIDATION_SEEDS, grid_image, render_grid
from generation.worker.claim import LeaseLost, lease_seconds, worker_id
from styles.models import FineTune, FineTuneState, LoraAdapter, ReferenceImage
from styles.services.datasets import accepted_images
from styles.services.finetunes import enqueue_training, transition_finetune

logger = logging.getLogger(__name__)
CURVE_POINTS = 500
VALIDATION_SHARE = 10  # percent of the progress bar kept for the validation grid


def claim_finetune(finetune_id, owner: str) -> FineTune | None:
    with transaction.atomic():
        ft = (
            FineTune.objects.select_for_update(of=("self",))
            .select_related("tenant")
            .filter(pk=finetune_id)
            .first()
        )
        if ft is None or ft.state != FineTuneState.QUEUED:
            return None
        if not ft.tenant.is_active:  # suspended: waits; the sweep re-nudges it later
            return None
        now = timezone.now()
        return transition_finetune(
            ft,
            FineTuneState.TRAINING,
            lease_owner=owner,
            lease_expires_at=now + timedelta(seconds=lease_seconds()),
            attempts=ft.attempts + 1,
            started_at=ft.started_at or now,
        )


def process_finetune(finetune_id, owner: str | None = None) -> FineTune | None:
    owner = owner or worker_id()
    ft = claim_finetune(finetune_id, owner)
    if ft is None:
        return None
    try:
        _run(ft, owner)
    except LeaseLost:
        logger.info("Fine-tune %s: lease lost (canceled or re-queued); stopping", ft.pk)
    except EngineError as exc:
        _fail(ft.pk, owner, code=exc.code, message=str(exc))
    except Exception as exc:  # noqa: BLE001 - unexpected: log with id, retry or fail
        logger.exception("Fine-tune %s crashed on attempt %s", ft.pk, ft.attempts)
        _retry_or_fail(ft.pk, owner, f"{type(exc).__name__}: {exc}")
    ft.refresh_from_db()
    return ft


class _Progress:
    """Loss curve, progress, ETA and lease renewal on the row; checkpoints to storage."""

    def __init__(self, ft: FineTune, owner: str):
        self.ft, self.owner = ft, owner
        self.stride = max(1, ft.steps // CURVE_POINTS)
        self.curve = [p for p in ft.loss_curve if p[0] <= ft.checkpoint_step]
        self.validation_curve = [p for p in ft.validation_curve if p["step"] <= ft.checkpoint_step]
        self.start_step = ft.checkpoint_step
        self.started = time.monotonic()
        self.last = 0.0

    def _mine(self):
        return FineTune.objects.filter(
            pk=self.ft.pk, lease_owner=self.owner, state=FineTuneState.TRAINING
        )

    @staticmethod
    def _progress(step: int, total: int) -> dict:
        share = 100 - VALIDATION_SHARE
        return {"progress": min(share, int(share * step / total)), "progress_step": step}

    def on_step(self, step: int, total: int, loss: float) -> None:
        if step % self.stride == 0 or step == total:
            self.curve.append([step, round(loss, 6)])
        now = time.monotonic()
        if now - self.last < 0.5 and step < total:
            return
        self.last = now
        done = step - self.start_step
        rate = done / max(now - self.started, 1e-6)
        updated = self._mine().update(
            **self._progress(step, total),
            loss_curve=self.curve,
            eta_seconds=int((total - step) / rate) if rate > 0 else None,
            lease_expires_at=timezone.now() + timedelta(seconds=lease_seconds()),
        )
        if not updated:
            raise LeaseLost(str(self.ft.pk))

    def on_validation(self, point: ValidationPoint) -> None:
        self.validation_curve.append(point.to_dict())
        if not self._mine().update(validation_curve=self.validation_curve):
            raise LeaseLost(str(self.ft.pk))

    def on_checkpoint(self, step: int, blob: bytes) -> None:
        name = storage.save_bytes(self.ft.tenant_id, "checkpoints", "pt", blob)
        previous = FineTune.objects.filter(pk=self.ft.pk).values_list("checkpoint_name", flat=True)
        previous = previous.first()
        # Progress goes with the checkpoint too: on_step writes are throttled, and the row
        # must never say fewer steps are done than the checkpoint it resumes from.
        if not self._mine().update(
            checkpoint_name=name,
            checkpoint_step=step,
            loss_curve=self.curve,
            **self._progress(step, self.ft.steps),
        ):
            default_storage.delete(name)
            raise LeaseLost(str(self.ft.pk))
        if previous:
            default_storage.delete(previous)


def _examples(ft: FineTune) -> list[TrainExample]:
    """Images load as stored (transparency included): the trainer composites them over the
    run's background (`TrainConfig.background`) before anything else sees the pixels."""
    from PIL import Image

    def loader(name: str):
        return lambda: Image.open(io.BytesIO(storage.read_bytes(name)))

    return [
        TrainExample(loader(img.file.name), img.caption, key=img.sha256)
        for img in accepted_images(ft.dataset)
    ]


def _background(ft: FineTune):
    """The preset's background colour when the fine-tune is meant for one that names it."""
    attributes = (ft.preset.default_attributes or {}) if ft.preset_id else {}
    return parse_colour(attributes.get("background_color")) or NEUTRAL_BACKGROUND


def train_config(ft: FineTune) -> TrainConfig:
    return TrainConfig(
        rank=ft.rank,
        alpha=ft.alpha,
        steps=ft.steps,
        learning_rate=ft.learning_rate,
        resolution=ft.resolution,
        batch_size=ft.batch_size,
        train_text_encoder=ft.train_text_encoder,
        gradient_checkpointing=ft.gradient_checkpointing,
        checkpoint_every=ft.checkpoint_every,
        seed=ft.seed,
        trigger_word=ft.trigger_word,
        background=_background(ft),
        recipe=TrainingRecipe.from_stored(ft.recipe),
    )


def checkpoint_validator(ft: FineTune) -> CheckpointValidator | None:
    """Scores for picking the best checkpoint: CLIP text score, plus the brand score against
    the preset's reference images when it has some. None without a CLIP model (the last or
    EMA weights ship). With test weights the scores are random: the page says so."""
    scorer = engine_registry.get_scorer()
    if scorer is None:
        return None
    return CheckpointValidator(
        scorer,
        trigger_word=ft.trigger_word,
        size=ft.resolution,
        steps=int(getattr(settings, "AVATARSAAS_VALIDATION_STEPS", 25)),
        references=_references(ft),
    )


def _references(ft: FineTune) -> list:
    from PIL import Image

    if not ft.preset_id:
        return []
    names = ReferenceImage.objects.filter(tenant_id=ft.tenant_id, preset_id=ft.preset_id)
    names = names.values_list("file", flat=True)
    refs = []
    for name in names:
        try:
            refs.append(Image.open(io.BytesIO(storage.read_bytes(name))))  # the scorer flattens
        except FileNotFoundError:
            continue
    return refs


def cache_root() -> Path:
    return Path(getattr(settings, "AVATARSAAS_TRAIN_CACHE", Path(settings.VAR_DIR) / "train-cache"))


def _prune_caches(keep_days: float = 2.0) -> None:
    """Latent caches of runs that ended elsewhere (a worker died, the run moved on)."""
    root = cache_root()
    if not root.is_dir():
        return
    cutoff = time.time() - keep_days * 86400
    for entry in root.iterdir():
        if entry.is_dir() and entry.stat().st_mtime < cutoff:
            shutil.rmtree(entry, ignore_errors=True)


def _run(ft: FineTune, owner: str) -> None:
    model_dir = resolve_model_path(
        settings.AVATARSAAS_SD_MODEL, what="Stable Diffusion model", setting="AVATARSAAS_SD_MODEL"
    )
    base_hash = model_hash(model_dir)
    progress = _Progress(ft, owner)
    resume = storage.read_bytes(ft.checkpoint_name) if ft.checkpoint_name else None
    examples, config = _examples(ft), train_config(ft)
    metadata = adapter_exports.provenance(
        ft,
        config,
        base_model_hash=base_hash,
        n_images=len(examples),
        kind=pipeline_kind(model_dir),
    )
    _prune_caches()
    # Kept if the worker dies: the run resumes here on the same worker without re-encoding.
    cache_dir = cache_root() / str(ft.pk)
    try:
        result = train_lora(
            model_dir,
            examples,
            config,
            device=settings.AVATARSAAS_DEVICE,
            resume=resume,
            on_step=progress.on_step,
            on_checkpoint=progress.on_checkpoint,
            cache_dir=cache_dir,
            metadata=metadata,
            validator=checkpoint_validator(ft),
            on_validation=progress.on_validation,
        )
    except EngineError:
        shutil.rmtree(cache_dir, ignore_errors=True)
        raise
    shutil.rmtree(cache_dir, ignore_errors=True)
    try:
        weights = Path(result.lora_dir) / LORA_WEIGHTS_NAME
        with transaction.atomic():
            locked = _owned(ft.pk, owner, FineTuneState.TRAINING)
            transition_finetune(
                locked,
                FineTuneState.VALIDATING,
                loss_curve=progress.curve,
                base_model_hash=base_hash,
                validation_curve=result.validation_curve,
                chosen_step=result.best_step,
            )
        adapter_id = uuid.uuid4()
        validation = _validate(locked, adapter_id, weights, owner)
        kohya = adapter_exports.write_kohya_export(
            ft.tenant_id, weights, metadata, rank=config.rank, alpha=config.alpha
        )
        _publish(locked, owner, adapter_id, weights, validation, kohya)
    finally:
        shutil.rmtree(result.lora_dir, ignore_errors=True)


def _owned(finetune_id, owner: str, state: str) -> FineTune:
    ft = FineTune.objects.select_for_update().select_related("tenant").get(pk=finetune_id)
    if ft.state != state or ft.lease_owner != owner:
        raise LeaseLost(str(finetune_id))
    return ft


def _validate(ft: FineTune, adapter_id, weights: Path, owner: str) -> list[dict]:
    # The id the adapter will be published under: the warm engine keeps these weights loaded
    # under that name, so the first job through a preset does not load them again.
    ref = AdapterRef(str(adapter_id), str(weights), 1.0)
    cells = render_grid(
        engine_registry.get_engine("diffusers"),
        ref,
        trigger_word=ft.trigger_word,
        size=ft.resolution,
        steps=int(getattr(settings, "AVATARSAAS_VALIDATION_STEPS", 25)),
        scorer=engine_registry.get_scorer(),
    )
    out = []
    for cell in cells:
        buf = io.BytesIO()
        cell.image.save(buf, format="PNG")
        name = storage.save_bytes(ft.tenant_id, "finetunes", "png", buf.getvalue())
        out.append(
            {"prompt": cell.prompt, "seed": cell.seed, "clip_score": cell.clip_score, "image": name}
        )
    sheet = io.BytesIO()
    grid_image(cells, columns=len(VALIDATION_SEEDS)).save(sheet, format="PNG")
    out.append({"grid": storage.save_bytes(ft.tenant_id, "finetunes", "png", sheet.getvalue())})
    if not FineTune.objects.filter(
        pk=ft.pk, lease_owner=owner, state=FineTuneState.VALIDATING
    ).update(lease_expires_at=timezone.now() + timedelta(seconds=lease_seconds())):
        raise LeaseLost(str(ft.pk))
    return out


def _publish(
    ft: FineTune, owner: str, adapter_id, weights: Path, validation: list[dict], kohya: str
) -> None:
    data = weights.read_bytes()
    name = storage.save_bytes(ft.tenant_id, "adapters", "safetensors", data)
    with transaction.atomic():
        locked = _owned(ft.pk, owner, FineTuneState.VALIDATING)
        version = (
            LoraAdapter.objects.select_for_update()
            .filter(tenant_id=ft.tenant_id, name=ft.name)
            .order_by("-version")
            .values_list("version", flat=True)
            .first()
            or 0
        ) + 1
        LoraAdapter.objects.create(
            id=adapter_id,
            tenant_id=ft.tenant_id,
            name=ft.name,
            version=version,
            finetune=locked,
            weights=name,
            size_bytes=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            base_model_hash=locked.base_model_hash,
            dataset_hash=locked.dataset_hash,
            trigger_word=locked.trigger_word,
            approved_by=locked.reviewed_by,
            # The published file is the diffusers export: it carries config and provenance.
            exports={"diffusers": name, "kohya": kohya},
        )
        if locked.checkpoint_name:
            storage.delete_after_commit([locked.checkpoint_name])
        transition_finetune(
            locked, FineTuneState.READY, validation=validation, progress=100, checkpoint_name=""
        )


def _fail(finetune_id, owner: str | None, *, code: str, message: str) -> None:
    with transaction.atomic():
        ft = FineTune.objects.select_for_update().select_related("tenant").get(pk=finetune_id)
        if ft.state not in (FineTuneState.QUEUED, FineTuneState.TRAINING, FineTuneState.VALIDATING):
            return
        if owner is not None and ft.lease_owner != owner:
            return
        transition_finetune(
            ft, FineTuneState.FAILED, failure_code=code, failure_message=message[:2000]
        )


def _retry_or_fail(finetune_id, owner: str, message: str) -> None:
    with transaction.atomic():
        ft = FineTune.objects.select_for_update().select_related("tenant").get(pk=finetune_id)
        if ft.lease_owner != owner or ft.state not in (
            FineTuneState.TRAINING,
            FineTuneState.VALIDATING,
        ):
            return
        if ft.attempts < ft.max_attempts:
            transition_finetune(ft, FineTuneState.QUEUED, failure_message=message[:2000])
            transaction.on_commit(lambda: enqueue_training(ft.pk))
            return
    _fail(finetune_id, owner, code="internal_error", message="Training failed repeatedly.")


def sweep_stale_finetunes(
    now: datetime | None = None, *, stale_nudge_after: int = 600
) -> dict[str, int]:
    """Re-queue runs whose worker stopped renewing its lease (or fail them past max attempts),
    and re-nudge queued runs whose queue message may have been lost (broker outage)."""
    now = now or timezone.now()
    requeued = failed = nudged = 0
    cutoff = now - timedelta(seconds=stale_nudge_after)
    stale = FineTune.objects.filter(
        Q(last_enqueued_at__lt=cutoff) | Q(last_enqueued_at__isnull=True, reviewed_at__lt=cutoff),
        state=FineTuneState.QUEUED,
    ).values_list("pk", flat=True)
    for pk in list(stale[:100]):
        enqueue_training(pk)
        nudged += 1
    expired = FineTune.objects.filter(
        state__in=[FineTuneState.TRAINING, FineTuneState.VALIDATING], lease_expires_at__lt=now
    ).values_list("pk", flat=True)
    for pk in list(expired[:100]):
        with transaction.atomic():
            ft = FineTune.objects.select_for_update().select_related("tenant").get(pk=pk)
            if (
                ft.state not in (FineTuneState.TRAINING, FineTuneState.VALIDATING)
                or ft.lease_expires_at >= now
            ):
                continue
            if ft.attempts < ft.max_attempts:
                transition_finetune(
                    ft,
                    FineTuneState.QUEUED,
                    failure_message=f"Worker lost on attempt {ft.attempts}; resuming from "
                    f"step {ft.checkpoint_step}.",
                )
                transaction.on_commit(lambda pk=pk: enqueue_training(pk))
                requeued += 1
                continue
            transition_finetune(
                ft,
                FineTuneState.FAILED,
                failure_code="worker_lost",
                failure_message=f"The worker stopped responding {ft.attempts} times; "
                "credits were released.",
            )
            failed += 1
    return {"requeued": requeued, "failed": failed, "nudged": nudged}
