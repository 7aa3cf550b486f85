"""LoRA training of an SD 1.x UNet (and optionally its text encoder) with peft.

The loop follows diffusers' `train_text_to_image_lora.py`: frozen base weights (fp16/bf16 on
CUDA), LoRA parameters in fp32 under autocast, epsilon/v-prediction MSE on random timesteps.
Every random draw of step `s` comes from a generator seeded with (seed, s), and the batch of
step `s` is a pure function of (seed, s), so a run resumed from a checkpoint at step `s`
continues exactly as the uninterrupted run would have.
"""

from __future__ import annotations

import contextlib
import io
import json
import random
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from generation.engines.base import EngineError
from generation.training.config import (
    TEXT_ENCODER_TARGET_MODULES,
    UNET_TARGET_MODULES,
    TrainConfig,
    TrainExample,
    TrainResult,
)

# on_step(step, total_steps, loss): called after every optimizer step; may raise to stop.
StepCallback = Callable[[int, int, float], None]
# on_checkpoint(step, blob): persist `blob` (see `checkpoint_blob`); resume with it later.
CheckpointCallback = Callable[[int, bytes], None]
LORA_WEIGHTS_NAME = "pytorch_lora_weights.safetensors"


def training_device(preference: str, mixed_precision: str) -> tuple[str, Any]:
    """(device, weight dtype): fp32 on CPU; bf16 (if supported) or fp16 on CUDA."""
    import torch

    from generation.engines.loading import pick_device

    device, _ = pick_device(preference)
    if device == "cpu" or mixed_precision == "no":
        return device, torch.float32
    if mixed_precision == "fp16":
        return device, torch.float16
    if mixed_precision == "bf16" or torch.cuda.is_bf16_supported():
        return device, torch.bfloat16
    return device, torch.float16


def _check_pipeline(model_dir: Path) -> None:
    index = model_dir / "model_index.json"
    if not index.is_file():
        raise EngineError(f"{model_dir} is not a diffusers pipeline directory.", code="bad_model")
    cls = json.loads(index.read_text(encoding="utf-8")).get("_class_name")
    if cls != "StableDiffusionPipeline":
        raise EngineError(
            f"LoRA training supports SD 1.x pipelines; {model_dir} holds {cls}.", code="bad_model"
        )


def load_components(model_dir: Path, device: str, dtype: Any) -> dict[str, Any]:
    from diffusers import AutoencoderKL, DDPMScheduler, UNet2DConditionModel
    from transformers import CLIPTextModel, CLIPTokenizer

    _check_pipeline(model_dir)
    kw = {"local_files_only": True}
    parts = {
        "tokenizer": CLIPTokenizer.from_pretrained(model_dir, subfolder="tokenizer", **kw),
        "text_encoder": CLIPTextModel.from_pretrained(model_dir, subfolder="text_encoder", **kw),
        "vae": AutoencoderKL.from_pretrained(model_dir, subfolder="vae", **kw),
        "unet": UNet2DConditionModel.from_pretrained(model_dir, subfolder="unet", **kw),
        "scheduler": DDPMScheduler.from_pretrained(model_dir, subfolder="scheduler", **kw),
    }
    for name in ("text_encoder", "vae", "unet"):
        parts[name].requires_grad_(False)
        parts[name].to(device, dtype=dtype)
    return parts


def add_lora(parts: dict[str, Any], config: TrainConfig) -> list[Any]:
    """Attach fresh LoRA layers; returns the trainable parameters (fp32)."""
    import torch
    from diffusers.training_utils import cast_training_params
    from peft import LoraConfig

    unet = parts["unet"]
    unet.add_adapter(
        LoraConfig(
            r=config.rank,
            lora_alpha=config.alpha,
            init_lora_weights="gaussian",
            target_modules=list(UNET_TARGET_MODULES),
        )
    )
    models = [unet]
    if config.train_text_encoder:
        parts["text_encoder"].add_adapter(
            LoraConfig(
                r=config.rank,
                lora_alpha=config.alpha,
                init_lora_weights="gaussian",
                target_modules=list(TEXT_ENCODER_TARGET_MODULES),
            )
        )
        models.append(parts["text_encoder"])
    # Half-precision optimizer states underflow; only the small LoRA matrices go to fp32.
    cast_training_params(models, dtype=torch.float32)
    if config.gradient_checkpointing:
        unet.enable_gradient_checkpointing()
        if config.train_text_encoder:
            parts["text_encoder"].gradient_checkpointing_enable()
    return [p for m in models for p in m.parameters() if p.requires_grad]


