"""Adapter files that travel: diffusers and kohya/A1111 safetensors with their provenance.

Pure file formats (no rows, no storage): the worker writes both when it publishes an adapter
(`generation.training.adapter_exports`), so web processes, which have no torch, only serve
stored bytes. Conversions are diffusers' own (`convert_unet_state_dict_to_peft`,
`convert_state_dict_to_peft`, `convert_state_dict_to_kohya`), with two corrections:
`convert_state_dict_to_kohya` writes alpha = rank for every module, which silently rescales an
adapter trained with another alpha, so the true alpha is written over it; and SD 1.x text
encoder modules are named `lora_te_` as kohya's sd-scripts and A1111 name them (`lora_te1_` is
SDXL's first encoder, and stays so in an SDXL adapter, whose second encoder is `lora_te2_`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from generation.training.config import TEXT_ENCODER_TARGET_MODULES, UNET_TARGET_MODULES

LORA_METADATA_KEY = "lora_adapter_metadata"  # diffusers' key for the peft LoraConfig
FORMATS = ("diffusers", "kohya")
# Pipeline kind (generation.training.models) -> (modelspec architecture, kohya base version).
ARCHITECTURES = {
    "sd1": ("stable-diffusion-v1/lora", "sd_v1"),
    "sdxl": ("stable-diffusion-xl-v1-base/lora", "sdxl_base_v1-0"),
}
TEXT_PREFIXES = ("text_encoder", "text_encoder_2")


def export_metadata(
    *,
    trigger_word: str,
    base_model_hash: str,
    training: dict[str, Any],
    rank: int,
    alpha: int,
    dataset_hash: str = "",
    title: str = "",
    kind: str = "sd1",
) -> dict[str, str]:
    """Provenance for the safetensors header: ours under `avatarsaas.*`, plus the keys that
    kohya tools (`ss_*`) and the model-spec readers (`modelspec.*`) show their users.
    `kind` is the base pipeline ("sd1", "sdxl")."""
    architecture, base_version = ARCHITECTURES[kind]
    meta = {
        "avatarsaas.trigger_word": trigger_word,
        "avatarsaas.base_model_hash": base_model_hash,
        "avatarsaas.dataset_hash": dataset_hash,
        "avatarsaas.training": json.dumps(training, sort_keys=True),
        "modelspec.sai_model_spec": "1.0.0",
        "modelspec.architecture": architecture,
        "modelspec.trigger_phrase": trigger_word,
        "ss_network_module": "networks.lora",
        "ss_network_dim": str(rank),
        "ss_network_alpha": str(alpha),
        "ss_base_model_version": base_version,
    }
    if title:
        meta["modelspec.title"] = title
        meta["ss_output_name"] = title
    return meta


def read(path: str | Path) -> tuple[dict[str, Any], dict[str, str]]:
    """(tensors, header metadata) of a safetensors file."""
    from safetensors import safe_open

    tensors = {}
    with safe_open(str(path), framework="pt") as f:
        metadata = dict(f.metadata() or {})
        for key in f.keys():  # noqa: SIM118 (a safetensors handle, not a dict)
            tensors[key] = f.get_tensor(key)
    return tensors, metadata


def write(path: str | Path, tensors: dict[str, Any], metadata: dict[str, str]) -> Path:
    from safetensors.torch import save_file

    save_file(tensors, str(path), metadata={"format": "pt", **metadata})
    return Path(path)


def add_metadata(path: str | Path, extra: dict[str, str]) -> Path:
    """Rewrite `path` with `extra` added to its header (tensors unchanged)."""
    tensors, metadata = read(path)
    return write(path, tensors, {**metadata, **extra})


def text_model_keys(layers: dict[str, Any]) -> dict[str, Any]:
    """A CLIP text encoder's LoRA layers named under `text_model.`, as transformers 4.x, kohya
    and A1111 name its modules. transformers 5 dropped that level from CLIPTextModel (and the
    projection model), so a state dict taken from the model lacks it; diffusers' loader removes
    it again for such a model, so the file loads on either transformers."""
    return {k if k.startswith("text_model.") else f"text_model.{k}": v for k, v in layers.items()}


def lora_configs(metadata: dict[str, str], *, rank: int, alpha: int) -> dict[str, dict]:
    """{"unet": {...}, "text_encoder": {...}, ...} peft LoraConfig dicts from the header; files
    written before the config was saved get one built from the fine-tune's rank and alpha."""
    packed = json.loads(metadata.get(LORA_METADATA_KEY) or "{}")
    configs: dict[str, dict] = {}
    for key, value in packed.items():
        prefix, _, name = key.partition(".")
        configs.setdefault(prefix, {})[name] = value
    for prefix in ("unet", *TEXT_PREFIXES):
        configs.setdefault(prefix, {"r": rank, "lora_alpha": alpha})
    return configs


