"""What a training step optimises: the diffusion loss (optionally Min-SNR weighted) and the
learning-rate schedule. Small pure functions, tested against their formulas."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.training_recipe import TrainingRecipe


@dataclass
class MicroBatch:
    """Every random draw of one micro-batch, made before the model runs."""

    indices: list[int]
    flips: list[bool]
    dropped: list[bool]  # caption cut to the trigger word
    latents: Any  # scaled VAE latents, [N, C, h, w]
    noise: Any  # what the UNet learns to predict (offset included)
    timesteps: Any


def min_snr_weights(scheduler: Any, timesteps: Any, gamma: float) -> Any:
    """Per-sample loss weights min(SNR(t), gamma) / SNR(t) (epsilon) or / (SNR(t) + 1)
    (v-prediction), SNR(t) = alpha_bar_t / (1 - alpha_bar_t) (Hang et al. 2023)."""
    import torch
    from diffusers.training_utils import compute_snr

    snr = compute_snr(scheduler, timesteps)
    clipped = torch.minimum(snr, torch.full_like(snr, gamma))
    if scheduler.config.prediction_type == "v_prediction":
        return clipped / (snr + 1)
    return clipped / snr


def diffusion_loss(pred: Any, target: Any, timesteps: Any, scheduler: Any, gamma: float | None):
    """MSE in fp32; with `gamma`, each sample's mean error weighted by `min_snr_weights`."""
    import torch.nn.functional as F

    if not gamma:
        return F.mse_loss(pred.float(), target.float(), reduction="mean")
    per_sample = F.mse_loss(pred.float(), target.float(), reduction="none")
    per_sample = per_sample.mean(dim=tuple(range(1, per_sample.ndim)))
    return (per_sample * min_snr_weights(scheduler, timesteps, gamma)).mean()


def lr_schedule_for(optimizer: Any, recipe: TrainingRecipe, total_steps: int) -> Any:
    """Linear warm-up over the recipe's share of steps, then cosine decay to 0 or constant."""
    from diffusers.optimization import (
        get_constant_schedule_with_warmup,
        get_cosine_schedule_with_warmup,
    )

    warmup = recipe.warmup_steps(total_steps)
    if recipe.lr_schedule == "cosine":
        return get_cosine_schedule_with_warmup(optimizer, warmup, total_steps)
    return get_constant_schedule_with_warmup(optimizer, warmup)
