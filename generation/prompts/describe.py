"""Description -> attributes -> prompt, for the job service and the parse preview.

Thin glue over the demand parser (`parsing`) and the prompt builder (`prompting`), so the
services see one function and one value object.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from core.attributes import clean_edits
from generation.jobs.render_config import PresetRenderConfig


@dataclass(frozen=True)
class Described:
    parsed_attributes: dict[str, Any]
    attributes: dict[str, Any]
    unknown_words: list[str]
    matches: dict[str, Any] = field(default_factory=dict)
    prompt: str = ""
    negative_prompt: str = ""


def describe(text: str, *, edits: dict[str, Any] | None, config: PresetRenderConfig) -> Described:
    from generation.prompts.parsing import parse_description
    from generation.prompts.prompting import PresetSpec, compose_prompt

    edits = clean_edits(edits)
    parsed = parse_description(text)
    parsed_dict = parsed.to_dict()
    parsed_attrs = plain_attributes(parsed_dict)
    attributes = {**parsed_attrs, **edits}
    spec = PresetSpec(
        name=config.name,
        prompt_template=config.prompt_template,
        negative_prompt=config.negative_prompt,
        trigger_word=config.trigger_word,
        palette=list(config.palette),
        default_attributes=dict(config.default_attributes),
    )
    composed = compose_prompt(attributes, spec)
    return Described(
        parsed_attributes=parsed_attrs,
        attributes={**config.default_attributes, **attributes},
        unknown_words=list(parsed_dict.get("unknown_words", [])),
        matches=parsed_dict.get("matches", {}),
        prompt=composed.prompt,
        negative_prompt=composed.negative_prompt,
    )


def plain_attributes(parsed_dict: dict[str, Any]) -> dict[str, Any]:
    """{"attributes": {"subject": {"value": "robot", ...}}} -> {"subject": "robot"}"""
    out: dict[str, Any] = {}
    for key, match in (parsed_dict.get("attributes") or {}).items():
        if isinstance(match, dict) and "value" in match:
            out[key] = match["value"]
        elif isinstance(match, list):
            out[key] = [m["value"] if isinstance(m, dict) else m for m in match]
        else:
            out[key] = match
    return out
