"""Does a LoRA made elsewhere fit the configured base model? Keys and shapes, module by module.

Pure ML code (no rows, no storage): `generation.training.import_runner` calls it on the worker.
Kohya/A1111 and older diffusers names go through diffusers' own conversions
(`lora_state_dict`, which reads kohya files the way `load_lora_weights` will, then
`convert_unet_state_dict_to_peft` / `convert_state_dict_to_peft`), so what is checked is exactly
what the engine will attach. The base model is built from its configs on the meta device: its
module shapes, without reading a byte of its weights.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from generation.engines.base import EngineError

KOHYA_PREFIXES = ("lora_unet_", "lora_te_", "lora_te1_", "lora_te2_")
PARTS = ("unet", "text_encoder")
SHOWN = 5  # names quoted in an error before "and N more"


class LoraImportError(EngineError):
    """A file that cannot be imported; `code` says why (unknown_modules, wrong_base, ...)."""


@dataclass
class ImportReport:
    format: str  # kohya | diffusers
    ranks: list[int]
    alphas: list[float]
    modules: dict[str, int]  # LoRA'd modules per part (unet, text_encoder)
    tensors: int
    trigger_word: str = ""
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _listed(names: list[str]) -> str:
    shown = ", ".join(sorted(names)[:SHOWN])
    return shown + (f" and {len(names) - SHOWN} more" if len(names) > SHOWN else "")


def file_format(keys) -> str:
    return "kohya" if any(k.startswith(KOHYA_PREFIXES) for k in keys) else "diffusers"


def base_modules(model_dir: str | Path) -> dict[str, dict[str, Any]]:
    """{"unet": {name: module}, "text_encoder": {...}}: the LoRA-able layers (Linear, Conv2d)
    of the pipeline at `model_dir`, built on the meta device (shapes only, no weights read)."""
    import torch
    from accelerate import init_empty_weights
    from diffusers import UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    model_dir = Path(model_dir)
    with init_empty_weights():
        unet = UNet2DConditionModel.from_config(
            UNet2DConditionModel.load_config(model_dir / "unet")
        )
        text = CLIPTextModel(CLIPTextConfig.from_pretrained(model_dir / "text_encoder"))
    kinds = (torch.nn.Linear, torch.nn.Conv2d)
    return {
        part: {name: m for name, m in model.named_modules() if isinstance(m, kinds)}
        for part, model in (("unet", unet), ("text_encoder", text))
    }


def _to_peft(tensors: dict[str, Any]) -> tuple[dict[str, dict[str, Any]], dict[str, float]]:
    """({"unet": {peft key: tensor}, "text_encoder": {...}}, network alphas by module)."""
    from diffusers import StableDiffusionPipeline
    from diffusers.utils.state_dict_utils import (
        convert_state_dict_to_peft,
        convert_unet_state_dict_to_peft,
    )

    try:
        state, alphas = StableDiffusionPipeline.lora_state_dict(dict(tensors))
    except (ValueError, KeyError, RuntimeError) as exc:
        raise LoraImportError(f"not a LoRA diffusers can read: {exc}", code="unsupported") from exc
    unknown = sorted({k.split(".", 1)[0] for k in state if k.split(".", 1)[0] not in PARTS})
    if unknown:
        raise LoraImportError(
            f"unknown modules: the file has weights for {_listed(unknown)}; only the UNet and "
            "the text encoder can carry a LoRA",
            code="unknown_modules",
        )
    parts: dict[str, dict[str, Any]] = {}
    for part in PARTS:
        own = {k[len(part) + 1 :]: v for k, v in state.items() if k.startswith(f"{part}.")}
        if not own:
            continue
        try:
            if part == "unet":
                parts[part] = convert_unet_state_dict_to_peft(own)
            else:
                parts[part] = convert_state_dict_to_peft(own)
        except (ValueError, KeyError) as exc:
            raise LoraImportError(
                f"unsupported {part} LoRA keys: {exc}", code="unsupported"
            ) from exc
    return parts, {k: float(v) for k, v in (alphas or {}).items()}


def _pairs(part: str, peft: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """{module: (lora_A, lora_B)}; any other key is refused by name."""
    downs, ups, other = {}, {}, []
    for key, value in peft.items():
        if key.endswith(".lora_A.weight"):
            downs[key.removesuffix(".lora_A.weight")] = value
        elif key.endswith(".lora_B.weight"):
            ups[key.removesuffix(".lora_B.weight")] = value
        else:
            other.append(f"{part}.{key}")
    if other:
        raise LoraImportError(
            f"unknown modules: {_listed(other)} are not LoRA down/up weights (LoHa, LoKr and "
            "DoRA files are not supported)",
            code="unknown_modules",
        )
    half = sorted(set(downs) ^ set(ups))
    if half:
        raise LoraImportError(
            f"incomplete LoRA: {_listed([f'{part}.{m}' for m in half])} lack a down or up matrix",
            code="incomplete",
        )
    return {m: (downs[m], ups[m]) for m in downs}


def _shape_problem(name: str, module: Any, down: Any, up: Any) -> str | None:
    import torch

    if isinstance(module, torch.nn.Linear):
        n_in, n_out, dims = module.in_features, module.out_features, 2
    else:
        n_in, n_out, dims = module.in_channels, module.out_channels, 4
    if down.dim() != dims or up.dim() != dims:
        kind = "a linear" if dims == 2 else "a convolution"
        return f"layer {name} is {kind} layer; the file's matrices have {down.dim()} dimensions"
    if down.shape[1] != n_in:
        return f"layer {name} expects {n_in} input features, file has {down.shape[1]}"
    if up.shape[0] != n_out:
        return f"layer {name} expects {n_out} output features, file has {up.shape[0]}"
    if up.shape[1] != down.shape[0]:
        return f"layer {name}: down rank {down.shape[0]} does not match up rank {up.shape[1]}"
    return None


def inspect_lora(path: str | Path, model_dir: str | Path) -> ImportReport:
    """Check the LoRA safetensors at `path` against the pipeline at `model_dir`.

    Raises LoraImportError naming the first problem: weights for modules the base model does
    not have ("unknown modules"), or shapes of another base model ("trained for a different
    base model: layer X expects 320 input features, file has 768").
    """
    from safetensors import SafetensorError, safe_open
    from safetensors.torch import load_file

    try:
        tensors = load_file(str(path))  # safetensors: never unpickles
        with safe_open(str(path), framework="pt") as f:
            metadata = dict(f.metadata() or {})
    except (SafetensorError, OSError) as exc:
        raise LoraImportError(f"not a safetensors file: {exc}", code="not_safetensors") from exc
    if not tensors:
        raise LoraImportError("the file holds no tensors", code="empty")
    fmt = file_format(tensors)
    if fmt == "kohya":
        _check_kohya_names(tensors)
    parts, network_alphas = _to_peft(tensors)
    if not parts:
        raise LoraImportError("the file holds no UNet or text-encoder LoRA weights", code="empty")
    modules = base_modules(model_dir)
    ranks, counts, unknown, wrong = set(), {}, [], []
    for part, peft in parts.items():
        pairs = _pairs(part, peft)
        counts[part] = len(pairs)
        for name, (down, up) in pairs.items():
            module = _base_module(modules, part, name)
            if module is None:
                unknown.append(f"{part}.{name}")
                continue
            problem = _shape_problem(f"{part}.{name}", module, down, up)
            if problem:
                wrong.append(problem)
            ranks.add(int(down.shape[0]))
    if unknown:
        raise LoraImportError(
            f"unknown modules: the base model has no {_listed(unknown)}", code="unknown_modules"
        )
    if wrong:
        more = f" ({len(wrong)} layers in all)" if len(wrong) > 1 else ""
        raise LoraImportError(
            f"trained for a different base model: {wrong[0]}{more}", code="wrong_base"
        )
    return ImportReport(
        format=fmt,
        ranks=sorted(ranks),
        alphas=sorted(set(network_alphas.values()) | _config_alphas(metadata)),
        modules=counts,
        tensors=len(tensors),
        trigger_word=(metadata.get("modelspec.trigger_phrase") or "").strip()[:40],
    )


def _base_module(modules: dict[str, dict[str, Any]], part: str, name: str) -> Any:
    """The base model's layer that a file's module `name` loads into. Files name text-encoder
    modules under `text_model.` (kohya, A1111, transformers 4); transformers 5's CLIPTextModel
    has no such level, and diffusers' loader drops it from the file's names, as done here."""
    module = modules[part].get(name)
    if module is None and part != "unet":
        module = modules[part].get(name.removeprefix("text_model."))
    return module


def _check_kohya_names(tensors: dict[str, Any]) -> None:
    if any(k.startswith("lora_te2_") for k in tensors):
        raise LoraImportError(
            "trained for a different base model: the file has weights for a second text "
            "encoder (lora_te2_, an SDXL LoRA); the configured base model has one",
            code="wrong_base",
        )
    strangers = sorted({k.split(".", 1)[0] for k in tensors if not k.startswith(KOHYA_PREFIXES)})
    if strangers:
        raise LoraImportError(
            f"unknown modules: {_listed(strangers)} (kohya names start with lora_unet_ or "
            "lora_te_)",
            code="unknown_modules",
        )


def _config_alphas(metadata: dict[str, str]) -> set[float]:
    """Alphas a diffusers file states in its LoRA config (kohya files carry `.alpha` tensors)."""
    try:
        packed = json.loads(metadata.get("lora_adapter_metadata") or "{}")
    except ValueError:
        return set()
    return {float(v) for k, v in packed.items() if k.endswith(".lora_alpha") and v is not None}
