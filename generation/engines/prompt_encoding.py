"""Prompts longer than the CLIP text encoder's 77 tokens: encode them in chunks and concatenate.

The pipelines' own encoding truncates at 77 tokens, silently dropping whatever the user wrote
last. Here the prompt is split into 75-token chunks, each framed with BOS/EOS and padded to 77,
encoded separately and joined along the sequence axis, so cross-attention sees every chunk (the
approach of A1111 and compel). The negative prompt is padded to the same number of chunks, as
classifier-free guidance batches both. SDXL encodes with both tokenizers/encoders, joins their
penultimate hidden states feature-wise, and takes the pooled embedding from the first chunk.
Prompts that fit in 77 tokens keep the pipeline's own path, so their renders do not change.
"""

from __future__ import annotations

from typing import Any

MAX_CHUNKS = 3  # matches prompting.MAX_PROMPT_TOKENS (225)


def token_count(tokenizer: Any, text: str) -> int:
    return len(tokenizer(text or "", add_special_tokens=False, truncation=False).input_ids)


def _chunks(tokenizer: Any, text: str, count: int | None = None) -> list[list[int]]:
    size = tokenizer.model_max_length - 2
    ids = tokenizer(text or "", add_special_tokens=False, truncation=False).input_ids
    chunks = [ids[i : i + size] for i in range(0, len(ids), size)][:MAX_CHUNKS] or [[]]
    while count is not None and len(chunks) < count:
        chunks.append([])
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    return [
        [tokenizer.bos_token_id, *c, tokenizer.eos_token_id] + [pad] * (size - len(c))
        for c in chunks[: count or len(chunks)]
    ]


def _encode(encoder: Any, rows: list[list[int]], *, penultimate: bool) -> tuple[Any, Any]:
    import torch

    hidden, pooled = [], None
    for row in rows:
        ids = torch.tensor([row], device=encoder.device)
        out = encoder(ids, output_hidden_states=penultimate)
        hidden.append(out.hidden_states[-2] if penultimate else out[0])
        if pooled is None:
            pooled = out[0] if penultimate else None  # SDXL encoder 2: text_embeds
    return torch.cat(hidden, dim=1), pooled


def needs_chunking(pipe: Any, prompt: str, negative_prompt: str = "") -> bool:
    limit = pipe.tokenizer.model_max_length - 2
    return (
        max(token_count(pipe.tokenizer, prompt), token_count(pipe.tokenizer, negative_prompt))
        > limit
    )


def encode(pipe: Any, prompt: str, negative_prompt: str = "") -> dict[str, Any]:
    """Embedding kwargs for `pipe(...)` built from every chunk of `prompt`."""
    import torch

    count = max(len(_chunks(pipe.tokenizer, prompt)), len(_chunks(pipe.tokenizer, negative_prompt)))
    dtype = pipe.text_encoder.dtype if pipe.text_encoder is not None else pipe.text_encoder_2.dtype
    kwargs: dict[str, Any] = {}
    with torch.inference_mode():
        for key, text in (("prompt_embeds", prompt), ("negative_prompt_embeds", negative_prompt)):
            if getattr(pipe, "text_encoder_2", None) is None:
                rows = _chunks(pipe.tokenizer, text, count)
                kwargs[key], _ = _encode(pipe.text_encoder, rows, penultimate=False)
                continue
            first, _ = _encode(
                pipe.text_encoder, _chunks(pipe.tokenizer, text, count), penultimate=True
            )
            second, pooled = _encode(
                pipe.text_encoder_2, _chunks(pipe.tokenizer_2, text, count), penultimate=True
            )
            kwargs[key] = torch.cat([first, second], dim=-1)
            pooled_key = key.replace("prompt_embeds", "pooled_prompt_embeds")
            kwargs[pooled_key] = pooled
    return {k: v.to(dtype) for k, v in kwargs.items()}


def prompt_kwargs(pipe: Any, prompt: str, negative_prompt: str = "") -> dict[str, Any]:
    """What to pass the pipeline for the text: the strings when they fit, embeddings if not."""
    if not needs_chunking(pipe, prompt, negative_prompt):
        return {"prompt": prompt, "negative_prompt": negative_prompt or None}
    return encode(pipe, prompt, negative_prompt)
