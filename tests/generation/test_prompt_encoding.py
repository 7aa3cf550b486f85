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
