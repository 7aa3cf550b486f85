"""Description -> attributes -> prompt, for the job service and the parse preview.

Thin glue over the demand parser (`parsing`) and the prompt builder (`prompting`), so the
services see one function and one value object.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from core.errors import InvalidInput
from generation.jobs.render_config import PresetRenderConfig

MAX_VALUE_CHARS = 80
MAX_LIST_ITEMS = 12


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


def clean_edits(edits: dict[str, Any] | None, *, prefix: str = "attributes") -> dict[str, Any]:
    """Attribute overrides from a user: known names only, short printable text values.

    They end up in prompts, JSON columns and cache keys, so anything else is refused here with
    the attribute's name rather than failing later (PostgreSQL rejects NUL in jsonb).
    """
    from generation.prompts.parsing import LIST_ATTRIBUTES, SINGLE_ATTRIBUTES

    if edits is None:
        return {}
    if not isinstance(edits, dict):
        raise InvalidInput(f"{prefix} must be an object.", field=prefix)
    cleaned: dict[str, Any] = {}
    for name, value in edits.items():
        field_name = f"{prefix}.{name}"
        if name not in SINGLE_ATTRIBUTES and name not in LIST_ATTRIBUTES:
            known = ", ".join(SINGLE_ATTRIBUTES + LIST_ATTRIBUTES)
            raise InvalidInput(f"Unknown attribute '{name[:40]}'. Known: {known}.", field=prefix)
        if value in (None, "", []):
            continue
        if name in LIST_ATTRIBUTES:
            if isinstance(value, str):  # the dashboard's chips send "red, blue"
                value = [v for v in re.split(r"[,，、]", value) if v.strip()]
            if not isinstance(value, list) or len(value) > MAX_LIST_ITEMS:
                raise InvalidInput(
                    f"{name} must be a list of at most {MAX_LIST_ITEMS} words.", field=field_name
                )
            cleaned[name] = [_text_value(v, field_name) for v in value]
        else:
            cleaned[name] = _text_value(value, field_name)
    return cleaned


def _text_value(value: Any, field_name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput('Use a short non-empty text value, e.g. "blue".', field=field_name)
    if len(value) > MAX_VALUE_CHARS or not value.isprintable():
        raise InvalidInput(
            f"Use printable text of at most {MAX_VALUE_CHARS} characters.", field=field_name
        )
    return value.strip()


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
