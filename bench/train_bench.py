"""LoRA training benchmark: optimizer steps per second of the production training loop.

    python bench/train_bench.py            # tiny random SD and SDXL models on the CPU (built
                                           # in a tmp dir; the SDXL run is a short dry run so
                                           # CI exercises the SDXL code path)
    python bench/train_bench.py --gpu      # SD 1.5-sized UNet/VAE/text encoder (random weights),
                                           # 512², rank 16, batch 4, bf16 autocast, CUDA
                                           # (fp16 with a grad scaler where bf16 is missing),
                                           # then SDXL-sized at 1024², rank 16 (`--only`)

Runs the production training loop (`generation.training.lora.LoraRun`, what the `gpu` workers
run) on synthetic PNG images and times the steady state (the first steps pay for allocator and
kernel warm-up and are left out), with the latent cache (the default: each image decoded and
VAE-encoded once, before the first step) and without it (every step decodes and encodes its
images again), in alternating blocks of steps in one process. The top-level numbers are the
cached loop's; `without_latent_cache` and `latent_cache_speedup` compare; the SDXL run's
numbers are under `sdxl`. Results go to bench/results/train_bench.json.
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # runnable as a plain script from anywhere
    sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "bench" / "results" / "train_bench.json"


def _examples(n: int, size: int, varied: bool = False):
    import numpy as np
    from PIL import Image

    from generation.training import TrainExample

    # `varied`: square, landscape and portrait images, so aspect buckets (and SDXL's per-image
    # size/crop conditioning) see more than one shape.
    shapes = (
        [(size, size), (size * 3 // 2, size), (size, size * 3 // 2)] if varied else [(size,) * 2]
    )

    def loader(seed: int):
        # PNG bytes decoded on every load, as the worker reads stored dataset images.
        rng = np.random.default_rng(seed)
        blocks = rng.integers(0, 256, size=(8, 8, 3), dtype=np.uint8)
        buf = io.BytesIO()
        shape = shapes[seed % len(shapes)]
        Image.fromarray(blocks).resize(shape, Image.Resampling.NEAREST).save(buf, "PNG")
        data = buf.getvalue()
        return lambda: Image.open(io.BytesIO(data))

    return [TrainExample(loader(i), f"sample {i}", key=str(i)) for i in range(n)]


def _interleaved_cache_comparison(
    model_dir: Path, config, device: str, warmup: int, varied: bool = False
) -> dict:
    """Steps/s of the training loop with and without the latent cache, measured in alternating
    blocks of steps in one process: on a shared machine the load moves by the minute, and two
    runs one after the other would compare the neighbours more than the cache."""
    from generation.training.lora import LoraRun

    def sync() -> None:
        if device == "cuda":
            import torch

            torch.cuda.synchronize()

    examples = _examples(16, config.resolution, varied)
    with tempfile.TemporaryDirectory() as cache:
        started = time.perf_counter()
        cached = LoraRun(model_dir, examples, config, device=device, cache_dir=cache)
        prepared = time.perf_counter() - started  # load + one decode/encode pass
        plain = dataclasses.replace(config, cache_latents=False)
        runs = {"cached": cached, "uncached": LoraRun(model_dir, examples, plain, device=device)}
        spent = {name: [0.0, 0.0, 0] for name in runs}  # wall, cpu, steps
        losses: dict[str, list[float]] = {name: [] for name in runs}
        for run in runs.values():
            run.parts["unet"].train()
            for _ in range(warmup):  # one-off kernel set-up, allocator growth
                run.train_step()
        block = 3
        while spent["cached"][2] < config.steps:
            for name, run in runs.items():
                sync()
                wall, cpu = time.perf_counter(), time.process_time()
                for _ in range(block):
                    losses[name].append(run.train_step())
                sync()
                spent[name][0] += time.perf_counter() - wall
                spent[name][1] += time.process_time() - cpu
                spent[name][2] += block

    def report(name: str) -> dict:
        wall, cpu, steps = spent[name]
        run = runs[name]
        return {
            "steps": steps,
            "latent_cache": run.config.cache_latents,
            "vae_encodes": run.encoder.vae_encodes,
            "warmup_steps_excluded": warmup,
            "steps_per_second": steps / wall,
            "images_per_second": steps / wall * config.batch_size,
            # On a shared CPU the wall clock partly measures the neighbours.
            "cpu_seconds_per_step": cpu / steps,
            "last_loss": losses[name][-1],
            "device": run.device,
            "dtype": str(run.dtype).removeprefix("torch."),
            "pipeline": run.kind,
        }

    with_cache, without = report("cached"), report("uncached")
    return {
        **with_cache,
        "seconds_to_load_and_encode_all_images": prepared,
        "without_latent_cache": without,
        "latent_cache_speedup": with_cache["steps_per_second"] / without["steps_per_second"],
        "latent_cache_cpu_speedup": without["cpu_seconds_per_step"]
        / with_cache["cpu_seconds_per_step"],
    }


def bench_tiny(steps: int, sdxl_steps: int) -> dict:
    from generation.engines.tiny_models import build_tiny_sd
    from generation.engines.tiny_sdxl import build_tiny_sdxl
    from generation.training import TrainConfig

    config = TrainConfig(
        rank=4,
        alpha=4,
        steps=steps,
        learning_rate=1e-3,
        resolution=64,
        batch_size=4,
        checkpoint_every=0,
        trigger_word="benchbot",
    )
    with tempfile.TemporaryDirectory() as tmp:
        model_dir = build_tiny_sd(Path(tmp) / "sd")
        run = _interleaved_cache_comparison(model_dir, config, "cpu", warmup=3)
        sdxl = None
        if sdxl_steps:
            # A dry run of the SDXL path (two text encoders, pooled text, size/crop time ids,
            # mixed aspect buckets) on the tiny model: CI catches breakage, the speed is moot.
            xl_config = dataclasses.replace(config, steps=sdxl_steps, alpha=2)
            xl_dir = build_tiny_sdxl(Path(tmp) / "sdxl")
            sdxl = _interleaved_cache_comparison(xl_dir, xl_config, "cpu", warmup=1, varied=True)
            sdxl = {"mode": "tiny-sdxl-cpu", "resolution": 64, "rank": 4, "alpha": 2, **sdxl}
    return {"mode": "tiny-cpu", "resolution": 64, "rank": 4, "batch_size": 4, **run, "sdxl": sdxl}


def _save_sd15_random(directory: Path) -> Path:
    """SD 1.5's architecture with random weights, saved like a real model (no download)."""
    import torch

    from bench.engine_bench import _sd15_pipeline

    pipe = _sd15_pipeline("cpu", torch.float32)
    pipe.save_pretrained(directory, safe_serialization=True)
    return directory


