"""GPU benchmark through the product's own DiffusersEngine, on full-size random-weight models.

    python bench/gpu_bench.py --gpu        # SD 1.5 at 512 px and SDXL at 1024 px, CUDA fp16
    python bench/gpu_bench.py --dry-run    # the same code paths on the tiny models, on the CPU

Speed does not depend on the weights, so the full architectures with random weights (saved to a
temporary directory and loaded with `from_pretrained`, as a worker loads real ones) time the
same as trained checkpoints. One run reports, per model:

- UNet it/s at batch 1 and 4, fp16, eager vs compiled (`AVATARSAAS_SPEED=compile`), timed on
  50-step renders like fal's published SD 1.5 figures (31 it/s SDPA, 47 compiled, 55 stable-fast
  on an A100), from the denoising callbacks (first step excluded);
- the end-to-end job p50/p95 at 25 steps for N=1 and N=4, LoRA off and on (engine.generate:
  encode, denoise, decode, safety, PIL images);
- the few-step mode (an LCM-LoRA-shaped adapter, 4 steps);
- peak GPU memory.

Results go to bench/results/gpu_bench.json (or gpu_bench_dry_run.json) with the GPU's name.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "bench" / "results"


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def build_full_size(kind: str, directory: Path) -> Path:
    """SD 1.5 or SDXL architecture with random weights, in `save_pretrained` layout (fp16)."""
    import torch
    from diffusers import (
        AutoencoderKL,
        EulerDiscreteScheduler,
        StableDiffusionPipeline,
        StableDiffusionXLPipeline,
        UNet2DConditionModel,
    )
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection

    from generation.engines.tiny_models import build_tiny_sd

    torch.manual_seed(0)
    tokenizer_dir = build_tiny_sd(directory / "_tok") / "tokenizer"
    from transformers import CLIPTokenizer

    tokenizer = CLIPTokenizer.from_pretrained(tokenizer_dir)
    scheduler = EulerDiscreteScheduler(
        beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", steps_offset=1
    )
    vae = AutoencoderKL(
        block_out_channels=[128, 256, 512, 512],
        down_block_types=["DownEncoderBlock2D"] * 4,
        up_block_types=["UpDecoderBlock2D"] * 4,
        latent_channels=4,
        layers_per_block=2,
        sample_size=512 if kind == "sd15" else 1024,
    )
    if kind == "sd15":
        unet = UNet2DConditionModel(
            sample_size=64,
            cross_attention_dim=768,
            attention_head_dim=8,
            block_out_channels=(320, 640, 1280, 1280),
            layers_per_block=2,
            down_block_types=("CrossAttnDownBlock2D",) * 3 + ("DownBlock2D",),
            up_block_types=("UpBlock2D",) + ("CrossAttnUpBlock2D",) * 3,
        )
        text_encoder = CLIPTextModel(
            CLIPTextConfig(hidden_size=768, intermediate_size=3072, num_hidden_layers=12)
        )
        pipe = StableDiffusionPipeline(
            unet=unet,
            vae=vae,
            text_encoder=text_encoder,
            tokenizer=tokenizer,
            scheduler=scheduler,
            safety_checker=None,
            feature_extractor=None,
            requires_safety_checker=False,
        )
    else:
        unet = UNet2DConditionModel(
            sample_size=128,
            cross_attention_dim=2048,
            attention_head_dim=(5, 10, 20),
            block_out_channels=(320, 640, 1280),
            layers_per_block=2,
            transformer_layers_per_block=(1, 2, 10),
            down_block_types=("DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"),
            up_block_types=("CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"),
            addition_embed_type="text_time",
            addition_time_embed_dim=256,
            projection_class_embeddings_input_dim=2816,
            use_linear_projection=True,
        )
        text_encoder = CLIPTextModel(
            CLIPTextConfig(hidden_size=768, intermediate_size=3072, num_hidden_layers=12)
        )
        text_encoder_2 = CLIPTextModelWithProjection(
            CLIPTextConfig(
                hidden_size=1280,
                intermediate_size=5120,
                num_hidden_layers=32,
                num_attention_heads=20,
                projection_dim=1280,
                hidden_act="gelu",
            )
        )
        pipe = StableDiffusionXLPipeline(
            unet=unet,
            vae=vae,
            text_encoder=text_encoder,
            text_encoder_2=text_encoder_2,
            tokenizer=tokenizer,
            tokenizer_2=tokenizer,
            scheduler=scheduler,
        )
    out = directory / kind
    pipe.to(torch.float16).save_pretrained(out)
    return out


def build_lora(model_dir: Path, directory: Path, rank: int, seed: int) -> Path:
    """A random LoRA of `rank` on the attention projections (the shape of a brand LoRA)."""
    import torch
    from diffusers import DiffusionPipeline
    from peft import LoraConfig
    from peft.utils import get_peft_model_state_dict

    pipe = DiffusionPipeline.from_pretrained(str(model_dir), local_files_only=True)
    torch.manual_seed(seed)
    config = LoraConfig(
        r=rank,
        lora_alpha=rank,
        init_lora_weights="gaussian",
        target_modules=["to_q", "to_k", "to_v", "to_out.0"],
    )
    pipe.unet.add_adapter(config)
    layers = get_peft_model_state_dict(pipe.unet)
    type(pipe).save_lora_weights(directory, unet_lora_layers=layers, safe_serialization=True)
    return directory


def _engine(model_dir: Path, *, device: str, speed: str, fast_lora: Path | None = None):
    from generation.engines.diffusers_engine import DiffusersEngine
    from generation.engines.speed import SpeedOptions

    return DiffusersEngine(
        model_dir,
        device=device,
        speed=SpeedOptions.parse(speed, device=device),
        fast_kind="lcm_lora" if fast_lora else None,
        fast_lora=fast_lora,
    )


def _request(side: int, steps: int, seeds=(0,), adapter=None, fast: bool = False):
    from generation.engines.base import RenderRequest

    return RenderRequest(
        prompt="a friendly robot barista mascot, flat vector style, brand colours",
        negative_prompt="blurry",
        seeds=tuple(seeds),
        width=side,
        height=side,
        steps=steps,
        guidance_scale=7.0,
        scheduler="dpmpp_2m_karras",
        adapter=adapter,
        fast=fast,
    )


def _sync(device: str) -> None:
    if device == "cuda":
        import torch

        torch.cuda.synchronize()


def unet_its(engine, side: int, steps: int, n: int, repeats: int, device: str) -> float:
    """Denoising iterations per second, from step-callback timestamps (first step excluded)."""
    rates = []
    for _ in range(repeats):
        stamps: list[float] = []

        def progress(step: int, total: int, stamps=stamps) -> None:
            _sync(device)
            stamps.append(time.perf_counter())

        engine.generate(_request(side, steps, seeds=range(n)), progress=progress)
        if len(stamps) > 2:
            rates.append((len(stamps) - 1) / (stamps[-1] - stamps[0]))
    return statistics.median(rates)


def job_times(engine, side: int, steps: int, n: int, repeats: int, device: str, adapter=None):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        engine.generate(_request(side, steps, seeds=range(n), adapter=adapter))
        _sync(device)
        times.append(time.perf_counter() - start)
    return {"p50": statistics.median(times), "p95": _percentile(times, 0.95)}


def bench_model(
    model_dir: Path,
    lora: Path,
    fast_lora: Path,
    *,
    side: int,
    device: str,
    repeats: int,
    fal_steps: int,
    job_steps: int,
    compile_too: bool,
) -> dict:
    import torch

    from generation.engines.base import AdapterRef

    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    result: dict = {"side": side, "its": {}, "jobs": {}}
    variants = ["eager"] + (["compiled"] if compile_too else [])
    for variant in variants:
        speed = "auto" if variant == "eager" else "channels_last,cudnn_benchmark,compile"
        engine = _engine(model_dir, device=device, speed=speed, fast_lora=fast_lora)
        start = time.perf_counter()
        engine.warm_up()
        result.setdefault("warm_up_seconds", {})[variant] = time.perf_counter() - start
        engine.generate(_request(side, 2, seeds=range(4)))  # compile/autotune batch 4 too
        for n in (1, 4):
            result["its"][f"{variant}_batch{n}"] = unet_its(
                engine, side, fal_steps, n, repeats, device
            )
        if variant == "eager":
            brand = AdapterRef("bench-brand", str(lora), strength=0.8)
            engine.generate(_request(side, 2, adapter=brand))
            for n in (1, 4):
                result["jobs"][f"n{n}_lora_off"] = job_times(
                    engine, side, job_steps, n, repeats, device
                )
                result["jobs"][f"n{n}_lora_on"] = job_times(
                    engine, side, job_steps, n, repeats, device, adapter=brand
                )
            fast = []
            for _ in range(repeats):
                begin = time.perf_counter()
                engine.generate(_request(side, job_steps, adapter=brand, fast=True))
                _sync(device)
                fast.append(time.perf_counter() - begin)
            result["jobs"]["fast_4_steps_lora_on"] = {
                "p50": statistics.median(fast),
                "p95": _percentile(fast, 0.95),
            }
        del engine
    if device == "cuda":
        result["peak_memory_gib"] = torch.cuda.max_memory_allocated() / 2**30
    return result


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--gpu", action="store_true", help="full-size models on CUDA, fp16")
    mode.add_argument("--dry-run", action="store_true", help="tiny models on the CPU (CI)")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--no-compile", action="store_true", help="skip the compiled variant")
    parser.add_argument("--only", choices=["sd15", "sdxl"], help="bench one model")
    parser.add_argument("--out", type=Path, help="results file (default bench/results/...)")
    args = parser.parse_args(argv)

    import torch

    if args.gpu and not torch.cuda.is_available():
        sys.exit("--gpu needs a CUDA device; none is visible (torch.cuda.is_available() is False).")
    device = "cuda" if args.gpu else "cpu"
    report: dict = {
        "mode": "gpu-fp16" if args.gpu else "dry-run-tiny-cpu",
        "device": torch.cuda.get_device_name(0) if args.gpu else "cpu",
        "fal_a100_sd15_its_reference": {"sdpa": 31, "compiled": 47, "stable_fast": 55},
        "models": {},
    }
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for kind in ("sd15", "sdxl"):
            if args.only and kind != args.only:
                continue
            if args.gpu:
                model_dir = build_full_size(kind, root)
                side, fal_steps, job_steps, rank = (512 if kind == "sd15" else 1024), 50, 25, 16
            else:
                from generation.engines.tiny_models import build_tiny_sd
                from generation.engines.tiny_sdxl import build_tiny_sdxl

                builder = build_tiny_sd if kind == "sd15" else build_tiny_sdxl
                model_dir = builder(root / kind)
                side, fal_steps, job_steps, rank = 64, 6, 4, 4
            lora = build_lora(model_dir, root / f"{kind}-brand", rank, seed=1)
            fast_lora = build_lora(model_dir, root / f"{kind}-lcm", 64 if args.gpu else 4, 2)
            report["models"][kind] = bench_model(
                model_dir,
                lora,
                fast_lora,
                side=side,
                device=device,
                repeats=args.repeats if args.gpu else 2,
                fal_steps=fal_steps,
                job_steps=job_steps,
                compile_too=args.gpu and not args.no_compile,
            )
    out = args.out or RESULTS / ("gpu_bench.json" if args.gpu else "gpu_bench_dry_run.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    return report


if __name__ == "__main__":
    main()