def _peft_layers(tensors: dict[str, Any]) -> dict[str, Any]:
    """Our diffusers-format file (unet `.lora.down`, text encoder `.lora_linear_layer.down`)
    as PEFT keys (`.lora_A`), prefixes kept."""
    from diffusers.utils.state_dict_utils import (
        StateDictType,
        convert_state_dict_to_peft,
        convert_unet_state_dict_to_peft,
    )

    unet = {k: v for k, v in tensors.items() if k.startswith("unet.")}
    text = {k: v for k, v in tensors.items() if k.startswith(("text_encoder.", "text_encoder_2."))}
    peft = convert_unet_state_dict_to_peft(unet)
    if text:
        peft.update(convert_state_dict_to_peft(text, original_type=StateDictType.DIFFUSERS))
    return peft


def write_kohya(
    source: str | Path, target: str | Path, extra: dict[str, str], *, rank: int, alpha: int
) -> Path:
    """Kohya/A1111 file of the diffusers-format adapter at `source`, with the true alphas."""
    import torch
    from diffusers.utils.state_dict_utils import convert_state_dict_to_kohya

    tensors, metadata = read(source)
    configs = lora_configs(metadata, rank=rank, alpha=alpha)
    peft = _peft_layers(tensors)
    kohya = convert_state_dict_to_kohya(peft)
    fixed: dict[str, Any] = {}
    # SDXL trains both encoders or neither: a second encoder's keys mean an SDXL file.
    sdxl = any(k.startswith("lora_te2_") for k in kohya)
    models = {"lora_te1_": "text_encoder", "lora_te2_": "text_encoder_2"}
    models["lora_te_"] = "text_encoder"
    for key, value in kohya.items():
        if not sdxl:
            key = key.replace("lora_te1_", "lora_te_", 1)
        if key.endswith(".alpha"):
            # Our adapters use one rank and alpha per model (no rank/alpha patterns).
            prefix = next((p for p in models if key.startswith(p)), "")
            config = configs[models.get(prefix, "unet")]
            value = torch.tensor(float(config["lora_alpha"]), dtype=torch.float32)
        fixed[key] = value.contiguous()
    return write(target, fixed, {k: v for k, v in extra.items() if k != LORA_METADATA_KEY})


def write_diffusers(
    source: str | Path, target: str | Path, extra: dict[str, str], *, rank: int, alpha: int
) -> Path:
    """The diffusers-format adapter at `source` with its LoRA config and `extra` in the header
    (for files written before the config was saved, built from the fine-tune's rank/alpha)."""
    from peft import LoraConfig

    tensors, metadata = read(source)
    if not metadata.get(LORA_METADATA_KEY):
        packed = {}
        targets = {"unet": UNET_TARGET_MODULES}
        targets.update(dict.fromkeys(TEXT_PREFIXES, TEXT_ENCODER_TARGET_MODULES))
        for prefix, modules in targets.items():
            if any(k.startswith(f"{prefix}.") for k in tensors):
                config = LoraConfig(r=rank, lora_alpha=alpha, target_modules=list(modules))
                for name, value in config.to_dict().items():
                    packed[f"{prefix}.{name}"] = sorted(value) if isinstance(value, set) else value
        metadata[LORA_METADATA_KEY] = json.dumps(packed, sort_keys=True, default=str)
    return write(target, tensors, {**metadata, **extra})
