"""Value objects of a training run (no ML imports here: the web process validates with them)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from core.images import NEUTRAL_BACKGROUND, RGB
from core.training_recipe import TrainingRecipe

if TYPE_CHECKING:
    from PIL import Image

# The attention projections of the UNet's transformer blocks: where a style LoRA lives.
UNET_TARGET_MODULES = ("to_q", "to_k", "to_v", "to_out.0")
TEXT_ENCODER_TARGET_MODULES = ("q_proj", "k_proj", "v_proj", "out_proj")
MIXED_PRECISION = ("auto", "no", "fp16", "bf16")


@dataclass(frozen=True)
class TrainConfig:
    rank: int = 16
    alpha: int = 16
    # None: derived from the dataset size by the recipe (epochs), see `steps_for`.
    steps: int | None = None
    learning_rate: float = 1e-4
    resolution: int = 512
    batch_size: int = 4
    train_text_encoder: bool = False
    gradient_checkpointing: bool = False
    # "auto": bf16 where the GPU supports it, else fp16; fp32 on the CPU.
    mixed_precision: str = "auto"
    checkpoint_every: int = 100
    seed: int = 0
    # Put into every caption that lacks it (empty: captions are used as they are).
    trigger_word: str = ""
    # What transparent pixels are composited over before training.
    background: RGB = NEUTRAL_BACKGROUND
    # Encode each image with the VAE (and each caption, text encoder frozen) once per run.
    cache_latents: bool = True
    recipe: TrainingRecipe = field(default_factory=TrainingRecipe)

    def steps_for(self, n_examples: int) -> int:
        return self.steps or self.recipe.steps_for(n_examples, self.batch_size)

    @property
    def bucket_step(self) -> int:
        # SD's VAE and UNet downsample 64x in all; tiny test resolutions use a finer grid.
        return 64 if self.resolution >= 256 else 8


@dataclass(frozen=True)
class TrainExample:
    """One training image, loaded on demand so a 1000-image set never sits in memory.

    `key` identifies the content (e.g. its sha256): cached latents are reused across runs only
    when every example has one.
    """

    load: Callable[[], Image.Image]
    caption: str
    key: str | None = None


@dataclass
class TrainResult:
    lora_dir: str  # holds pytorch_lora_weights.safetensors (save_lora_weights layout)
    losses: list[float] = field(default_factory=list)
    steps: int = 0
    resumed_from: int = 0
    device: str = "cpu"
    dtype: str = "float32"
    vae_encodes: int = 0  # images the VAE encoded in this run (0 when the cache was warm)
    # [{step, clip, brand, score}] of the validations during training, and the step whose
    # weights were saved (None: no validation ran, the last/EMA weights were saved).
    validation_curve: list[dict] = field(default_factory=list)
    best_step: int | None = None
