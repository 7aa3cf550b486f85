"""A tiny random SDXL pipeline (two text encoders, text-time conditioning) on disk.

Same idea as `tiny_models.build_tiny_sd`: diffusers' own dummy SDXL shapes, a hand-written
byte-level tokenizer, a fixed torch seed, so tests run the production SDXL code paths
(ControlNet, img2img, inpainting, LoRA) in a fraction of a second per render.
"""

from __future__ import annotations

from pathlib import Path

from generation.engines.tiny_models import TINY_SEED, _write_clip_tokenizer


def build_tiny_sdxl(directory: str | Path) -> Path:
    """Write a tiny random StableDiffusionXLPipeline to `directory` (`save_pretrained` layout)."""
    import torch
    from diffusers import (
        AutoencoderKL,
        EulerDiscreteScheduler,
        StableDiffusionXLPipeline,
        UNet2DConditionModel,
    )
    from transformers import (
        CLIPTextConfig,
        CLIPTextModel,
        CLIPTextModelWithProjection,
        CLIPTokenizer,
    )

    directory = Path(directory)
    tok_src = directory / "_tokenizer_src"
    _write_clip_tokenizer(tok_src)

    def tokenizer():
        return CLIPTokenizer(
            vocab=str(tok_src / "vocab.json"),
            merges=str(tok_src / "merges.txt"),
            model_max_length=77,
        )

    torch.manual_seed(TINY_SEED)
    unet = UNet2DConditionModel(
        block_out_channels=(32, 64),
        layers_per_block=2,
        sample_size=32,
        in_channels=4,
        out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        attention_head_dim=(2, 4),
        use_linear_projection=True,
        addition_embed_type="text_time",
        addition_time_embed_dim=8,
        transformer_layers_per_block=(1, 2),
        projection_class_embeddings_input_dim=80,  # 6 time ids x 8 + pooled text (32)
        cross_attention_dim=64,  # both encoders' hidden states side by side
    )
    torch.manual_seed(TINY_SEED)
    vae = AutoencoderKL(
        block_out_channels=[32, 64],
        in_channels=3,
        out_channels=3,
        down_block_types=["DownEncoderBlock2D", "DownEncoderBlock2D"],
        up_block_types=["UpDecoderBlock2D", "UpDecoderBlock2D"],
        latent_channels=4,
        sample_size=64,
    )
    text_config = CLIPTextConfig(
        bos_token_id=0,
        eos_token_id=1,
        pad_token_id=1,
        hidden_size=32,
        intermediate_size=37,
        layer_norm_eps=1e-05,
        num_attention_heads=4,
        num_hidden_layers=5,
        vocab_size=1000,
        hidden_act="gelu",
        projection_dim=32,
    )
    torch.manual_seed(TINY_SEED)
    text_encoder = CLIPTextModel(text_config)
    torch.manual_seed(TINY_SEED + 1)
    text_encoder_2 = CLIPTextModelWithProjection(text_config)
    scheduler = EulerDiscreteScheduler(
        beta_start=0.00085,
        beta_end=0.012,
        beta_schedule="scaled_linear",
        steps_offset=1,
        timestep_spacing="leading",
    )
    pipe = StableDiffusionXLPipeline(
        unet=unet,
        vae=vae,
        text_encoder=text_encoder,
        text_encoder_2=text_encoder_2,
        tokenizer=tokenizer(),
        tokenizer_2=tokenizer(),
        scheduler=scheduler,
    )
    pipe.save_pretrained(directory, safe_serialization=True)
    for f in tok_src.iterdir():
        f.unlink()
    tok_src.rmdir()
    return directory