def batch_indices(n_examples: int, step: int, config: TrainConfig) -> list[int]:
    """The examples of step `step`: a per-epoch shuffle, a pure function of (seed, step)."""
    per_epoch = max(1, n_examples)
    start = step * config.batch_size
    out = []
    for k in range(start, start + config.batch_size):
        epoch, pos = divmod(k, per_epoch)
        order = list(range(n_examples))
        random.Random(config.seed * 1_000_003 + epoch).shuffle(order)
        out.append(order[pos])
    return out


def image_tensor(image, resolution: int):
    """PIL -> [-1, 1] CHW tensor: shorter side to `resolution`, centre crop."""
    import numpy as np
    import torch
    from PIL import Image

    image = image.convert("RGB")
    scale = resolution / min(image.size)
    size = (
        max(resolution, round(image.width * scale)),
        max(resolution, round(image.height * scale)),
    )
    image = image.resize(size, Image.Resampling.BICUBIC)
    left, top = (image.width - resolution) // 2, (image.height - resolution) // 2
    image = image.crop((left, top, left + resolution, top + resolution))
    array = np.asarray(image, dtype=np.float32) / 127.5 - 1.0
    return torch.from_numpy(array).permute(2, 0, 1)


def checkpoint_blob(parts, optimizer, scaler, step: int, losses: list[float], config) -> bytes:
    import torch
    from peft.utils import get_peft_model_state_dict

    state = {
        "step": step,
        "losses": list(losses),
        "config": asdict(config),
        "unet": get_peft_model_state_dict(parts["unet"]),
        "text_encoder": (
            get_peft_model_state_dict(parts["text_encoder"]) if config.train_text_encoder else None
        ),
        "optimizer": optimizer.state_dict(),
        "scaler": scaler.state_dict() if scaler is not None else None,
    }
    buf = io.BytesIO()
    torch.save(state, buf)
    return buf.getvalue()


def _restore(blob: bytes, parts, optimizer, scaler, config) -> tuple[int, list[float]]:
    import torch
    from peft.utils import set_peft_model_state_dict

    state = torch.load(io.BytesIO(blob), map_location="cpu", weights_only=True)
    if state["config"] != asdict(config):
        raise EngineError("The checkpoint was made with other settings.", code="bad_checkpoint")
    set_peft_model_state_dict(parts["unet"], state["unet"])
    if config.train_text_encoder and state["text_encoder"] is not None:
        set_peft_model_state_dict(parts["text_encoder"], state["text_encoder"])
    optimizer.load_state_dict(state["optimizer"])
    if scaler is not None and state["scaler"] is not None:
        scaler.load_state_dict(state["scaler"])
    return int(state["step"]), [float(x) for x in state["losses"]]


def _loss(parts, pixels, captions, step: int, config: TrainConfig, device, dtype):
    import torch
    import torch.nn.functional as F

    gen = torch.Generator("cpu").manual_seed(config.seed * 1_000_003 + step)
    tokens = parts["tokenizer"](
        captions,
        padding="max_length",
        max_length=parts["tokenizer"].model_max_length,
        truncation=True,
        return_tensors="pt",
    ).input_ids.to(device)
    vae, scheduler = parts["vae"], parts["scheduler"]
    with torch.no_grad():
        dist = vae.encode(pixels.to(device, dtype=dtype)).latent_dist
        eps = torch.randn(dist.mean.shape, generator=gen).to(device, dist.mean.dtype)
        latents = (dist.mean + dist.std * eps) * vae.config.scaling_factor
    noise = torch.randn(latents.shape, generator=gen).to(device, latents.dtype)
    timesteps = torch.randint(
        0, scheduler.config.num_train_timesteps, (latents.shape[0],), generator=gen
    ).to(device)
    noisy = scheduler.add_noise(latents, noise, timesteps)
    hidden = parts["text_encoder"](tokens, return_dict=False)[0]
    if scheduler.config.prediction_type == "v_prediction":
        target = scheduler.get_velocity(latents, noise, timesteps)
    else:
        target = noise
    pred = parts["unet"](noisy, timesteps, hidden, return_dict=False)[0]
    return F.mse_loss(pred.float(), target.float(), reduction="mean")


