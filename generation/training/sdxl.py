"""What SDXL's UNet is conditioned on, built as diffusers' SDXL LoRA training scripts build it
(examples/text_to_image/train_text_to_image_lora_sdxl.py, dreambooth/train_dreambooth_lora_sdxl.py).

- Prompt embeddings: the penultimate hidden states of both text encoders, side by side
  (768 + 1280 features on SDXL base).
- `text_embeds`: the pooled, projected output of the second encoder.
- `time_ids`: (original height, original width, crop top, crop left, target height, target
  width) of each sample. With aspect buckets every image has its own original size and crop,
  so each sample carries its own, never the constant of a square training set: at inference
  SDXL is asked for an uncropped image at the requested size, and a model that only ever saw
  one constant learns nothing from the numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from generation.training.data import Placement, Size


def load_second_encoder(model_dir: Path) -> dict[str, Any]:
    from transformers import CLIPTextModelWithProjection, CLIPTokenizer

    kw = {"local_files_only": True}
    return {
        "tokenizer_2": CLIPTokenizer.from_pretrained(model_dir, subfolder="tokenizer_2", **kw),
        "text_encoder_2": CLIPTextModelWithProjection.from_pretrained(
            model_dir, subfolder="text_encoder_2", **kw
        ),
    }


def encode_prompts(
    parts: dict[str, Any], captions: list[str], device: str, *, grad: bool
) -> dict[str, Any]:
    """{"hidden": [N, 77, C1 + C2], "pooled": [N, P]} for `captions` (diffusers' encode_prompt)."""
    import torch

    hidden, pooled = [], None
    pairs = (("tokenizer", "text_encoder"), ("tokenizer_2", "text_encoder_2"))
    for tokenizer_name, encoder_name in pairs:
        tokenizer = parts[tokenizer_name]
        tokens = tokenizer(
            captions,
            padding="max_length",
            max_length=tokenizer.model_max_length,
            truncation=True,
            return_tensors="pt",
        ).input_ids.to(device)
        with torch.set_grad_enabled(grad):
            out = parts[encoder_name](tokens, output_hidden_states=True, return_dict=False)
        hidden.append(out[-1][-2])
        pooled = out[0]  # only the last encoder's (text_embeds of the projection model) counts
    return {"hidden": torch.cat(hidden, dim=-1), "pooled": pooled}


def time_ids(placements: Sequence[Placement], bucket: Size, flips: Sequence[bool]) -> Any:
    """[N, 6] float tensor: original (h, w), crop corner (top, left), target (h, w)."""
    import torch

    rows = []
    for place, flipped in zip(placements, flips, strict=True):
        left, top = place.crop_corner(bucket, flipped)
        width, height = place.original
        rows.append([height, width, top, left, bucket[1], bucket[0]])
    return torch.tensor(rows, dtype=torch.float32)


def validation_pipeline(parts: dict[str, Any], scheduler: Any) -> Any:
    """An SDXL pipeline over the run's own (LoRA-carrying) models, for validation renders."""
    from diffusers import StableDiffusionXLPipeline

    return StableDiffusionXLPipeline(
        vae=parts["vae"],
        text_encoder=parts["text_encoder"],
        text_encoder_2=parts["text_encoder_2"],
        tokenizer=parts["tokenizer"],
        tokenizer_2=parts["tokenizer_2"],
        unet=parts["unet"],
        scheduler=scheduler,
    )


def decode_latents(pipe: Any, latents: Any) -> list[Any]:
    """PIL images of an SDXL pipeline's latents, decoded by the VAE in its own dtype: fp32 next
    to an fp16 UNet (SDXL's VAE overflows in fp16), where the pipeline's own decoding would
    either fail on the dtype mismatch or upcast the run's VAE in place."""
    vae = pipe.vae
    scaled = latents.to(vae.dtype) / vae.config.scaling_factor
    pixels = vae.decode(scaled, return_dict=False)[0]
    return pipe.image_processor.postprocess(pixels, output_type="pil")
