"""The LoRA training recipe: the switches a fine-tune is trained with, and how many steps follow.

Fine-tune requests (styles) validate and price with it and the trainer (generation.training)
runs it, so it lives below both. Pure values: no ML imports, no Django.

Defaults suit brand sets of 5-1000 images: Min-SNR loss weighting (steadier than plain MSE on
small sets), a small noise offset (flat brand colours and clean backgrounds), aspect-ratio
buckets (logos and banners are rarely square), a short warm-up into a cosine decay, and a step
count that follows the dataset size instead of a fixed 1000.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any

from django.utils.translation import gettext

from core.errors import InvalidInput

LR_SCHEDULES = ("cosine", "constant")
# About this many image views make a brand LoRA on small sets; big sets get at least a few
# passes, tiny ones at most MAX_EPOCHS (beyond that it only memorises the pictures).
TARGET_IMAGE_VIEWS = 2000
MIN_EPOCHS, MAX_EPOCHS = 4, 200
VALIDATIONS_PER_RUN = 5  # by default; the last step is always one of them


def default_epochs(n_images: int) -> int:
    return max(MIN_EPOCHS, min(MAX_EPOCHS, math.ceil(TARGET_IMAGE_VIEWS / max(1, n_images))))


@dataclass(frozen=True)
class TrainingRecipe:
    # Passes over the dataset; None derives them from its size (see `default_epochs`).
    epochs: int | None = None
    # Min-SNR-gamma loss weighting (Hang et al. 2023); None trains on plain MSE.
    min_snr_gamma: float | None = 5.0
    noise_offset: float = 0.05
    # Share of captions cut down to the trigger word alone, so the trigger carries the style.
    caption_dropout: float = 0.05
    # Mirror images at random. Off: logos, lettering and one-sided mascots are not symmetric.
    random_flip: bool = False
    # Train each image at the bucket closest to its aspect ratio instead of a centre square.
    bucketing: bool = True
    lr_schedule: str = "cosine"
    warmup_ratio: float = 0.05  # share of the steps the learning rate ramps up over
    gradient_accumulation: int = 1
    # EMA of the LoRA weights (the saved adapter is the average); None keeps the last weights.
    ema_decay: float | None = None
    # Render and CLIP-score validation images every this many steps and ship the best-scoring
    # weights, not the last (an overfitted end state); None derives it from the step count
    # (`validations_per_run` checks a run), 0 turns it off.
    validation_every: int | None = None

    def validation_every_for(self, steps: int) -> int:
        """Steps between validations of a `steps`-step run (0: none)."""
        if self.validation_every is not None:
            return self.validation_every
        return max(1, math.ceil(steps / VALIDATIONS_PER_RUN))

    def epochs_for(self, n_images: int) -> int:
        return self.epochs or default_epochs(n_images)

    def steps_for(self, n_images: int, batch_size: int) -> int:
        """Optimizer steps for `epochs_for(n_images)` passes at batch × accumulation images."""
        per_step = max(1, batch_size) * self.gradient_accumulation
        return max(1, math.ceil(self.epochs_for(n_images) * max(1, n_images) / per_step))

    def warmup_steps(self, steps: int) -> int:
        return min(steps, round(self.warmup_ratio * steps))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_stored(cls, values: dict[str, Any] | None) -> TrainingRecipe:
        """The recipe a row stored (already validated); names a later version dropped are
        ignored and ones it added take their defaults."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in (values or {}).items() if k in known})

    @classmethod
    def from_dict(cls, values: dict[str, Any] | None) -> TrainingRecipe:
        """Validated recipe from user overrides; unknown names and bad values name the field."""
        if values is None:
            return cls()
        if not isinstance(values, dict):
            raise InvalidInput(gettext("recipe must be an object."), field="recipe")
        known = {f.name for f in fields(cls)}
        for name in values:
            if name not in known:
                accepted = ", ".join(sorted(known))
                raise InvalidInput(
                    gettext("Unknown recipe setting '%(name)s'. Known: %(accepted)s.")
                    % {"name": str(name)[:40], "accepted": accepted},
                    field="recipe",
                )
        out = {name: _check(name, value) for name, value in values.items()}
        return cls(**out)

    def describe(self, *, n_images: int | None = None) -> list[str]:
        """The recipe in plain words, one line per switch (fine-tune page)."""
        epochs = (
            f"{self.epochs} passes over the images"
            if self.epochs
            else "passes over the images derived from the dataset size "
            f"(about {TARGET_IMAGE_VIEWS:,} image views, {MIN_EPOCHS}-{MAX_EPOCHS} passes)"
            + (f": {default_epochs(n_images)} for {n_images} images" if n_images else "")
        )
        return [
            epochs,
            f"Min-SNR loss weighting (gamma {self.min_snr_gamma:g}): noisy and clean steps "
            "count evenly"
            if self.min_snr_gamma
            else "plain MSE loss (no Min-SNR weighting)",
            f"noise offset {self.noise_offset:g}: learns flat colours and clean backgrounds"
            if self.noise_offset
            else "no noise offset",
            f"{self.caption_dropout:.0%} of captions cut to the trigger word alone"
            if self.caption_dropout
            else "every caption used in full",
            "images mirrored at random (symmetric designs only)"
            if self.random_flip
            else "images never mirrored: logos and lettering stay the right way round",
            "each image trained at its own aspect ratio (buckets)"
            if self.bucketing
            else "each image centre-cropped to a square",
            f"learning rate warms up over the first {self.warmup_ratio:.0%} of steps, then "
            + ("follows a cosine decay" if self.lr_schedule == "cosine" else "stays constant"),
            f"gradients accumulated over {self.gradient_accumulation} batches per step"
            if self.gradient_accumulation > 1
            else "one batch per step",
            f"the saved adapter is an exponential moving average (decay {self.ema_decay:g})"
            if self.ema_decay
            else "the adapter's weights are not averaged (no EMA)",
            "no validation during training: the last step's weights ship"
            if self.validation_every == 0
            else (
                f"validation images rendered every {self.validation_every} steps"
                if self.validation_every
                else f"validation images rendered {VALIDATIONS_PER_RUN} times in the run"
            )
            + ", scored by CLIP against the prompts and the brand references; the best-scoring "
            "checkpoint ships, not the last",
        ]


