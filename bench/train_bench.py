"""LoRA training benchmark: optimizer steps per second of the production training loop.

    python bench/train_bench.py            # tiny random SD model on the CPU (built in a tmp dir)
    python bench/train_bench.py --gpu      # SD 1.5-sized UNet/VAE/text encoder (random weights),
                                           # 512², rank 16, batch 4, fp16 autocast, CUDA

Runs `generation.training.lora.train_lora` (the code the `gpu` workers run) on synthetic
images and times the steady state (the first steps pay for allocator/cuDNN warm-up and are
left out). Results go to bench/results/train_bench.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # runnable as a plain script from anywhere
    sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "bench" / "results" / "train_bench.json"


def _examples(n: int, size: int):
    import numpy as np
    from PIL import Image

    from generation.training import TrainExample

    def loader(seed: int):
        def load():
            rng = np.random.default_rng(seed)
            blocks = rng.integers(0, 256, size=(8, 8, 3), dtype=np.uint8)
            return Image.fromarray(blocks).resize((size, size), Image.Resampling.NEAREST)

        return load

    return [TrainExample(loader(i), f"benchbot, sample {i}") for i in range(n)]


def _timed_run(model_dir: Path, config, device: str, warmup: int) -> dict:
    from generation.training.lora import train_lora

    stamps: list[float] = []
    started = time.perf_counter()
    result = train_lora(
        model_dir,
        _examples(16, config.resolution),
        config,
        device=device,
        on_step=lambda step, total, loss: stamps.append(time.perf_counter()),
    )
    total = time.perf_counter() - started
    steady = stamps[warmup:]
    steady_rate = (len(steady) - 1) / (steady[-1] - steady[0]) if len(steady) > 1 else 0.0
    return {
        "steps": result.steps,
        "warmup_steps_excluded": warmup,
        "steps_per_second": steady_rate,
        "images_per_second": steady_rate * config.batch_size,
        "wall_seconds_including_load": total,
        "first_loss": result.losses[0],
        "last_loss": result.losses[-1],
        "device": result.device,
        "dtype": result.dtype,
    }


def bench_tiny(steps: int) -> dict:
    from generation.engines.tiny_models import build_tiny_sd
    from generation.training import TrainConfig

    config = TrainConfig(
        rank=4,
        alpha=4,
        steps=steps,
        learning_rate=1e-3,
        resolution=64,
        batch_size=4,
        checkpoint_every=0,
    )
    with tempfile.TemporaryDirectory() as tmp:
        model_dir = build_tiny_sd(Path(tmp) / "sd")
        run = _timed_run(model_dir, config, "cpu", warmup=3)
    return {"mode": "tiny-cpu", "resolution": 64, "rank": 4, "batch_size": 4, **run}


def _save_sd15_random(directory: Path) -> Path:
    """SD 1.5's architecture with random weights, saved like a real model (no download)."""
    import torch

    from bench.engine_bench import _sd15_pipeline

    pipe = _sd15_pipeline("cpu", torch.float32)
    pipe.save_pretrained(directory, safe_serialization=True)
    return directory


def bench_gpu(steps: int, gradient_checkpointing: bool) -> dict:
    import torch

    if not torch.cuda.is_available():
        sys.exit("--gpu needs a CUDA device; none is visible (torch.cuda.is_available() is False).")
    from generation.training import TrainConfig

    config = TrainConfig(
        rank=16,
        alpha=16,
        steps=steps,
        learning_rate=1e-4,
        resolution=512,
        batch_size=4,
        mixed_precision="fp16",
        gradient_checkpointing=gradient_checkpointing,
        checkpoint_every=0,
    )
    with tempfile.TemporaryDirectory() as tmp:
        model_dir = _save_sd15_random(Path(tmp) / "sd15")
        torch.cuda.reset_peak_memory_stats()
        run = _timed_run(model_dir, config, "cuda", warmup=5)
    return {
        "mode": "sd15-arch-cuda-fp16",
        "gpu": torch.cuda.get_device_name(0),
        "resolution": 512,
        "rank": 16,
        "batch_size": 4,
        "gradient_checkpointing": gradient_checkpointing,
        "peak_memory_gib": torch.cuda.max_memory_allocated() / 2**30,
        **run,
    }


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--gpu", action="store_true", help="SD 1.5 architecture on CUDA, fp16")
    parser.add_argument("--steps", type=int, default=None, help="optimizer steps (default 30/60)")
    parser.add_argument(
        "--gradient-checkpointing", action="store_true", help="(--gpu) trade compute for memory"
    )
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if args.gpu:
        result = bench_gpu(args.steps or 60, args.gradient_checkpointing)
    else:
        result = bench_tiny(args.steps or 30)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
