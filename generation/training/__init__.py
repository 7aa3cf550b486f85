"""peft LoRA fine-tuning of a Stable Diffusion UNet, and the validation grid that follows it.

Pure ML code behind a small interface: it knows nothing about tenants, rows or storage. The
caller (`generation.training.finetune_runner`) hands it examples, a config and callbacks, and
persists what comes back. torch/diffusers/peft are imported lazily inside the functions.
"""

from generation.training.config import TrainConfig, TrainExample, TrainResult

__all__ = ["TrainConfig", "TrainExample", "TrainResult"]