# name -> (type, low, high); None allowed where the default is None or the field is optional.
LIMITS: dict[str, tuple[type, float, float]] = {
    "epochs": (int, 1, 1000),
    "min_snr_gamma": (float, 0.1, 20.0),
    "noise_offset": (float, 0.0, 0.3),
    "caption_dropout": (float, 0.0, 0.5),
    "warmup_ratio": (float, 0.0, 0.5),
    "gradient_accumulation": (int, 1, 64),
    "ema_decay": (float, 0.5, 0.9999),
    "validation_every": (int, 0, 100000),
}
OPTIONAL = ("epochs", "min_snr_gamma", "ema_decay", "validation_every")


def _check(name: str, value: Any) -> Any:
    field = f"recipe.{name}"
    if name in ("random_flip", "bucketing"):
        if not isinstance(value, bool):
            raise InvalidInput(
                gettext("%(name)s must be true or false.") % {"name": name}, field=field
            )
        return value
    if name == "lr_schedule":
        if value not in LR_SCHEDULES:
            accepted = ", ".join(LR_SCHEDULES)
            raise InvalidInput(
                gettext("lr_schedule must be one of %(accepted)s.") % {"accepted": accepted},
                field=field,
            )
        return value
    if value is None and name in OPTIONAL:
        return None
    kind, low, high = LIMITS[name]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInput(gettext("%(name)s must be a number.") % {"name": name}, field=field)
    if kind is int and value != int(value):
        raise InvalidInput(
            gettext("%(name)s must be a whole number.") % {"name": name}, field=field
        )
    if not low <= value <= high:
        off = " or null (off)" if name in OPTIONAL else ""
        raise InvalidInput(
            gettext("%(name)s must be between %(low)s and %(high)s%(off)s.")
            % {"name": name, "low": format(low, "g"), "high": format(high, "g"), "off": off},
            field=field,
        )
    return kind(value)
