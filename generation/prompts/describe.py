"""Description -> attributes -> prompt, for the job service and the parse preview.

Thin glue over the demand parser (`parsing`) and the prompt builder (`prompting`), so the
services see one function and one value object.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from core.attributes import clean_edits
from generation.jobs.render_config import PresetRenderConfig
from generation.prompts import refining
from generation.prompts.parsing import Refiner, parse_description
from generation.prompts.prompting import PresetSpec, compose_prompt


@dataclass(frozen=True)
class Described:
    parsed_attributes: dict[str, Any]
    attributes: dict[str, Any]
    unknown_words: list[str]
    matches: dict[str, Any] = field(default_factory=dict)
    prompt: str = ""
    negative_prompt: str = ""
    # Where each part of the prompt came from: [{"text", "source", "origin"}], in prompt order.
    prompt_parts: list[dict[str, str]] = field(default_factory=list)
    # [{"text", "reason"}] for words no dictionary knew.
    not_understood: list[dict[str, str]] = field(default_factory=list)
    # Prompt terms dropped to fit the text encoder's budget.
    cut: list[str] = field(default_factory=list)
    refiner: str = "off"


def describe(
    text: str,
    *,
    edits: dict[str, Any] | None,
    config: PresetRenderConfig,
    refine: Refiner | None = None,
) -> Described:
    """Parse `text`, apply the user's attribute `edits` and compose the prompt for `config`.

    Without an explicit `refine`, the process-wide cached refiner is used (see `refining`):
    it only answers from its cache here, so the preview never waits for a model.
    """
    edits = clean_edits(edits)
    parsed = parse_description(text, refine=refine or refining.cached_refiner())
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
    changed = {k for k, v in edits.items() if parsed_attrs.get(k) != v}
    # Verbatim English reads best to the image model, unless an edit contradicts the text.
    verbatim = parsed.language == "en" and not changed & set(parsed_attrs)
    details = [part.text for part in (parsed.parts if verbatim else parsed.details)]
    composed = compose_prompt(
        attributes,
        spec,
        details=details,
        verbatim=verbatim,
        from_text=tuple(parsed_attrs),
        phrases=parsed.phrases(),
    )
    return Described(
        parsed_attributes=parsed_attrs,
        attributes={**config.default_attributes, **attributes},
        unknown_words=list(parsed_dict.get("unknown_words", [])),
        matches=parsed_dict.get("matches", {}),
        prompt=composed.prompt,
        negative_prompt=composed.negative_prompt,
        prompt_parts=_prompt_parts(parsed, composed.prompt, verbatim),
        not_understood=parsed.not_understood,
        cut=list(composed.cut),
        refiner=parsed.refiner,
    )


def _prompt_parts(parsed, prompt: str, verbatim: bool) -> list[dict[str, str]]:
    parts = [] if verbatim else [
        {"text": m.get("phrase") or m["value"], "source": "".join(m["source_words"])
         if parsed.language != "en" else " ".join(m["source_words"]), "origin": m["origin"],
         "attribute": name}
        for name, value in parsed.to_dict()["matches"].items()
        for m in (value if isinstance(value, list) else [value])
    ]  # fmt: skip
    parts += [p.to_dict() for p in (parsed.parts if verbatim else parsed.details)]
    covered = " ".join(p["text"] for p in parts)
    rest = [t.strip() for t in prompt.split(",") if t.strip() and t.strip() not in covered]
    parts += [{"text": t, "source": "", "origin": "preset"} for t in rest]
    return parts


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
