"""Validation during training: every K steps the in-training LoRA renders a few fixed prompts,
CLIP scores them against the prompt text and the brand's reference images, and the weights of
the best-scoring step are kept. Those ship, not the last step's: a brand LoRA on a handful of
images overfits well before a fixed step count ends.

Rendering uses the run's own models (the LoRA layers attached, EMA weights swapped in when the
recipe averages), a separate seeded generator per image and no global RNG, so validating never
changes what training draws next: a resumed run stays bit-identical.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from generation.training.validation import VALIDATION_PROMPTS

if TYPE_CHECKING:
    from PIL import Image

    from generation.engines.scoring import ClipScorer
    from generation.training.lora import LoraRun

BRAND_WEIGHT = 0.5  # share of the brand (reference image) score when references exist


@dataclass(frozen=True)
class ValidationPoint:
    step: int
    clip: float | None  # mean CLIP text-image cosine over the validation images
    brand: float | None  # mean CLIP image-image cosine to the references (None: no references)
    score: float | None  # what selects the checkpoint

    def to_dict(self) -> dict[str, Any]:
        return {k: (round(v, 6) if isinstance(v, float) else v) for k, v in asdict(self).items()}


def blended(clip: float | None, brand: float | None) -> float | None:
    if clip is None:
        return None
    return clip if brand is None else (1 - BRAND_WEIGHT) * clip + BRAND_WEIGHT * brand


# combine(step, clip, brand) -> score; the default ignores the step.
Combine = Callable[[int, float | None, float | None], float | None]


class CheckpointValidator:
    """Renders the validation prompts with the run's models and scores them."""

    def __init__(
        self,
        scorer: ClipScorer,
        *,
        trigger_word: str,
        size: int,
        steps: int,
        references: Sequence[Image.Image] = (),
        prompts: Sequence[str] = VALIDATION_PROMPTS[:2],
        seeds: Sequence[int] = (11,),
        combine: Combine | None = None,
    ):
        self.scorer, self.references = scorer, list(references)
        self.trigger_word, self.size, self.steps = trigger_word, size, steps
        self.prompts, self.seeds = list(prompts), list(seeds)
        self.combine = combine or (lambda _step, clip, brand: blended(clip, brand))

    def _pipeline(self, run: LoraRun) -> Any:
        from diffusers import DPMSolverMultistepScheduler, StableDiffusionPipeline

        from generation.training.models import SDXL

        parts = run.parts
        scheduler = DPMSolverMultistepScheduler.from_config(parts["scheduler"].config)
        if run.kind == SDXL:
            from generation.training.sdxl import validation_pipeline

            pipe = validation_pipeline(parts, scheduler)
        else:
            pipe = StableDiffusionPipeline(
                vae=parts["vae"],
                text_encoder=parts["text_encoder"],
                tokenizer=parts["tokenizer"],
                unet=parts["unet"],
                scheduler=scheduler,
                safety_checker=None,
                feature_extractor=None,
                requires_safety_checker=False,
            )
        pipe.set_progress_bar_config(disable=True)
        return pipe

    def render(self, run: LoraRun) -> list[tuple[str, list[Image.Image]]]:
        import torch

        from generation.training.models import SDXL
        from generation.training.sdxl import decode_latents

        pipe = self._pipeline(run)
        sdxl = run.kind == SDXL
        out = []
        with torch.inference_mode():
            for template in self.prompts:
                prompt = template.format(trigger=self.trigger_word)
                images = []
                for seed in self.seeds:
                    result = pipe(
                        prompt,
                        num_inference_steps=self.steps,
                        height=self.size,
                        width=self.size,
                        generator=torch.Generator("cpu").manual_seed(seed),
                        **({"output_type": "latent"} if sdxl else {}),
                    ).images
                    images.append(decode_latents(pipe, result)[0] if sdxl else result[0])
                out.append((prompt, images))
        return out

    def __call__(self, run: LoraRun, step: int) -> ValidationPoint:
        rendered = self.render(run)
        clips = [
            s for prompt, images in rendered for s in self.scorer.text_image_scores(prompt, images)
        ]
        images = [image for _, batch in rendered for image in batch]
        brand = None
        if self.references:
            brands = self.scorer.image_image_scores(images, self.references)
            brand = sum(brands) / len(brands)
        clip = sum(clips) / len(clips)
        return ValidationPoint(step, clip, brand, self.combine(step, clip, brand))


class BestCheckpoint:
    """The validation curve and a copy of the best-scoring step's LoRA weights."""

    def __init__(self, validate: Callable[[LoraRun, int], ValidationPoint], every: int):
        self.validate, self.every = validate, every
        self.curve: list[ValidationPoint] = []
        self.best_step: int | None = None
        self.best_score: float | None = None
        self.best_weights: dict[str, Any] | None = None

    def due(self, step: int, total: int) -> bool:
        return bool(self.every) and (step % self.every == 0 or step == total)

    def check(self, run: LoraRun) -> ValidationPoint:
        """Validate the weights as they would ship now; keep them if they score best so far."""
        with shipped_weights(run):
            point = self.validate(run, run.step)
            self.curve.append(point)
            if point.score is not None and (
                self.best_score is None or point.score > self.best_score
            ):
                self.best_step, self.best_score = point.step, point.score
                self.best_weights = lora_weights(run)
        return point

    def apply(self, run: LoraRun) -> None:
        """Put the best step's weights into the models (nothing to do without a score)."""
        from peft.utils import set_peft_model_state_dict

        if self.best_weights is None:
            return
        for name, model in run.lora_models.items():
            if self.best_weights.get(name) is not None:
                set_peft_model_state_dict(model, self.best_weights[name])

    def state_dict(self) -> dict[str, Any]:
        return {
            "curve": [asdict(p) for p in self.curve],
            "best_step": self.best_step,
            "best_score": self.best_score,
            "best_weights": self.best_weights,
        }

    def load_state_dict(self, state: dict[str, Any] | None) -> None:
        if not state:
            return
        self.curve = [ValidationPoint(**p) for p in state["curve"]]
        self.best_step, self.best_score = state["best_step"], state["best_score"]
        self.best_weights = state["best_weights"]


def lora_weights(run: LoraRun) -> dict[str, Any]:
    """A detached copy of the LoRA weights now in the models (peft state dicts)."""
    from peft.utils import get_peft_model_state_dict

    def copy(model) -> dict[str, Any]:
        return {k: v.detach().clone() for k, v in get_peft_model_state_dict(model).items()}

    # "text_encoder": None when it is frozen, as checkpoints written before SDXL have it.
    return {"text_encoder": None, **{name: copy(m) for name, m in run.lora_models.items()}}


class shipped_weights:
    """The weights an adapter saved now would hold (EMA swapped in), in eval mode; training
    weights and modes come back afterwards."""

    def __init__(self, run: LoraRun):
        self.run = run

    def __enter__(self) -> None:
        if self.run.ema is not None:
            self.run.ema.store(self.run.params)
            self.run.ema.copy_to(self.run.params)
        self.run.parts["unet"].eval()
        for encoder in self.run.text_encoders:
            encoder.eval()

    def __exit__(self, *exc) -> None:
        if self.run.ema is not None:
            self.run.ema.restore(self.run.params)
        for model in self.run.lora_models.values():
            model.train()
