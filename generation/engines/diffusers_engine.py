"""Stable Diffusion (1.x and XL) from a local diffusers directory, with hot-swapped LoRAs.

One engine instance owns one warm pipeline; a GPU worker process keeps one instance alive for
its whole life. torch/diffusers are imported lazily so importing this module is cheap.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from generation.engines.base import (
    AdapterRef,
    Candidate,
    EngineError,
    ModelNotConfigured,
    ProgressCallback,
    RenderRequest,
)
from generation.engines.diffusers_requests import SCHEDULERS, check_prompt, validate_request
from generation.engines.few_step import FAST_ADAPTER, FewStepPlan, plan_for
from generation.engines.loading import (
    assert_dtypes,
    dtype_kwargs,
    model_hash,
    pick_device,
    pipeline_class_name,
    resolve_model_path,
)
from generation.engines.masks import composite
from generation.engines.pipelines import PipelineSet, control_types, task_kwargs, task_metadata
from generation.engines.prompt_encoding import prompt_kwargs
from generation.engines.speed import SpeedOptions, apply_static, configure_vae

if TYPE_CHECKING:
    from PIL import Image

PIPELINE_CLASSES = {
    "StableDiffusionPipeline": "StableDiffusionPipeline",
    "StableDiffusionXLPipeline": "StableDiffusionXLPipeline",
    # Dedicated inpainting models (AVATARSAAS_INPAINT_MODEL), used for region edits only.
    "StableDiffusionInpaintPipeline": "StableDiffusionInpaintPipeline",
    "StableDiffusionXLInpaintPipeline": "StableDiffusionXLInpaintPipeline",
}


def library_versions() -> dict[str, str]:
    import diffusers
    import peft
    import torch
    import transformers

    return {
        "torch": torch.__version__,
        "diffusers": diffusers.__version__,
        "peft": peft.__version__,
        "transformers": transformers.__version__,
    }


def _adapter_name(version_id: str) -> str:
    # peft keeps adapters in ModuleDicts, whose keys may not contain "."; keep readable ids as
    # they are and disambiguate rewritten ones with a short hash.
    safe = re.sub(r"[^0-9A-Za-z_-]", "_", version_id)
    if safe != version_id:
        safe = f"{safe}_{hashlib.sha256(version_id.encode()).hexdigest()[:8]}"
    return safe


class DiffusersEngine:
    """Stable Diffusion engine over a local `save_pretrained` directory.

    The pipeline loads on first use (or `load()`) and stays warm. All candidates of a request
    render in one batched call, one CPU `torch.Generator` per seed, so a candidate's pixels
    depend only on its seed and the other render settings (see `batch_seeds` in metadata).
    LoRA adapters are loaded once and kept in an LRU of `lora_cache_size`; `adapter_loads`
    counts disk loads.
    """

    name = "diffusers"

    def __init__(
        self,
        model_dir: str | Path | None,
        device: str = "auto",
        lora_cache_size: int = 8,
        safety_checker_dir: str | Path | None = None,
        controlnet_dirs: dict[str, str] | None = None,
        inpaint_model_dir: str | Path | None = None,
        speed: SpeedOptions | None = None,
        fast_kind: str | None = None,
        fast_lora: str | Path | None = None,
        vae_dir: str | Path | None = None,
    ):
        self.model_dir = resolve_model_path(
            model_dir, what="Stable Diffusion model", setting="AVATARSAAS_SD_MODEL"
        )
        if not (self.model_dir / "model_index.json").is_file():
            raise ModelNotConfigured(
                f"{self.model_dir} is not a diffusers pipeline directory (no model_index.json)."
            )
        self.safety_checker_dir = (
            resolve_model_path(
                safety_checker_dir, what="safety checker", setting="AVATARSAAS_SAFETY_CHECKER"
            )
            if safety_checker_dir
            else None
        )
        self.device, self.dtype = pick_device(device)
        self.speed = speed or SpeedOptions.parse("auto", device=self.device)
        self.fast_kind = fast_kind or None
        if self.fast_kind is not None:
            plan_for(self.fast_kind)  # KeyError on an unknown kind is a configuration bug
        self.fast_lora = (
            resolve_model_path(fast_lora, what="LCM-LoRA", setting="AVATARSAAS_FAST_LORA")
            if self.fast_kind == "lcm_lora"
            else None
        )
        self.vae_dir = (
            resolve_model_path(vae_dir, what="VAE", setting="AVATARSAAS_VAE_MODEL")
            if vae_dir
            else None
        )
        self.speed_applied: list[str] = []
        self.loaded_dtypes: dict[str, str] = {}
        self.warm = False
        self._fused: str | None = None  # adapter name merged into the base weights
        self.lora_cache_size = max(1, int(lora_cache_size))
        self.adapter_loads = 0
        self._adapters: OrderedDict[str, str] = OrderedDict()  # version_id -> adapter name
        self._lora_enabled = True
        self._pipe: Any = None
        self._fast_loaded = False
        self.controlnet_dirs = dict(controlnet_dirs or {})
        self._pipelines: PipelineSet | None = None
        self.inpaint_model_dir = (
            resolve_model_path(
                inpaint_model_dir, what="inpainting model", setting="AVATARSAAS_INPAINT_MODEL"
            )
            if inpaint_model_dir
            else None
        )
        self._inpainter: DiffusersEngine | None = None
        self._scheduler_config: Any = None
        self._safety: tuple[Any, Any] | None = None
        self._model_hash: str | None = None
        # One job at a time per pipeline: adapters and scheduler are pipeline-wide state.
        self._lock = threading.RLock()

    # -- loading -----------------------------------------------------------------------------

    @property
    def pipeline_class(self) -> str:
        cls = pipeline_class_name(self.model_dir)
        if cls not in PIPELINE_CLASSES:
            raise ModelNotConfigured(
                f"{self.model_dir} holds a {cls or 'unknown'} pipeline; "
                f"supported: {', '.join(PIPELINE_CLASSES)}."
            )
        return PIPELINE_CLASSES[cls]

    @property
    def model_hash(self) -> str:
        if self._model_hash is None:
            self._model_hash = model_hash(self.model_dir)
        return self._model_hash

    def load(self) -> Any:
        """Load the pipeline (once) and return it."""
        with self._lock:
            if self._pipe is None:
                self._pipe = self._load_pipeline()
                self._scheduler_config = self._pipe.scheduler.config
                self._pipelines = PipelineSet(
                    self._pipe,
                    device=self.device,
                    dtype=self.dtype,
                    controlnet_dirs=self.controlnet_dirs,
                )
                if self.safety_checker_dir:
                    self._safety = self._load_safety_checker()
            return self._pipe

    def _load_pipeline(self) -> Any:
        import diffusers

        cls = getattr(diffusers, self.pipeline_class)
        kwargs: dict[str, Any] = {**dtype_kwargs(self.dtype), "local_files_only": True}
        if self.vae_dir is not None:
            # An fp16-safe VAE (e.g. SDXL's fp16-fix) replaces the model's own: the stock SDXL
            # VAE overflows to NaN (black images) in fp16.
            from diffusers import AutoencoderKL

            try:
                kwargs["vae"] = AutoencoderKL.from_pretrained(
                    str(self.vae_dir), local_files_only=True, **dtype_kwargs(self.dtype)
                )
            except (OSError, ValueError) as exc:
                raise ModelNotConfigured(f"Could not load the VAE {self.vae_dir}: {exc}") from exc
        if cls.__name__ in ("StableDiffusionPipeline", "StableDiffusionInpaintPipeline"):
            # The safety checker, when configured, runs in _flag_unsafe for both SD and SDXL.
            kwargs.update(safety_checker=None, feature_extractor=None)
            kwargs["requires_safety_checker"] = False
        try:
            pipe = cls.from_pretrained(str(self.model_dir), **kwargs)
        except (OSError, ValueError) as exc:
            raise ModelNotConfigured(f"Could not load {self.model_dir}: {exc}") from exc
        pipe = pipe.to(self.device)
        # What actually loaded, not what was asked: an old diffusers ignoring the dtype keyword
        # would otherwise serve fp32 at half speed with no sign of it.
        self.loaded_dtypes = assert_dtypes(pipe, self.dtype)
        # diffusers >= 0.20 already uses torch SDPA (AttnProcessor2_0) by default; no xformers.
        pipe.set_progress_bar_config(disable=True)
        self.speed_applied = apply_static(pipe, self.speed, self.device)
        return pipe

    def _load_safety_checker(self) -> tuple[Any, Any]:
        from diffusers.pipelines.stable_diffusion.safety_checker import (
            StableDiffusionSafetyChecker,
        )
        from transformers import CLIPImageProcessor

        path = str(self.safety_checker_dir)
        checker = StableDiffusionSafetyChecker.from_pretrained(path, local_files_only=True)
        processor = CLIPImageProcessor.from_pretrained(path, local_files_only=True)
        return checker.to(self.device, self.dtype).eval(), processor

    # -- per-job state -----------------------------------------------------------------------

    def _make_scheduler(self, name: str) -> Any:
        import diffusers

        cls_name, extra = SCHEDULERS[name]
        # Always start from the model's original config: building from the *current* scheduler
        # would carry one sampler's options (e.g. karras sigmas) into the next.
        return getattr(diffusers, cls_name).from_config(self._scheduler_config, **extra)

    def _ensure_adapter(self, pipe: Any, adapter: AdapterRef) -> str:
        if adapter.version_id in self._adapters:
            self._adapters.move_to_end(adapter.version_id)
            return self._adapters[adapter.version_id]
        path = Path(adapter.path)
        if not path.exists():
            raise EngineError(
                f"adapter: weights for {adapter.version_id} not found at {path}.",
                code="adapter_missing",
            )
        while len(self._adapters) >= self.lora_cache_size:
            _, evicted = self._adapters.popitem(last=False)
            pipe.delete_adapters(evicted)
        name = _adapter_name(adapter.version_id)
        kwargs: dict[str, Any] = {"adapter_name": name}
        if path.is_file():
            kwargs["weight_name"] = path.name
            path = path.parent
        try:
            pipe.load_lora_weights(str(path), **kwargs)
        except (OSError, ValueError, KeyError, RuntimeError) as exc:
            if name in pipe.get_list_adapters().get("unet", []):
                pipe.delete_adapters(name)
            raise EngineError(
                f"adapter: could not load {adapter.version_id}: {exc}", code="adapter_invalid"
            ) from exc
        self.adapter_loads += 1
        self._adapters[adapter.version_id] = name
        return name

    def _ensure_fast_adapter(self, pipe: Any) -> None:
        if self._fast_loaded:
            return
        assert self.fast_lora is not None
        path, kwargs = self.fast_lora, {"adapter_name": FAST_ADAPTER}
        if path.is_file():
            kwargs["weight_name"] = path.name
            path = path.parent
        try:
            pipe.load_lora_weights(str(path), **kwargs)
        except (OSError, ValueError, KeyError, RuntimeError) as exc:
            raise EngineError(
                f"fast mode: could not load the LCM-LoRA at {self.fast_lora}: {exc}",
                code="model_not_configured",
            ) from exc
        self._fast_loaded = True

    def _apply_adapter(
        self, pipe: Any, adapter: AdapterRef | None, *, fast: bool = False
    ) -> list[dict[str, Any]]:
        """Activate the brand adapter (and the LCM-LoRA in fast mode); return what is active."""
        wanted: list[tuple[str, float]] = []
        if adapter is not None:
            wanted.append((_adapter_name(adapter.version_id), float(adapter.strength)))
        if fast and self.fast_kind == "lcm_lora":
            wanted.append((FAST_ADAPTER, 1.0))
        fusing = "fuse_lora" in self.speed
        if fusing and self._fused is not None and self._fused != wanted:
            # Unmerge before anything is loaded or evicted: peft restores the base weights.
            pipe.unfuse_lora()
            self._fused = None
        if adapter is not None:
            self._ensure_adapter(pipe, adapter)
        if fast and self.fast_kind == "lcm_lora":
            self._ensure_fast_adapter(pipe)
        if wanted and "fuse_qkv" in self.speed_applied:
            # LoRA layers wrap the separate q/k/v projections; a fused projection skips them.
            pipe.unfuse_qkv_projections()
            self.speed_applied.remove("fuse_qkv")
        names, weights = [n for n, _ in wanted], [w for _, w in wanted]
        if not wanted:
            # Disabled peft layers run only the base layer, so the output is bit-identical to
            # a pipeline that never saw a LoRA (tested in test_lora_hot_swap).
            if (self._adapters or self._fast_loaded) and self._lora_enabled:
                pipe.disable_lora()
                self._lora_enabled = False
        elif not fusing or self._fused != wanted:
            if not self._lora_enabled:
                pipe.enable_lora()
                self._lora_enabled = True
            pipe.set_adapters(names, adapter_weights=weights)
            if fusing:
                # Merged into the base weights, a compiled UNet runs plain layers; peft's
                # merged layers skip the adapter branch, so nothing is added twice. Switching
                # brands costs an unmerge and a merge, paid once by a single-brand worker.
                pipe.fuse_lora(adapter_names=names, lora_scale=1.0)
                self._fused = wanted
        return [{"name": n, "weight": w} for n, w in wanted]

    @property
    def pipelines(self) -> PipelineSet:
        """The base pipeline and the ControlNet/img2img/inpaint pipelines derived from it."""
        self.load()
        assert self._pipelines is not None
        return self._pipelines

    @property
    def inpainter(self) -> DiffusersEngine:
        """The engine of the dedicated inpainting model (its own warm pipeline and adapters)."""
        with self._lock:
            if self._inpainter is None:
                self._inpainter = DiffusersEngine(
                    self.inpaint_model_dir,
                    device=self.device,
                    lora_cache_size=self.lora_cache_size,
                    safety_checker_dir=self.safety_checker_dir,
                    controlnet_dirs=self.controlnet_dirs,
                )
            return self._inpainter

    @property
    def cached_adapters(self) -> list[str]:
        """Version ids of the adapters held in memory, least recently used first."""
        return list(self._adapters)

    # -- generation --------------------------------------------------------------------------

    def plan(self, request: RenderRequest) -> FewStepPlan:
        """Sampler, steps and guidance this request renders with."""
        if not request.fast:
            return FewStepPlan(request.scheduler, request.steps, request.guidance_scale)
        if self.fast_kind is None:
            raise EngineError(
                "speed: fast mode is not configured on this server (AVATARSAAS_FAST_MODE).",
                code="fast_not_configured",
            )
        return plan_for(self.fast_kind)

    def generate(
        self, request: RenderRequest, progress: ProgressCallback | None = None
    ) -> list[Candidate]:
        """Render one candidate per seed, batched; a batch that runs out of GPU memory is split."""
        validate_request(request)
        check_prompt(request.prompt)
        if request.mode == "inpaint" and self.inpaint_model_dir is not None:
            return self.inpainter.generate(request, progress)
        self.load()
        pipelines = self.pipelines
        plan = self.plan(request)
        with self._lock:
            active = self._apply_adapter(pipelines.base, request.adapter, fast=request.fast)
            task_pipe = pipelines.pipeline(request.mode, control_types(request))
            task_pipe.scheduler = self._make_scheduler(plan.scheduler)
            # Over 77 tokens the text is encoded in chunks rather than truncated.
            text = prompt_kwargs(task_pipe, request.prompt, request.negative_prompt)
            vae = configure_vae(
                task_pipe,
                self.speed,
                device=self.device,
                n=request.n,
                side=max(request.width, request.height),
            )
            batches = self._render_split(task_pipe, request, plan, text, request.seeds, progress)
            images = [im for _, ims, _ in batches for im in ims]
            if request.mode == "inpaint":
                # Outside the feathered mask every pixel is the parent's own.
                images = [composite(im, request.init_image, request.mask_image) for im in images]
            flagged = self._flag_unsafe(images)
        extra = {"plan": plan, "active_adapters": active, "vae": vae}
        return self._candidates(request, images, flagged, batches, extra)

    def _render_split(
        self,
        task_pipe: Any,
        request: RenderRequest,
        plan: FewStepPlan,
        text: dict[str, Any],
        seeds: tuple[int, ...],
        progress: ProgressCallback | None,
    ) -> list[tuple[tuple[int, ...], list[Image.Image], Any]]:
        """[(seeds, images, latents)] per batch actually rendered.

        CUDA out-of-memory halves the batch and tries again (each half keeps its seeds, so the
        pictures are the ones asked for); one seed that still does not fit is `out_of_memory`.
        """
        import torch

        try:
            images, latents = self._render_batch(task_pipe, request, plan, text, seeds, progress)
            return [(seeds, images, latents)]
        except torch.OutOfMemoryError as exc:
            if torch.cuda.is_available():
                torch.cuda.empty_cache()
            if len(seeds) == 1:
                raise EngineError(
                    f"Out of GPU memory rendering one {request.width}x{request.height} image; "
                    "try a smaller size.",
                    code="out_of_memory",
                ) from exc
        half = (len(seeds) + 1) // 2
        return self._render_split(
            task_pipe, request, plan, text, seeds[:half], progress
        ) + self._render_split(task_pipe, request, plan, text, seeds[half:], progress)

    def _render_batch(
        self,
        task_pipe: Any,
        request: RenderRequest,
        plan: FewStepPlan,
        text: dict[str, Any],
        seeds: tuple[int, ...],
        progress: ProgressCallback | None,
    ) -> tuple[list[Image.Image], Any]:
        import torch

        final: dict[str, Any] = {}

        def on_step_end(pipe: Any, step: int, _t: Any, kwargs: dict) -> dict:
            final["latents"] = kwargs.get("latents")
            if progress is not None:
                # img2img runs only strength x steps of the schedule.
                progress(step + 1, getattr(pipe, "num_timesteps", None) or plan.steps)
            return kwargs

        # CPU generators: the initial noise is the same on every device, and one generator
        # per seed makes each candidate's noise independent of its batch neighbours.
        generators = [torch.Generator("cpu").manual_seed(s) for s in seeds]
        with torch.inference_mode():
            out = self._call_pipeline(
                task_pipe,
                **text,
                num_images_per_prompt=len(seeds),
                num_inference_steps=plan.steps,
                guidance_scale=plan.guidance_scale,
                generator=generators,
                callback_on_step_end=on_step_end,
                **task_kwargs(request),
            )
        return list(out.images), final.get("latents")

    @staticmethod
    def _call_pipeline(task_pipe: Any, **kwargs: Any) -> Any:
        # One seam for the pipeline call, so tests can inject a CUDA out-of-memory error.
        return task_pipe(**kwargs)

    def warm_up(self) -> None:
        """Load the pipeline and run one denoising step, so the first job pays neither.

        With `compile`, this also compiles the UNet and VAE decoder at the model's native size.
        """
        with self._lock:
            if self.warm:
                return
            pipe = self.load()
            side = native_side(pipe)
            request = RenderRequest(
                prompt="warm-up", seeds=(0,), width=side, height=side, steps=1, scheduler="ddim"
            )
            self.generate(request)
            self.warm = True

    def _flag_unsafe(self, images: list[Image.Image]) -> list[bool]:
        if self._safety is None:
            return [False] * len(images)
        import numpy as np
        import torch

        checker, processor = self._safety
        pixels = processor(images, return_tensors="pt").pixel_values.to(self.device, self.dtype)
        arrays = np.stack([np.asarray(im, dtype=np.float32) / 255.0 for im in images])
        with torch.inference_mode():
            _, has_nsfw = checker(clip_input=pixels, images=arrays)
        return [bool(f) for f in has_nsfw]

    def _candidates(
        self,
        request: RenderRequest,
        images: list[Image.Image],
        flagged: list[bool],
        batches: list[tuple[tuple[int, ...], list[Image.Image], Any]],
        extra: dict[str, Any],
    ) -> list[Candidate]:
        base = self._render_metadata(request, extra)
        keep = request.mode != "inpaint"
        # Where each seed was rendered: its batch (for an exact replay) and its latents.
        where = [
            (batch_seeds, latents, i)
            for batch_seeds, _, latents in batches
            for i in range(len(batch_seeds))
        ]
        candidates = []
        for i, (seed, image, bad) in enumerate(zip(request.seeds, images, flagged, strict=True)):
            if bad:
                continue
            batch_seeds, latents, j = where[i]
            candidates.append(
                Candidate(
                    index=i,
                    seed=seed,
                    image=image,
                    metadata={
                        **base,
                        "seed": seed,
                        "batch_index": j,
                        "batch_seeds": list(batch_seeds),
                    },
                    latents=(
                        latents[j : j + 1].detach().cpu().numpy()
                        if keep and latents is not None
                        else None
                    ),
                )
            )
        if not candidates:
            raise EngineError(
                f"All {request.n} candidates were flagged by the safety checker.",
                code="output_blocked",
            )
        return candidates

    def _render_metadata(self, request: RenderRequest, extra: dict[str, Any]) -> dict[str, Any]:
        adapter = request.adapter
        plan: FewStepPlan = extra["plan"]
        return {
            "engine": self.name,
            "model_hash": self.model_hash,
            "pipeline": self.pipeline_class,
            "scheduler": plan.scheduler,
            "steps": plan.steps,
            "guidance_scale": plan.guidance_scale,
            "fast": request.fast,
            "fast_kind": self.fast_kind if request.fast else None,
            "active_adapters": extra["active_adapters"],
            "width": request.width,
            "height": request.height,
            "prompt": request.prompt,
            "negative_prompt": request.negative_prompt,
            "adapter": (
                {"version_id": adapter.version_id, "strength": adapter.strength}
                if adapter
                else None
            ),
            **task_metadata(request, self.pipelines),
            # Conv/attention kernels round differently per batch size (even on CPU a candidate
            # can differ from a solo render of its seed by 1/255 in a few pixels), so an exact
            # re-render replays the whole batch: see diffusers_requests.request_from_metadata.
            "batch_seeds": list(request.seeds),
            "device": self.device,
            # The dtype that ran, read off the loaded modules (see loading.assert_dtypes).
            "dtype": self.loaded_dtypes.get("unet", str(self.dtype).removeprefix("torch.")),
            "module_dtypes": self.loaded_dtypes,
            "speed": {**self.speed.describe(), "applied": list(self.speed_applied), **extra["vae"]},
            "safety_checked": self._safety is not None,
            "versions": library_versions(),
        }

    def describe(self) -> dict[str, Any]:
        return {
            "engine": self.name,
            "model_hash": self.model_hash,
            "model_dir": str(self.model_dir),
            "pipeline": self.pipeline_class,
            "device": self.device,
            "dtype": str(self.dtype).removeprefix("torch."),
            "module_dtypes": self.loaded_dtypes,
            "speed": {**self.speed.describe(), "applied": list(self.speed_applied)},
            "fast_kind": self.fast_kind,
            "warm": self.warm,
            "safety_checker": str(self.safety_checker_dir) if self.safety_checker_dir else None,
            "versions": library_versions(),
        }


def native_side(pipe: Any) -> int:
    """The square size the model was trained at: 512 for SD 1.x, 1024 for SDXL."""
    return int(pipe.unet.config.sample_size) * int(pipe.vae_scale_factor)
