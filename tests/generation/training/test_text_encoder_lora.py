"""`train_text_encoder`: the text encoders (both on SDXL) carry LoRA layers of their own,
attached with peft directly (transformers' `add_adapter` asks for a newer peft than installed).
Their weights train, ship in the adapter with their alpha, load back through diffusers and the
engine to render like the in-memory models, follow the EMA and the best checkpoint, resume bit
for bit, and reach the kohya export; with the option off no text-encoder weights are saved."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from core.training_recipe import TrainingRecipe
from generation.engines.base import AdapterRef
from generation.training.config import TrainConfig, TrainExample
from generation.training.lora import LoraRun, train_lora
from tests.generation.training.pipelines import TRIGGER, load_pipeline, render

pytestmark = [pytest.mark.ml, pytest.mark.slow]

RANK, ALPHA = 8, 4  # scale 0.5: a loader that assumes alpha = rank renders twice as strong
SD1_ENCODERS = ("text_encoder",)
SDXL_ENCODERS = ("text_encoder", "text_encoder_2")


def _picture(seed: int, size=(48, 48)) -> Image.Image:
    blocks = np.random.default_rng(seed).integers(0, 256, size=(6, 6, 3), dtype=np.uint8)
    return Image.fromarray(blocks).resize(size, Image.Resampling.NEAREST)


def _examples(n=4) -> list[TrainExample]:
    sizes = [(48, 48), (64, 32)] * n
    return [
        TrainExample(lambda i=i: _picture(i, sizes[i]), f"mascot {i}", key=f"img-{i}")
        for i in range(n)
    ]


def _config(**overrides) -> TrainConfig:
    recipe = overrides.pop("recipe", {})
    fields = {
        "rank": RANK,
        "alpha": ALPHA,
        "steps": 3,
        "learning_rate": 5e-2,
        "resolution": 32,
        "batch_size": 2,
        "checkpoint_every": 0,
        "trigger_word": TRIGGER,
        "train_text_encoder": True,
        **overrides,
    }
    return TrainConfig(**fields, recipe=TrainingRecipe(**recipe))


def _lora_state(model) -> dict:
    from peft.utils import get_peft_model_state_dict

    return {k: v.detach().clone() for k, v in get_peft_model_state_dict(model).items()}


def _trains_ships_and_loads_back(model_dir, encoders, tmp_path, penultimate=lambda name: False):
    """Train with the text encoders, save, and check the file against the in-memory models
    through diffusers, the engine and the kohya export. Returns the kohya keys."""
    import torch

    from generation.engines.diffusers_engine import DiffusersEngine
    from generation.training.export import LORA_METADATA_KEY, read, write_kohya
    from generation.training.validation import render_grid

    run = LoraRun(
        model_dir,
        _examples(),
        _config(recipe={"ema_decay": 0.5}),
        device="cpu",
        cache_dir=tmp_path / "c",
    )
    assert set(run.lora_models) == {"unet", *encoders}
    before = {name: _lora_state(run.parts[name]) for name in encoders}
    lora_params = sum(
        p.numel()
        for name in encoders
        for n, p in run.parts[name].named_parameters()
        if "lora_" in n
    )
    assert lora_params and all(p.requires_grad for p in run.params)
    assert sum(p.numel() for p in run.params) > lora_params  # UNet's and the encoders'
    run.train()
    weights = run.save(tmp_path / "lora")
    for name in encoders:
        after = _lora_state(run.parts[name])
        assert after.keys() == before[name].keys()
        changed = {k for k in after if not torch.equal(after[k], before[name][k])}
        # SDXL reads the first encoder's penultimate states: its last layer never trains.
        last = f"encoder.layers.{run.parts[name].config.num_hidden_layers - 1}."
        idle = {k for k in after if k.startswith(last)} if penultimate(name) else set()
        assert changed == after.keys() - idle, f"every {name} LoRA matrix that acts trains"
    # The EMA ships, for the encoders as for the UNet.
    assert all(torch.equal(p, s) for p, s in zip(run.params, run.ema.shadow_params, strict=True))

    tensors, header = read(weights)
    config = json.loads(header[LORA_METADATA_KEY])
    for name in encoders:
        keys = [k for k in tensors if k.startswith(f"{name}.")]
        assert keys and all(k.startswith(f"{name}.text_model.encoder.layers.") for k in keys)
        assert config[f"{name}.r"] == RANK and config[f"{name}.lora_alpha"] == ALPHA

    trained = load_pipeline(model_dir)
    trained.unet = run.parts["unet"]
    unet_only = render(trained)
    for name in encoders:
        setattr(trained, name, run.parts[name])
    expected = render(trained)
    assert (expected - unet_only).abs().max() > 1e-4, "the encoders' LoRA changes the render"
    loaded = load_pipeline(model_dir)
    loaded.load_lora_weights(str(weights.parent), adapter_name="brand")
    assert set(loaded.get_list_adapters()) == {"unet", *encoders}
    assert torch.allclose(render(loaded), expected, atol=1e-5)

    # The engine (validation grid, jobs) loads the encoders' layers the same way.
    one = {"trigger_word": TRIGGER, "size": 64, "steps": 2, "prompts": ("{trigger}, a cat",)}
    grid = render_grid(
        DiffusersEngine(model_dir, device="cpu"), AdapterRef("v1", str(weights)), **one
    )
    reference = DiffusersEngine(model_dir, device="cpu")
    pipe = reference.load()
    for name in ("unet", *encoders):
        setattr(pipe, name, run.parts[name])
    for cell, want in zip(grid, render_grid(reference, None, **one), strict=True):
        diff = np.abs(np.asarray(cell.image, np.int16) - np.asarray(want.image, np.int16))
        assert diff.max() <= 1, cell.prompt

    # The kohya file carries the encoders with their alpha and renders like the diffusers file.
    kohya = write_kohya(weights, tmp_path / "k.safetensors", {}, rank=RANK, alpha=ALPHA)
    kohya_tensors, _ = read(kohya)
    te_alphas = {
        float(v)
        for k, v in kohya_tensors.items()
        if k.startswith("lora_te") and k.endswith(".alpha")
    }
    assert te_alphas == {float(ALPHA)}
    by_kohya = load_pipeline(model_dir)
    by_kohya.load_lora_weights(str(kohya.parent), weight_name=kohya.name, adapter_name="brand")
    assert torch.allclose(render(by_kohya), expected, atol=1e-5)
    return set(kohya_tensors)


def _killed_run_resumes_bit_for_bit(model_dir, encoders, tmp_path):
    import io

    import torch
    from safetensors.torch import load_file

    class Killed(BaseException):
        pass

    everything = {
        "random_flip": True,
        "caption_dropout": 0.3,
        "noise_offset": 0.1,
        "gradient_accumulation": 2,
        "ema_decay": 0.9,
    }
    config = _config(steps=5, checkpoint_every=2, recipe=everything)
    whole = train_lora(model_dir, _examples(), config, device="cpu", output_dir=tmp_path / "whole")
    blobs = {}

    def die_at_3(step, total, loss):
        if step == 3:
            raise Killed

    with pytest.raises(Killed):
        train_lora(
            model_dir,
            _examples(),
            config,
            device="cpu",
            on_step=die_at_3,
            on_checkpoint=lambda step, blob: blobs.__setitem__(step, blob),
            output_dir=tmp_path / "killed",
        )
    state = torch.load(io.BytesIO(blobs[2]), weights_only=True)
    assert all(state[name] for name in encoders), "the checkpoint holds the encoders' LoRA"
    resumed = train_lora(
        model_dir, _examples(), config, device="cpu", resume=blobs[2], output_dir=tmp_path / "r"
    )
    assert resumed.resumed_from == 2 and resumed.losses == whole.losses
    a = load_file(tmp_path / "whole" / "pytorch_lora_weights.safetensors")
    b = load_file(tmp_path / "r" / "pytorch_lora_weights.safetensors")
    assert all(any(k.startswith(f"{name}.") for k in a) for name in encoders)
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


# -- SD 1.x ---------------------------------------------------------------------------------


def test_sd1_text_encoder_lora_trains_ships_and_loads_back(tiny_models, tmp_path):
    from transformers import CLIPTextConfig

    from generation.training.lora_import import inspect_lora

    model_dir = tiny_models.sd_model_dir
    keys = _trains_ships_and_loads_back(model_dir, SD1_ENCODERS, tmp_path)
    assert any(k.startswith("lora_te_text_model_encoder_layers_0_self_attn_q_proj") for k in keys)
    assert not any(k.startswith(("lora_te1_", "lora_te2_")) for k in keys)

    # Both files pass the LoRA import checks, text-encoder layers found in the base model.
    layers = CLIPTextConfig.from_pretrained(model_dir / "text_encoder").num_hidden_layers
    for path in (
        tmp_path / "lora" / "pytorch_lora_weights.safetensors",
        tmp_path / "k.safetensors",
    ):
        report = inspect_lora(path, model_dir)
        assert report.modules["text_encoder"] == 4 * layers  # q, k, v, out per layer
        assert report.ranks == [RANK] and report.alphas == [float(ALPHA)]


def test_sd1_killed_run_with_text_encoder_resumes_bit_for_bit(tiny_models, tmp_path):
    _killed_run_resumes_bit_for_bit(tiny_models.sd_model_dir, SD1_ENCODERS, tmp_path)


def test_best_checkpoint_ships_the_best_steps_text_encoder_weights(tiny_models, tmp_path):
    import torch

    from generation.engines.scoring import ClipScorer
    from generation.training.best_checkpoint import CheckpointValidator, blended

    scorer = ClipScorer(tiny_models.clip_arch, tiny_models.clip_checkpoint, device="cpu")
    validator = CheckpointValidator(
        scorer,
        trigger_word=TRIGGER,
        size=32,
        steps=2,
        prompts=["{trigger}, a robot"],
        combine=lambda step, clip, brand: blended(clip, brand) + (10.0 if step == 1 else 0.0),
    )
    run = LoraRun(
        tiny_models.sd_model_dir,
        _examples(),
        _config(steps=2, recipe={"validation_every": 1}),
        device="cpu",
        cache_dir=tmp_path / "c",
        validator=validator,
    )
    run.train()
    assert run.best.best_step == 1
    best = run.best.best_weights["text_encoder"]
    last = _lora_state(run.parts["text_encoder"])
    assert any(not torch.equal(best[k], last[k]) for k in best)
    run.save(tmp_path / "lora")
    shipped = _lora_state(run.parts["text_encoder"])
    assert shipped.keys() == best.keys() and all(torch.equal(shipped[k], best[k]) for k in best)


def test_without_the_option_no_text_encoder_weights_are_trained_or_saved(tiny_models, tmp_path):
    import io

    import torch

    from generation.training.export import read

    run = LoraRun(
        tiny_models.sd_model_dir,
        _examples(2),
        _config(steps=1, train_text_encoder=False),
        device="cpu",
        cache_dir=tmp_path / "c",
    )
    assert set(run.lora_models) == {"unet"}
    assert not any("lora_" in n for n, _ in run.parts["text_encoder"].named_parameters())
    run.train()
    state = torch.load(io.BytesIO(run.checkpoint()), weights_only=True)
    assert state["text_encoder"] is None and "text_encoder_2" not in state
    tensors, header = read(run.save(tmp_path / "lora"))
    assert tensors and all(k.startswith("unet.") for k in tensors)
    assert not any(
        k.startswith("text_encoder") for k in json.loads(header["lora_adapter_metadata"])
    )


# -- SDXL: both encoders ---------------------------------------------------------------------


def test_sdxl_both_text_encoders_train_ship_and_load_back(tiny_sdxl, tmp_path):
    keys = _trains_ships_and_loads_back(
        tiny_sdxl[0], SDXL_ENCODERS, tmp_path, penultimate=lambda name: name == "text_encoder"
    )
    for prefix in (
        "lora_te1_text_model_encoder_layers_0_",
        "lora_te2_text_model_encoder_layers_0_",
    ):
        assert any(k.startswith(prefix) for k in keys), prefix


def test_sdxl_killed_run_with_text_encoders_resumes_bit_for_bit(tiny_sdxl, tmp_path):
    _killed_run_resumes_bit_for_bit(tiny_sdxl[0], SDXL_ENCODERS, tmp_path)


def test_text_encoder_lora_trains_under_gradient_checkpointing(tiny_models, tmp_path):
    import torch

    run = LoraRun(
        tiny_models.sd_model_dir,
        _examples(2),
        _config(steps=1, gradient_checkpointing=True),
        device="cpu",
        cache_dir=tmp_path / "c",
    )
    encoder = run.parts["text_encoder"]
    assert any(getattr(m, "gradient_checkpointing", False) for m in encoder.modules())
    before = _lora_state(encoder)
    run.train()
    after = _lora_state(encoder)
    assert all(not torch.equal(after[k], before[k]) for k in after)
