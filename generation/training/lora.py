"""LoRA training of an SD 1.x or SDXL UNet (and optionally its text encoders) with peft.

The loop follows diffusers' `train_text_to_image_lora.py`: frozen base weights (fp16/bf16 on
CUDA), LoRA parameters in fp32 under autocast, epsilon/v-prediction MSE on random timesteps,
optionally Min-SNR weighted, with a noise offset, caption dropout, flips, aspect buckets,
warm-up into a cosine or constant learning rate, gradient accumulation and an EMA of the LoRA
weights (see core.training_recipe for the switches). SDXL (`generation.training.sdxl`) adds
the pooled text and size/crop conditioning of diffusers' `train_text_to_image_lora_sdxl.py`.

Every random draw comes from one CPU generator seeded with the run's seed, and the batch order
from `data.DataOrder`; a checkpoint holds both, with the LoRA weights, optimizer, LR schedule
and EMA, so a run resumed from a checkpoint continues bit for bit as the uninterrupted run.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from generation.engines.base import EngineError
from generation.training import checkpoint
from generation.training.best_checkpoint import BestCheckpoint, ValidationPoint
from generation.training.cache import ExampleEncoder
from generation.training.config import TrainConfig, TrainExample, TrainResult
from generation.training.data import DataOrder
from generation.training.export import add_metadata, text_model_keys
from generation.training.models import (
    SDXL,
    TEXT_ENCODERS,
    add_lora,
    load_components,
    lora_models,
    training_device,
)
from generation.training.objective import MicroBatch, diffusion_loss, lr_schedule_for

# on_step(step, total_steps, loss): called after every optimizer step; may raise to stop.
StepCallback = Callable[[int, int, float], None]
# on_checkpoint(step, blob): persist `blob` (see `LoraRun.checkpoint`); resume with it later.
CheckpointCallback = Callable[[int, bytes], None]
# validator(run, step) -> scores of the weights as they would ship now (best_checkpoint).
Validator = Callable[[Any, int], ValidationPoint]
ValidationCallback = Callable[[ValidationPoint], None]
LORA_WEIGHTS_NAME = "pytorch_lora_weights.safetensors"


class LoraRun:
    """One training run: models, optimizer, schedule, EMA, encoded examples and data order."""

    def __init__(
        self,
        model_dir: str | Path,
        examples: Sequence[TrainExample],
        config: TrainConfig,
        *,
        device: str = "auto",
        cache_dir: str | Path | None = None,
        validator: Validator | None = None,
    ):
        import torch
        from diffusers.training_utils import EMAModel

        if not examples:
            raise EngineError("No training images.", code="empty_dataset")
        self.config, self.recipe = config, config.recipe
        self.device, self.dtype = training_device(device, config.mixed_precision)
        self.total_steps = config.steps_for(len(examples))
        torch.manual_seed(config.seed)  # LoRA init; a resumed run overwrites it
        self.parts = load_components(Path(model_dir), self.device, self.dtype)
        self.kind = self.parts["kind"]
        self.params = add_lora(self.parts, config)
        self.optimizer = torch.optim.AdamW(self.params, lr=config.learning_rate, weight_decay=1e-2)
        self.lr_schedule = lr_schedule_for(self.optimizer, self.recipe, self.total_steps)
        decay = self.recipe.ema_decay
        self.ema = EMAModel(self.params, decay=decay) if decay else None
        use_scaler = self.device == "cuda" and self.dtype == torch.float16
        self.scaler = torch.amp.GradScaler("cuda") if use_scaler else None
        self.generator = torch.Generator("cpu").manual_seed(config.seed)
        self.encoder = ExampleEncoder(
            self.parts,
            examples,
            config,
            self.device,
            self.dtype,
            Path(cache_dir) if cache_dir and config.cache_latents else None,
            Path(model_dir),
        )
        self.encoder.prepare()
        self.order = DataOrder(self.encoder.buckets, config.batch_size, config.seed)
        self.step, self.losses, self.resumed_from = 0, [], 0
        every = self.recipe.validation_every_for(self.total_steps)
        self.best = BestCheckpoint(validator, every) if validator and every else None

    @property
    def lora_models(self) -> dict[str, Any]:
        """{name: model} of the models that carry LoRA layers (see models.lora_models)."""
        return lora_models(self.parts, self.config)

    @property
    def text_encoders(self) -> list[Any]:
        return [self.parts[name] for name in TEXT_ENCODERS if name in self.parts]

    def checkpoint(self) -> bytes:
        return checkpoint.dump(self)

    def restore(self, blob: bytes) -> None:
        checkpoint.load(self, blob)
        self.resumed_from = self.step

    # -- one optimizer step -----------------------------------------------------------------

    def draw(self, indices: list[int]) -> MicroBatch:
        """The micro-batch's random draws, all from the run's generator, in a fixed order."""
        import torch

        gen, recipe, n = self.generator, self.recipe, len(indices)
        flips = (torch.rand(n, generator=gen) < 0.5).tolist() if recipe.random_flip else [False] * n
        dropped = (torch.rand(n, generator=gen) < recipe.caption_dropout).tolist()
        moments = [self.encoder.moments(i, f) for i, f in zip(indices, flips, strict=True)]
        mean, std = torch.stack([m for m, _ in moments]), torch.stack([s for _, s in moments])
        eps = torch.randn(mean.shape, generator=gen)
        latents = (mean + std * eps) * self.parts["vae"].config.scaling_factor
        noise = torch.randn(latents.shape, generator=gen)
        if recipe.noise_offset:
            # A shift per sample and channel: lets the model move a whole image's brightness
            # and colour, which plain noise almost never asks of it (flat brand backgrounds).
            offset = torch.randn((n, latents.shape[1], 1, 1), generator=gen)
            noise = noise + recipe.noise_offset * offset
        scheduler = self.parts["scheduler"]
        timesteps = torch.randint(0, scheduler.config.num_train_timesteps, (n,), generator=gen)
        return MicroBatch(
            indices=list(indices),
            flips=flips,
            dropped=dropped,
            latents=latents.to(self.device, self.dtype),
            noise=noise.to(self.device, self.dtype),
            timesteps=timesteps.to(self.device),
        )

    def micro_loss(self, batch: MicroBatch) -> Any:
        scheduler = self.parts["scheduler"]
        noisy = scheduler.add_noise(batch.latents, batch.noise, batch.timesteps)
        conditioning = self.encoder.unet_conditioning(batch.indices, batch.dropped, batch.flips)
        if scheduler.config.prediction_type == "v_prediction":
            target = scheduler.get_velocity(batch.latents, batch.noise, batch.timesteps)
        else:
            target = batch.noise
        pred = self.parts["unet"](noisy, batch.timesteps, **conditioning, return_dict=False)[0]
        return diffusion_loss(pred, target, batch.timesteps, scheduler, self.recipe.min_snr_gamma)

    def train_step(self) -> float:
        import torch

        accumulation = self.recipe.gradient_accumulation
        autocast = (
            torch.autocast("cuda", dtype=self.dtype)
            if self.device == "cuda" and self.dtype != torch.float32
            else contextlib.nullcontext()
        )
        self.optimizer.zero_grad(set_to_none=True)
        total = 0.0
        for k in range(accumulation):
            indices = self.order.batch(self.step * accumulation + k)
            with autocast:
                loss = self.micro_loss(self.draw(indices)) / accumulation
            (self.scaler.scale(loss) if self.scaler else loss).backward()
            total += float(loss.detach().item())
        if self.scaler is not None:
            self.scaler.unscale_(self.optimizer)
            torch.nn.utils.clip_grad_norm_(self.params, 1.0)
            self.scaler.step(self.optimizer)
            self.scaler.update()
        else:
            torch.nn.utils.clip_grad_norm_(self.params, 1.0)
            self.optimizer.step()
        self.lr_schedule.step()
        if self.ema is not None:
            self.ema.step(self.params)
        self.step += 1
        if total != total:  # NaN: diverged; stop before saving garbage
            raise EngineError(f"Training diverged (NaN loss) at step {self.step}.", code="diverged")
        self.losses.append(total)
        return total

    def train(
        self,
        on_step: StepCallback | None = None,
        on_checkpoint: CheckpointCallback | None = None,
        on_validation: ValidationCallback | None = None,
    ) -> None:
        for model in self.lora_models.values():
            model.train()
        every = self.config.checkpoint_every
        while self.step < self.total_steps:
            loss = self.train_step()
            if on_step is not None:
                on_step(self.step, self.total_steps, loss)
            if self.best is not None and self.best.due(self.step, self.total_steps):
                point = self.best.check(self)
                if on_validation is not None:
                    on_validation(point)
            if on_checkpoint and every and self.step % every == 0 and self.step < self.total_steps:
                on_checkpoint(self.step, self.checkpoint())

    def final_weights(self) -> None:
        """Put the weights the adapter ships with into the models: the best-scoring validated
        step's when validation ran, else the EMA (when on) or the last step's."""
        if self.ema is not None:
            self.ema.copy_to(self.params)
        if self.best is not None:
            self.best.apply(self)
        self.parts["unet"].eval()
        for encoder in self.text_encoders:
            encoder.eval()

    def save(self, directory: str | Path, metadata: dict[str, str] | None = None) -> Path:
        """Write the adapter with `save_lora_weights`, LoRA config (rank, alpha) included."""
        from diffusers import StableDiffusionPipeline, StableDiffusionXLPipeline
        from diffusers.training_utils import _collate_lora_metadata
        from diffusers.utils import convert_state_dict_to_diffusers
        from peft.utils import get_peft_model_state_dict

        self.final_weights()
        models = self.lora_models
        layers = {
            f"{name}_lora_layers": convert_state_dict_to_diffusers(get_peft_model_state_dict(m))
            for name, m in models.items()
        }
        for name in TEXT_ENCODERS:
            if f"{name}_lora_layers" in layers:
                layers[f"{name}_lora_layers"] = text_model_keys(layers[f"{name}_lora_layers"])
        pipeline = StableDiffusionXLPipeline if self.kind == SDXL else StableDiffusionPipeline
        # Without the adapter config a loader assumes alpha = rank: an adapter trained at
        # rank 16, alpha 8 would render at twice its strength.
        pipeline.save_lora_weights(
            save_directory=str(directory),
            safe_serialization=True,
            **layers,
            **_collate_lora_metadata(models),
        )
        path = Path(directory) / LORA_WEIGHTS_NAME
        if metadata:
            add_metadata(path, metadata)
        return path


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
    cache_dir: str | Path | None = None,
    metadata: dict[str, str] | None = None,
    validator: Validator | None = None,
    on_validation: ValidationCallback | None = None,
) -> TrainResult:
    """Train a LoRA on `examples`; returns where `save_lora_weights` wrote it and the losses.

    `cache_dir` keeps the encoded examples on local disk (reused by a resumed run); without
    one they are cached in a temporary directory for this run only.
    """
    with contextlib.ExitStack() as stack:
        if cache_dir is None and config.cache_latents:
            cache_dir = stack.enter_context(tempfile.TemporaryDirectory(prefix="lora-cache-"))
        run = LoraRun(
            model_dir, examples, config, device=device, cache_dir=cache_dir, validator=validator
        )
        if resume:
            run.restore(resume)
        run.train(on_step, on_checkpoint, on_validation)
        out = Path(output_dir or tempfile.mkdtemp(prefix="lora-"))
        run.save(out, metadata)
    return TrainResult(
        lora_dir=str(out),
        losses=list(run.losses),
        steps=run.step,
        resumed_from=run.resumed_from,
        device=run.device,
        dtype=str(run.dtype).removeprefix("torch."),
        vae_encodes=run.encoder.vae_encodes,
        validation_curve=[p.to_dict() for p in run.best.curve] if run.best else [],
        best_step=run.best.best_step if run.best else None,
    )
