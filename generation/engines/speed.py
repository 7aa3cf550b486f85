"""Speed options for a warm diffusers pipeline, chosen per deployment.

Defaults are on where they cannot change an image: channels_last memory format and
`cudnn.benchmark` on CUDA (SDPA is diffusers' default attention since 0.20). The rest is
opt-in because each has a cost an operator should choose knowingly:

- `fuse_qkv`: one matmul for q, k and v. peft's LoRA layers sit on the separate projections, so a
  fused pipeline would silently ignore a brand LoRA; the engine unfuses before any adapter runs.
- `compile`: `torch.compile` of the UNet and the VAE decoder, warmed up at a fixed shape.
  Switching LoRA adapters under a compiled UNet costs a recompile per adapter layout, so
  `fuse_lora` merges the active adapter into the base weights instead: right for a worker that
  serves one brand (or few, long runs), wrong for one hot-swapping many brands per minute.
- VAE slicing (batches) and tiling (large sizes) trade a little speed for a bounded memory peak:
  N=8 at 1024 px fits a 24 GB card. Both are `auto` = on for CUDA, where memory is the limit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from generation.engines.base import EngineError

OPTIONS = ("channels_last", "cudnn_benchmark", "fuse_qkv", "compile", "fuse_lora")
CUDA_DEFAULTS = frozenset({"channels_last", "cudnn_benchmark"})
COMPILE_MODES = ("default", "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs")
VAE_MODES = ("auto", "on", "off")


@dataclass(frozen=True)
class SpeedOptions:
    enabled: frozenset[str] = field(default_factory=frozenset)
    compile_mode: str = "default"
    vae_memory: str = "auto"  # slicing for batches, tiling above the VAE's tile size

    @classmethod
    def parse(
        cls, spec: str | None, *, device: str, compile_mode: str = "default", vae_memory="auto"
    ) -> SpeedOptions:
        """'auto' (or empty) -> the safe defaults for `device`; else a comma list of OPTIONS."""
        text = (spec or "auto").strip().lower()
        if text == "auto":
            enabled = CUDA_DEFAULTS if device == "cuda" else frozenset()
        elif text == "none":
            enabled = frozenset()
        else:
            names = {p.strip() for p in text.split(",") if p.strip()}
            unknown = names - set(OPTIONS)
            if unknown:
                raise EngineError(
                    f"AVATARSAAS_SPEED: unknown option(s) {', '.join(sorted(unknown))}; "
                    f"accepted: auto, none or a list of {', '.join(OPTIONS)}.",
                    code="bad_config",
                )
            enabled = frozenset(names)
        if compile_mode not in COMPILE_MODES:
            raise EngineError(
                f"AVATARSAAS_COMPILE_MODE: {compile_mode!r}; accepted: {', '.join(COMPILE_MODES)}.",
                code="bad_config",
            )
        if vae_memory not in VAE_MODES:
            raise EngineError(
                f"AVATARSAAS_VAE_MEMORY: {vae_memory!r}; accepted: {', '.join(VAE_MODES)}.",
                code="bad_config",
            )
        if "compile" in enabled and "fuse_qkv" in enabled:
            # Unfusing before a LoRA swaps the attention processors under the compiled graph.
            raise EngineError(
                "AVATARSAAS_SPEED: compile and fuse_qkv together are not supported.",
                code="bad_config",
            )
        return cls(frozenset(enabled), compile_mode, vae_memory)

    def __contains__(self, name: str) -> bool:
        return name in self.enabled

    def describe(self) -> dict[str, Any]:
        return {
            "options": sorted(self.enabled),
            "compile_mode": self.compile_mode if "compile" in self.enabled else None,
            "vae_memory": self.vae_memory,
        }


def apply_static(pipe: Any, options: SpeedOptions, device: str) -> list[str]:
    """Apply the options that do not depend on a request; return what was applied."""
    import torch

    applied = []
    if "cudnn_benchmark" in options and device == "cuda":
        torch.backends.cudnn.benchmark = True
        applied.append("cudnn_benchmark")
    denoiser = getattr(pipe, "unet", None)
    if "channels_last" in options and denoiser is not None:
        denoiser.to(memory_format=torch.channels_last)
        pipe.vae.to(memory_format=torch.channels_last)
        applied.append("channels_last")
    if "fuse_qkv" in options and hasattr(pipe, "fuse_qkv_projections"):
        pipe.fuse_qkv_projections()
        applied.append("fuse_qkv")
    if "compile" in options:
        # The compiled modules replace the originals on the pipeline; `from_pipe` task pipelines
        # built afterwards share them. dynamic=False: avatar renders use a few fixed shapes,
        # each compiled once at warm-up or on first use.
        pipe.unet = torch.compile(pipe.unet, mode=options.compile_mode, dynamic=False)
        pipe.vae.decoder = torch.compile(pipe.vae.decoder, mode=options.compile_mode, dynamic=False)
        applied.append("compile")
    return applied


def configure_vae(pipe: Any, options: SpeedOptions, *, device: str, n: int, side: int) -> dict:
    """Slice the VAE decode for batches and tile it for large sizes, per request."""
    mode = options.vae_memory
    on = mode == "on" or (mode == "auto" and device == "cuda")
    vae = pipe.vae
    slicing = on and n > 1
    tile = int(getattr(vae.config, "sample_size", 0) or 0)
    tiling = on and bool(tile) and side > tile
    (vae.enable_slicing if slicing else vae.disable_slicing)()
    (vae.enable_tiling if tiling else vae.disable_tiling)()
    return {"vae_slicing": slicing, "vae_tiling": tiling}
