"""Checkpoints of a `LoraRun`: everything the next step depends on, so a resumed run is exact.

LoRA weights, optimizer, LR schedule, EMA, grad scaler, the training generator (every noise,
timestep, flip and caption-dropout draw) and torch's global RNG, the data order of the current
epoch, the step and the losses so far, and the validation curve with the best step's weights.
Python's and numpy's RNGs are not used by the loop.
"""

from __future__ import annotations

import io
from dataclasses import asdict
from typing import TYPE_CHECKING

from generation.engines.base import EngineError

if TYPE_CHECKING:
    from generation.training.lora import LoraRun

CHECKPOINT_FORMAT = 2


def dump(run: LoraRun) -> bytes:
    import torch
    from peft.utils import get_peft_model_state_dict

    config = run.config
    state = {
        "format": CHECKPOINT_FORMAT,
        "step": run.step,
        "losses": list(run.losses),
        "config": asdict(config),
        # "unet", and "text_encoder" (None when frozen), "text_encoder_2" (SDXL) below.
        "text_encoder": None,
        **{name: get_peft_model_state_dict(m) for name, m in run.lora_models.items()},
        "optimizer": run.optimizer.state_dict(),
        "lr_schedule": run.lr_schedule.state_dict(),
        "ema": run.ema.state_dict() if run.ema is not None else None,
        "scaler": run.scaler.state_dict() if run.scaler is not None else None,
        "rng": {
            "train": run.generator.get_state(),
            "torch": torch.get_rng_state(),
            "cuda": torch.cuda.get_rng_state_all() if run.device == "cuda" else None,
        },
        "data_order": run.order.state_dict(),
        # The validation curve and the best step's weights so far (best_checkpoint).
        "best": run.best.state_dict() if run.best is not None else None,
    }
    buf = io.BytesIO()
    torch.save(state, buf)
    return buf.getvalue()


def load(run: LoraRun, blob: bytes) -> None:
    import torch
    from peft.utils import set_peft_model_state_dict

    state = torch.load(io.BytesIO(blob), map_location="cpu", weights_only=True)
    if state.get("format") != CHECKPOINT_FORMAT:
        raise EngineError(
            "The checkpoint was written by an older trainer; start the fine-tune again.",
            code="bad_checkpoint",
        )
    if state["config"] != asdict(run.config):
        raise EngineError("The checkpoint was made with other settings.", code="bad_checkpoint")
    for name, model in run.lora_models.items():
        if state.get(name) is not None:
            set_peft_model_state_dict(model, state[name])
    run.optimizer.load_state_dict(state["optimizer"])
    run.lr_schedule.load_state_dict(state["lr_schedule"])
    if run.ema is not None and state["ema"] is not None:
        run.ema.load_state_dict(state["ema"])
    if run.scaler is not None and state["scaler"] is not None:
        run.scaler.load_state_dict(state["scaler"])
    run.generator.set_state(state["rng"]["train"])
    torch.set_rng_state(state["rng"]["torch"])
    if run.device == "cuda" and state["rng"]["cuda"] is not None:
        torch.cuda.set_rng_state_all(state["rng"]["cuda"])
    run.order.load_state_dict(state["data_order"])
    if run.best is not None:
        run.best.load_state_dict(state.get("best"))
    run.step = int(state["step"])
    run.losses = [float(x) for x in state["losses"]]
