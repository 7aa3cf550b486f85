"""Value objects of a training run (no ML imports here: the web process validates with them)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

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
    steps: int = 1000
    learning_rate: float = 1e-4
    resolution: int = 512
    batch_size: int = 4
    train_text_encoder: bool = False
    gradient_checkpointing: bool = False
    # "auto": bf16 where the GPU supports it, else fp16; fp32 on the CPU.
    mixed_precision: str = "auto"
    checkpoint_every: int = 100
    seed: int = 0


@dataclass(frozen=True)
class TrainExample:
    """One training image, loaded on demand so a 1000-image set never sits in memory."""

    load: Callable[[], Image.Image]
    caption: str


@dataclass
class TrainResult:
    lora_dir: str  # holds pytorch_lora_weights.safetensors (save_lora_weights layout)
    losses: list[float] = field(default_factory=list)
    steps: int = 0
    resumed_from: int = 0
    device: str = "cpu"
    dtype: str = "float32"