def train_lora(
    model_dir: str | Path,
    examples: Sequence[TrainExample],
    config: TrainConfig,
    *,
    device: str = "auto",
    resume: bytes | None = None,
    on_step: StepCallback | None = None,
    on_checkpoint: CheckpointCallback | None = None,
    output_dir: str | Path | None = None,
) -> TrainResult:
    """Train a LoRA on `examples`; returns where `save_lora_weights` wrote it and the losses."""
    import torch

    if not examples:
        raise EngineError("No training images.", code="empty_dataset")
    dev, dtype = training_device(device, config.mixed_precision)
    torch.manual_seed(config.seed)  # LoRA init; resumed runs overwrite it from the checkpoint
    parts = load_components(Path(model_dir), dev, dtype)
    params = add_lora(parts, config)
    optimizer = torch.optim.AdamW(params, lr=config.learning_rate, weight_decay=1e-2)
    use_scaler = dev == "cuda" and dtype == torch.float16
    scaler = torch.amp.GradScaler("cuda") if use_scaler else None
    step, losses = (0, [])
    if resume:
        step, losses = _restore(resume, parts, optimizer, scaler, config)
    resumed_from = step
    parts["unet"].train()
    if config.train_text_encoder:
        parts["text_encoder"].train()
    autocast = (
        torch.autocast("cuda", dtype=dtype) if dev == "cuda" and dtype != torch.float32 else None
    )
    while step < config.steps:
        idx = batch_indices(len(examples), step, config)
        pixels = torch.stack([image_tensor(examples[i].load(), config.resolution) for i in idx])
        captions = [examples[i].caption for i in idx]
        with autocast or contextlib.nullcontext():
            loss = _loss(parts, pixels, captions, step, config, dev, dtype)
        optimizer.zero_grad(set_to_none=True)
        if scaler is not None:
            scaler.scale(loss).backward()
            scaler.unscale_(optimizer)
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            scaler.step(optimizer)
            scaler.update()
        else:
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            optimizer.step()
        step += 1
        value = float(loss.detach().item())
        if value != value:  # NaN: diverged; stop before saving garbage
            raise EngineError(f"Training diverged (NaN loss) at step {step}.", code="diverged")
        losses.append(value)
        if on_step is not None:
            on_step(step, config.steps, value)
        every = config.checkpoint_every
        if on_checkpoint and every and step % every == 0 and step < config.steps:
            on_checkpoint(step, checkpoint_blob(parts, optimizer, scaler, step, losses, config))
    out = Path(output_dir or tempfile.mkdtemp(prefix="lora-"))
    save_lora(parts, config, out)
    return TrainResult(
        lora_dir=str(out),
        losses=losses,
        steps=step,
        resumed_from=resumed_from,
        device=dev,
        dtype=str(dtype).removeprefix("torch."),
    )


def save_lora(parts: dict[str, Any], config: TrainConfig, directory: Path) -> Path:
    from diffusers import StableDiffusionPipeline
    from diffusers.utils import convert_state_dict_to_diffusers
    from peft.utils import get_peft_model_state_dict

    unet_layers = convert_state_dict_to_diffusers(get_peft_model_state_dict(parts["unet"]))
    te_layers = None
    if config.train_text_encoder:
        te_layers = convert_state_dict_to_diffusers(
            get_peft_model_state_dict(parts["text_encoder"])
        )
    StableDiffusionPipeline.save_lora_weights(
        save_directory=str(directory),
        unet_lora_layers=unet_layers,
        text_encoder_lora_layers=te_layers,
        safe_serialization=True,
    )
    return directory / LORA_WEIGHTS_NAME