def _gpu_config(steps: int, resolution: int, batch_size: int, gradient_checkpointing: bool):
    import torch

    from generation.training import TrainConfig

    return TrainConfig(
        rank=16,
        alpha=16,
        steps=steps,
        learning_rate=1e-4,
        resolution=resolution,
        batch_size=batch_size,
        # The target setting; GPUs without bf16 (pre-Ampere) fall back to fp16.
        mixed_precision="bf16" if torch.cuda.is_bf16_supported() else "fp16",
        gradient_checkpointing=gradient_checkpointing,
        checkpoint_every=0,
        trigger_word="benchbot",
    )


def bench_gpu(steps: int, gradient_checkpointing: bool) -> dict:
    import torch

    config = _gpu_config(steps, 512, 4, gradient_checkpointing)
    with tempfile.TemporaryDirectory() as tmp:
        model_dir = _save_sd15_random(Path(tmp) / "sd15")
        torch.cuda.reset_peak_memory_stats()
        run = _interleaved_cache_comparison(model_dir, config, "cuda", warmup=5)
    return {
        "mode": f"sd15-arch-cuda-{config.mixed_precision}",
        "gpu": torch.cuda.get_device_name(0),
        "resolution": 512,
        "rank": 16,
        "batch_size": 4,
        "gradient_checkpointing": gradient_checkpointing,
        "peak_memory_gib": torch.cuda.max_memory_allocated() / 2**30,
        **run,
    }


def bench_gpu_sdxl(steps: int, batch_size: int, gradient_checkpointing: bool) -> dict:
    """SDXL's architecture (random weights) at 1024², rank 16: frozen weights in bf16, LoRA
    in fp32, the same cached/uncached comparison as SD 1.5."""
    import torch

    from bench.gpu_bench import build_full_size

    config = _gpu_config(steps, 1024, batch_size, gradient_checkpointing)
    with tempfile.TemporaryDirectory() as tmp:
        model_dir = build_full_size("sdxl", Path(tmp))
        torch.cuda.reset_peak_memory_stats()
        run = _interleaved_cache_comparison(model_dir, config, "cuda", warmup=3, varied=True)
    return {
        "mode": f"sdxl-arch-cuda-{config.mixed_precision}",
        "gpu": torch.cuda.get_device_name(0),
        "resolution": 1024,
        "rank": 16,
        "batch_size": batch_size,
        "gradient_checkpointing": gradient_checkpointing,
        # Both runs of the comparison hold their own models: one run alone needs less.
        "peak_memory_gib": torch.cuda.max_memory_allocated() / 2**30,
        **run,
    }


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument(
        "--gpu", action="store_true", help="SD 1.5 (512²) and SDXL (1024²) architectures, CUDA"
    )
    parser.add_argument("--only", choices=["sd15", "sdxl"], help="(--gpu) bench one model")
    parser.add_argument(
        "--sdxl-steps", type=int, default=None, help="SDXL steps (default: tiny 3, --gpu 30)"
    )
    parser.add_argument("--sdxl-batch", type=int, default=4, help="(--gpu) SDXL batch size")
    parser.add_argument("--steps", type=int, default=None, help="optimizer steps (default 30/60)")
    parser.add_argument(
        "--gradient-checkpointing", action="store_true", help="(--gpu) trade compute for memory"
    )
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if args.gpu:
        import torch

        if not torch.cuda.is_available():
            sys.exit(
                "--gpu needs a CUDA device; none is visible (torch.cuda.is_available() is False)."
            )
        result = {}
        if args.only != "sdxl":
            result = bench_gpu(args.steps or 60, args.gradient_checkpointing)
            torch.cuda.empty_cache()
        if args.only != "sd15":
            sdxl_steps = args.sdxl_steps if args.sdxl_steps is not None else 30
            sdxl = bench_gpu_sdxl(sdxl_steps, args.sdxl_batch, args.gradient_checkpointing)
            result = {**result, "sdxl": sdxl} if result else sdxl
    else:
        sdxl_steps = args.sdxl_steps if args.sdxl_steps is not None else 3
        result = bench_tiny(args.steps or 30, sdxl_steps)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
