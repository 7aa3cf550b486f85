"""Long prompts on the tiny SD pipeline: every 75-token chunk reaches the text embeddings."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from generation.engines.prompt_encoding import encode, needs_chunking, prompt_kwargs, token_count

pytestmark = pytest.mark.ml

WORDS = "robot barista holding a coffee cup steampunk brass copper gears neon city night"


@pytest.fixture
def long_prompt(sd_engine):
    """A prompt of 80-150 tokens for the tiny tokenizer: two chunks, under the three cap."""
    tokenizer = sd_engine.load().tokenizer
    words = WORDS.split()
    prompt = ""
    while token_count(tokenizer, prompt) <= 80:
        prompt = f"{prompt} {words[len(prompt) % len(words)]}".strip()
    assert token_count(tokenizer, prompt + ", blue scarf") < 150
    return prompt


def test_short_prompts_keep_the_pipelines_own_path(sd_engine):
    pipe = sd_engine.load()
    assert not needs_chunking(pipe, "a friendly robot", "blurry")
    assert prompt_kwargs(pipe, "a friendly robot", "") == {
        "prompt": "a friendly robot",
        "negative_prompt": None,
    }


def test_long_prompt_is_encoded_from_all_chunks(sd_engine, long_prompt):
    pipe = sd_engine.load()
    assert needs_chunking(pipe, long_prompt)
    kwargs = encode(pipe, long_prompt, "blurry")
    embeds, negative = kwargs["prompt_embeds"], kwargs["negative_prompt_embeds"]
    chunks = embeds.shape[1] // 77
    assert embeds.shape[1] % 77 == 0 and chunks >= 2
    # The negative prompt is padded to the same length, as guidance batches both.
    assert negative.shape == embeds.shape


def test_words_past_the_first_chunk_change_the_embeddings(sd_engine, long_prompt):
    pipe = sd_engine.load()
    base = encode(pipe, long_prompt + ", red hat")["prompt_embeds"]
    other = encode(pipe, long_prompt + ", blue scarf")["prompt_embeds"]
    # Same first chunk, different tail: only later chunks differ. Truncation would make the
    # two identical.
    assert torch.equal(base[:, :77], other[:, :77])
    assert not torch.equal(base[:, 77:], other[:, 77:])


def test_engine_renders_a_long_prompt(sd_engine, make_request, pixels, long_prompt):
    a = pixels(sd_engine.generate(make_request(prompt=long_prompt + ", red hat", seeds=(3,))))[0]
    b = pixels(sd_engine.generate(make_request(prompt=long_prompt + ", blue scarf", seeds=(3,))))[0]
    assert a.shape == (64, 64, 3)
    assert not np.array_equal(a, b)  # the tail of the prompt reached the UNet


@pytest.fixture(scope="module")
def tiny_sdxl(tiny_models):
    """A tiny random SDXL pipeline (two text encoders), shaped like diffusers' own test dummies."""
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

    torch.manual_seed(0)
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
        projection_class_embeddings_input_dim=80,  # 6 time ids * 8 + pooled 32
        cross_attention_dim=64,  # 32 + 32 from the two encoders
    )
    vae = AutoencoderKL(
        block_out_channels=[32, 64],
        in_channels=3,
        out_channels=3,
        down_block_types=["DownEncoderBlock2D", "DownEncoderBlock2D"],
        up_block_types=["UpDecoderBlock2D", "UpDecoderBlock2D"],
        latent_channels=4,
    )
    config = CLIPTextConfig(
        bos_token_id=0,
        eos_token_id=1,
        pad_token_id=1,
        hidden_size=32,
        intermediate_size=37,
        layer_norm_eps=1e-05,
        num_attention_heads=4,
        num_hidden_layers=5,
        vocab_size=1000,
        projection_dim=32,
    )
    tokenizer = CLIPTokenizer.from_pretrained(str(tiny_models.sd_model_dir / "tokenizer"))
    return StableDiffusionXLPipeline(
        vae=vae,
        text_encoder=CLIPTextModel(config),
        text_encoder_2=CLIPTextModelWithProjection(config),
        tokenizer=tokenizer,
        tokenizer_2=tokenizer,
        unet=unet,
        scheduler=EulerDiscreteScheduler(),
    )


def test_sdxl_long_prompt_uses_both_encoders_and_every_chunk(tiny_sdxl, long_prompt):
    kwargs = encode(tiny_sdxl, long_prompt + ", red hat", "blurry")
    embeds = kwargs["prompt_embeds"]
    assert embeds.shape[1] == 2 * 77 and embeds.shape[2] == 64  # both encoders' features
    assert kwargs["pooled_prompt_embeds"].shape == (1, 32)
    assert kwargs["negative_prompt_embeds"].shape == embeds.shape
    other = encode(tiny_sdxl, long_prompt + ", blue scarf", "blurry")["prompt_embeds"]
    assert torch.equal(embeds[:, :77], other[:, :77]) and not torch.equal(embeds, other)
    out = tiny_sdxl(
        **kwargs, num_inference_steps=2, height=64, width=64, output_type="np",
        generator=torch.Generator("cpu").manual_seed(0),
    )  # fmt: skip
    assert out.images.shape == (1, 64, 64, 3)
