"""Best-checkpoint selection: validation renders during training are CLIP-scored (text and
brand references) by the real scorer on the tiny models, and the adapter that ships holds the
weights of the best-scoring step, not the last. Random CLIP weights make the scores
meaningless, so the test forces which step wins on top of the real scores: the mechanism is
what is tested."""

from __future__ import annotations

import io

import pytest

from core.training_recipe import TrainingRecipe
from generation.training.best_checkpoint import CheckpointValidator, blended

pytestmark = [pytest.mark.ml, pytest.mark.slow]


def _picture(seed):
    import numpy as np
    from PIL import Image

    blocks = np.random.default_rng(seed).integers(0, 256, (6, 6, 3), dtype=np.uint8)
    return Image.fromarray(blocks).resize((48, 48), Image.Resampling.NEAREST)


def _setup(tiny_models, combine, **recipe):
    from generation.engines.scoring import ClipScorer
    from generation.training.config import TrainConfig, TrainExample

    scorer = ClipScorer(tiny_models.clip_arch, tiny_models.clip_checkpoint, device="cpu")
    validator = CheckpointValidator(
        scorer,
        trigger_word="acmebot",
        size=32,
        steps=2,
        references=[_picture(99)],
        combine=combine,
    )
    config = TrainConfig(
        rank=4,
        alpha=2,
        steps=4,
        learning_rate=5e-2,
        resolution=32,
        batch_size=2,
        checkpoint_every=0,
        recipe=TrainingRecipe(min_snr_gamma=None, validation_every=1, **recipe),
    )
    examples = [TrainExample(lambda i=i: _picture(i), f"mascot {i}") for i in range(2)]
    return validator, config, examples


def _seen(real):
    """combine() that records the real scores and makes step 2 the best by a wide margin."""

    def combine(step, clip, brand):
        real.append((step, clip, brand))
        return blended(clip, brand) + (10.0 if step == 2 else 0.0)

    return combine


@pytest.mark.parametrize("ema", [None, 0.9], ids=["plain", "ema"])
def test_the_best_scoring_step_ships_not_the_last(tiny_models, tmp_path, ema):
    import torch
    from safetensors.torch import load_file

    from generation.training.best_checkpoint import lora_weights, shipped_weights
    from generation.training.lora import LoraRun

    real = []
    validator, config, examples = _setup(tiny_models, _seen(real), ema_decay=ema)
    run = LoraRun(
        tiny_models.sd_model_dir,
        examples,
        config,
        device="cpu",
        cache_dir=tmp_path / "c",
        validator=validator,
    )
    snapshots = {}

    def on_validation(point):
        with shipped_weights(run):
            snapshots[point.step] = lora_weights(run)["unet"]

    run.train(on_validation=on_validation)
    assert [s for s, _, _ in real] == [1, 2, 3, 4]
    # Real CLIP scores: cosines in [-1, 1], text and brand both present, differing by step.
    assert all(-1 <= c <= 1 and -1 <= b <= 1 for _, c, b in real)
    assert len({round(c, 6) for _, c, _ in real}) > 1
    assert run.best.best_step == 2
    assert [p.step for p in run.best.curve] == [1, 2, 3, 4]

    saved = load_file(run.save(tmp_path / "out"))
    from diffusers.utils import convert_state_dict_to_diffusers

    best = convert_state_dict_to_diffusers(snapshots[2])
    last = convert_state_dict_to_diffusers(snapshots[4])
    assert saved.keys() == {f"unet.{k}" for k in best}
    assert all(torch.equal(saved[f"unet.{k}"], v) for k, v in best.items())
    assert any(not torch.equal(saved[f"unet.{k}"], v) for k, v in last.items())


def test_validation_is_off_with_zero_and_the_last_step_ships(tiny_models, tmp_path):
    import torch

    from generation.training.best_checkpoint import lora_weights
    from generation.training.lora import LoraRun

    real = []
    validator, config, examples = _setup(tiny_models, _seen(real))
    config = type(config)(**{**config.__dict__, "recipe": TrainingRecipe(validation_every=0)})
    run = LoraRun(
        tiny_models.sd_model_dir,
        examples,
        config,
        device="cpu",
        cache_dir=tmp_path / "c",
        validator=validator,
    )
    run.train()
    last = lora_weights(run)["unet"]
    run.final_weights()
    assert real == [] and run.best is None
    assert all(torch.equal(v, lora_weights(run)["unet"][k]) for k, v in last.items())


def test_validation_every_is_derived_from_the_steps():
    assert TrainingRecipe().validation_every_for(100) == 20
    assert TrainingRecipe().validation_every_for(3) == 1
    assert TrainingRecipe(validation_every=7).validation_every_for(100) == 7
    assert TrainingRecipe(validation_every=0).validation_every_for(100) == 0
    assert any("best-scoring checkpoint ships" in line for line in TrainingRecipe().describe())


@pytest.mark.django_db
def test_the_runner_scores_against_the_presets_references_and_needs_clip(
    tenant, use_tiny_models, settings
):
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from generation.engines import registry as engine_registry
    from generation.training.finetune_runner import checkpoint_validator
    from styles.models import FineTune, ReferenceImage, StylePreset

    preset = StylePreset.objects.create(tenant=tenant, name="Acme", slug="acme")
    buf = io.BytesIO()
    _picture(5).save(buf, format="PNG")
    name = default_storage.save(f"tenants/{tenant.pk}/refs/r.png", ContentFile(buf.getvalue()))
    ReferenceImage.objects.create(tenant=tenant, preset=preset, file=name)
    ft = FineTune.objects.create(tenant=tenant, name="x", trigger_word="acmebot", preset=preset)
    validator = checkpoint_validator(ft)
    assert validator is not None and len(validator.references) == 1
    ft.preset = None
    assert checkpoint_validator(ft).references == []

    settings.AVATARSAAS_CLIP_CHECKPOINT = ""  # no CLIP: nothing to score, the last step ships
    engine_registry.reset()
    assert checkpoint_validator(ft) is None
