"""The LoRA trainer on the tiny SD model: the saved adapter renders like the trained model
(alpha kept), images are encoded once per run, transparent images train over the background,
each recipe switch does what it says, and a killed run resumes bit for bit."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from core.training_recipe import TrainingRecipe
from generation.engines.base import AdapterRef
from generation.training.config import TrainConfig, TrainExample
from generation.training.lora import LoraRun, train_lora
from tests.generation.training.pipelines import TRIGGER, load_pipeline, render

pytestmark = [pytest.mark.ml, pytest.mark.slow]


def _picture(seed: int, size=(48, 48), mode="RGB") -> Image.Image:
    rng = np.random.default_rng(seed)
    channels = 4 if mode == "RGBA" else 3
    blocks = rng.integers(0, 256, size=(6, 6, channels), dtype=np.uint8)
    if mode == "RGBA":
        blocks[..., 3] = np.where(rng.random((6, 6)) < 0.5, 0, 255)
    return Image.fromarray(blocks, mode).resize(size, Image.Resampling.NEAREST)


def _examples(n=3, sizes=None, captions=None) -> list[TrainExample]:
    sizes = sizes or [(48, 48)] * n
    captions = captions or [f"mascot {i}" for i in range(n)]
    return [
        TrainExample(lambda i=i: _picture(i, sizes[i]), captions[i], key=f"img-{i}")
        for i in range(n)
    ]


def _config(**overrides) -> TrainConfig:
    recipe = overrides.pop("recipe", {})
    fields = {
        "rank": 4,
        "alpha": 4,
        "steps": 2,
        "learning_rate": 5e-2,
        "resolution": 32,
        "batch_size": 2,
        "checkpoint_every": 0,
        "trigger_word": TRIGGER,
        **overrides,
    }
    return TrainConfig(**fields, recipe=TrainingRecipe(**recipe))


def _run(tiny_models, tmp_path, examples=None, cache="cache", **overrides) -> LoraRun:
    return LoraRun(
        tiny_models.sd_model_dir,
        examples or _examples(),
        _config(**overrides),
        device="cpu",
        cache_dir=tmp_path / cache,
    )


def test_saved_adapter_renders_like_the_trained_model_when_alpha_differs_from_rank(
    tiny_models, tmp_path
):
    import torch

    from generation.engines.diffusers_engine import DiffusersEngine
    from generation.training.export import read, write
    from generation.training.validation import render_grid

    run = _run(tiny_models, tmp_path, rank=8, alpha=4, steps=3)
    run.train()
    weights = run.save(tmp_path / "lora")  # rank 8, alpha 4: scale 0.5

    trained = load_pipeline(tiny_models.sd_model_dir)
    trained.unet = run.parts["unet"]
    expected = render(trained)
    loaded = load_pipeline(tiny_models.sd_model_dir)
    loaded.load_lora_weights(str(weights.parent), adapter_name="brand")
    assert torch.allclose(render(loaded), expected, atol=1e-5)

    # The file without its LoRA config (what was saved before) serves at alpha = rank: 2x.
    tensors, _ = read(weights)
    (tmp_path / "bare").mkdir()
    bare = write(tmp_path / "bare" / "pytorch_lora_weights.safetensors", tensors, {})
    old = load_pipeline(tiny_models.sd_model_dir)
    old.load_lora_weights(str(bare.parent), adapter_name="brand")
    assert (render(old) - expected).abs().max() > 1e-4

    # The validation grid loads the adapter through the engine the same way.
    engine = DiffusersEngine(tiny_models.sd_model_dir, device="cpu")
    one = {"trigger_word": TRIGGER, "size": 64, "steps": 2, "prompts": ("{trigger}, a cat",)}
    grid = render_grid(engine, AdapterRef("v1", str(weights)), **one)
    reference = DiffusersEngine(tiny_models.sd_model_dir, device="cpu")
    reference.load().unet = run.parts["unet"]
    in_memory = render_grid(reference, None, **one)
    for cell, want in zip(grid, in_memory, strict=True):
        diff = np.abs(np.asarray(cell.image, np.int16) - np.asarray(want.image, np.int16))
        assert diff.max() <= 1, cell.prompt


def test_each_image_is_encoded_once_per_run(tiny_models, tmp_path, monkeypatch):
    from diffusers import AutoencoderKL
    from transformers import CLIPTextModel

    calls = {"vae": [], "text": 0}
    encode, forward = AutoencoderKL.encode, CLIPTextModel.forward

    def counting_encode(self, x, *args, **kwargs):
        calls["vae"].append(x.shape[0])
        return encode(self, x, *args, **kwargs)

    def counting_forward(self, *args, **kwargs):
        calls["text"] += 1
        return forward(self, *args, **kwargs)

    monkeypatch.setattr(AutoencoderKL, "encode", counting_encode)
    monkeypatch.setattr(CLIPTextModel, "forward", counting_forward)
    config = _config(steps=3, recipe={"random_flip": True})  # 3 steps x 2 > 3 images
    result = train_lora(
        tiny_models.sd_model_dir,
        _examples(3),
        config,
        device="cpu",
        cache_dir=tmp_path / "cache",
        output_dir=tmp_path / "a",
    )
    assert len(calls["vae"]) == 3 == result.vae_encodes
    assert calls["vae"] == [2, 2, 2], "one call per image holds both orientations"
    assert calls["text"] == 3 + 1, "each caption and the trigger-only caption, once"

    calls["vae"].clear()
    calls["text"] = 0
    again = train_lora(
        tiny_models.sd_model_dir,
        _examples(3),
        config,
        device="cpu",
        cache_dir=tmp_path / "cache",
        output_dir=tmp_path / "b",
    )
    assert calls["vae"] == [] and calls["text"] == 0 and again.vae_encodes == 0

    calls["vae"].clear()
    uncached = _config(steps=3, cache_latents=False, recipe={"random_flip": True})
    train_lora(
        tiny_models.sd_model_dir, _examples(3), uncached, device="cpu", output_dir=tmp_path / "c"
    )
    # Without the cache every sample of every step: batches of 2, 1, 2 (3 images, batch 2).
    assert len(calls["vae"]) == 5


def test_recipe_switches_change_what_they_should(tiny_models, tmp_path):
    import torch

    examples = _examples(3, sizes=[(48, 48), (64, 32), (48, 48)])
    on = _run(
        tiny_models,
        tmp_path,
        examples,
        cache="on",
        recipe={"random_flip": True, "caption_dropout": 1.0, "noise_offset": 0.1},
    )
    off = _run(
        tiny_models,
        tmp_path,
        examples,
        cache="off",
        recipe={
            "random_flip": False,
            "caption_dropout": 0.0,
            "noise_offset": 0.0,
            "bucketing": False,
        },
    )
    # Noise offset: one constant shift per sample and channel on top of the same noise
    # (first draws of two runs that differ only in the offset).
    plain = _run(
        tiny_models,
        tmp_path,
        examples,
        cache="on",
        recipe={"random_flip": True, "caption_dropout": 1.0, "noise_offset": 0.0},
    )
    a, b = on.draw([0, 2]), plain.draw([0, 2])
    assert torch.equal(a.latents, b.latents)
    shift = a.noise - b.noise
    assert shift.abs().max() > 0
    assert torch.allclose(shift, shift.mean(dim=(2, 3), keepdim=True), atol=1e-6)

    # Buckets: the 2:1 image keeps a landscape latent; without bucketing everything is square.
    assert on.encoder.buckets[1][0] > on.encoder.buckets[1][1]
    mean, _ = on.encoder.moments(1, False)
    assert mean.shape[2] > mean.shape[1]
    assert set(off.encoder.buckets) == {(32, 32)}
    assert off.encoder.moments(1, False)[0].shape[1:] == (16, 16)

    # Flips: drawn per sample, and the mirrored view is the mirrored image's latent.
    flips = [f for _ in range(6) for f in on.draw([0, 2]).flips]
    assert True in flips and False in flips
    assert not any(f for _ in range(3) for f in off.draw([0, 2]).flips)
    assert not torch.equal(on.encoder.moments(0, True)[0], on.encoder.moments(0, False)[0])

    # Caption dropout leaves the trigger alone; every kept caption carries the trigger.
    assert all(on.draw([0, 2]).dropped) and not any(off.draw([0, 2]).dropped)
    assert all(TRIGGER in c for c in on.encoder.captions) and on.encoder.dropped_caption == TRIGGER
    dropped = on.encoder.hidden_states([0], [True])
    expected = on.encoder.encode_text([TRIGGER]).float()
    assert torch.allclose(dropped.float(), expected)


def test_accumulation_and_ema(tiny_models, tmp_path):
    import torch

    run = _run(
        tiny_models,
        tmp_path,
        _examples(4),
        steps=2,
        recipe={"gradient_accumulation": 2, "ema_decay": 0.5},
    )
    seen = []
    batch = run.order.batch
    run.order.batch = lambda m: (seen.append(m), batch(m))[1]
    run.train()
    assert seen == [0, 1, 2, 3], "two micro-batches per optimizer step"
    last = [p.detach().clone() for p in run.params]
    run.save(tmp_path / "ema")
    shadow = run.ema.shadow_params
    assert all(torch.equal(p, s) for p, s in zip(run.params, shadow, strict=True))
    assert any(not torch.equal(p, q) for p, q in zip(run.params, last, strict=True))


def test_transparent_images_train_over_the_background(tiny_models, tmp_path):
    import torch

    rgba = _picture(7, mode="RGBA")
    white = Image.new("RGB", rgba.size, (255, 255, 255))
    white.paste(rgba, mask=rgba.getchannel("A"))
    examples = [
        TrainExample(lambda: rgba, "logo", key="rgba"),
        TrainExample(lambda: white, "logo", key="white"),
        TrainExample(lambda: rgba.convert("RGB"), "logo", key="black"),
    ]
    run = _run(tiny_models, tmp_path, examples)
    as_trained = run.encoder.moments(0, False)[0]
    assert torch.allclose(as_trained, run.encoder.moments(1, False)[0], atol=1e-6)
    assert not torch.allclose(as_trained, run.encoder.moments(2, False)[0], atol=1e-3)


def test_killed_run_resumes_to_bit_identical_weights(tiny_models, tmp_path):
    import torch
    from safetensors.torch import load_file

    class Killed(BaseException):
        pass

    examples = _examples(4, sizes=[(48, 48), (64, 32), (48, 48), (64, 32)])
    everything = {
        "random_flip": True,
        "caption_dropout": 0.3,
        "noise_offset": 0.1,
        "gradient_accumulation": 2,
        "ema_decay": 0.9,
    }
    config = _config(steps=5, checkpoint_every=2, recipe=everything)
    whole = train_lora(
        tiny_models.sd_model_dir, examples, config, device="cpu", output_dir=tmp_path / "whole"
    )

    blobs = {}

    def die_at_3(step, total, loss):
        if step == 3:
            raise Killed

    with pytest.raises(Killed):
        train_lora(
            tiny_models.sd_model_dir,
            examples,
            config,
            device="cpu",
            on_step=die_at_3,
            on_checkpoint=lambda step, blob: blobs.__setitem__(step, blob),
            output_dir=tmp_path / "killed",
        )
    assert list(blobs) == [2]
    resumed = train_lora(
        tiny_models.sd_model_dir,
        examples,
        config,
        device="cpu",
        resume=blobs[2],
        output_dir=tmp_path / "resumed",
    )
    assert resumed.resumed_from == 2 and resumed.losses == whole.losses
    a = load_file(tmp_path / "whole" / "pytorch_lora_weights.safetensors")
    b = load_file(tmp_path / "resumed" / "pytorch_lora_weights.safetensors")
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
