"""The "meaning text": what the user asked for, in the words CLIP is scored against.

The prompt an image model reads carries things the user never said: the preset's trigger word
(a LoRA token such as "sks"), the template's boilerplate ("centered head and shoulders, clean
composition"), style phrases, the palette line. Scoring candidates against the prompt rewards
images that match the boilerplate. The meaning text keeps only the user's meaning:

- the attributes the user meant: parsed from the description or edited by hand (a preset's
  default attribute counts only when the user stated it too), composed into one noun phrase by
  the prompt builder's `subject_phrase` (so "without glasses" stays out: exclusions are applied);
- the user's style, in two words ("pixel art"), when they asked for one;
- details the parser did not map to an attribute ("coffee mug"), English words only (the CLIP
  text encoder reads English), at most `MAX_DETAIL_WORDS`;
- when none of that exists (an unparsed description), the description itself, and failing
  that `FALLBACK` (every candidate is then compared with the same neutral text).

The trigger word is removed from whatever comes out. This is the one place that builds it: the
worker, the CLI and anything else that scores against text call `meaning_text`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from generation.prompts.parsing import parse_description
from generation.prompts.prompting import merge_attributes, subject_phrase

FALLBACK = "an avatar"
MAX_DETAIL_WORDS = 8
MAX_CHARS = 300
_ENGLISH_WORD = re.compile(r"^[a-z][a-z'-]*$")
STYLE_WORDS = {"pixel": "pixel art", "3d": "3d render", "flat": "flat illustration"}


def user_attributes(
    attributes: Mapping[str, Any],
    *,
    parsed: Mapping[str, Any] | None = None,
    defaults: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The job's attributes minus those that only came from the preset's defaults."""
    parsed, defaults = parsed or {}, defaults or {}
    return {
        key: value
        for key, value in attributes.items()
        if key in parsed or key not in defaults or defaults[key] != value
    }


def _details(words: Iterable[str], seen: str) -> list[str]:
    out: list[str] = []
    for word in words:
        w = str(word).strip().lower()
        if _ENGLISH_WORD.match(w) and w not in out and w not in seen.split():
            out.append(w)
        if len(out) == MAX_DETAIL_WORDS:
            break
    return out


def _without_trigger(text: str, trigger_word: str) -> str:
    trigger = trigger_word.strip()
    if not trigger:
        return text
    text = re.sub(rf"(?<!\w){re.escape(trigger)}(?!\w)", " ", text, flags=re.IGNORECASE)
    text = re.sub(r"\s+", " ", text)
    return re.sub(r"(\s*,\s*)+", ", ", text).strip(" ,")


def meaning_text(
    *,
    attributes: Mapping[str, Any],
    description: str = "",
    unknown_words: Iterable[str] = (),
    parsed: Mapping[str, Any] | None = None,
    defaults: Mapping[str, Any] | None = None,
    trigger_word: str = "",
) -> str:
    """The text a candidate's CLIP text score is taken against (see the module docstring)."""
    meant = user_attributes(attributes, parsed=parsed, defaults=defaults)
    parts: list[str] = []
    if any(k not in ("style", "exclude") for k in meant):
        parts.append(subject_phrase(merge_attributes({}, meant)))
    style = meant.get("style")
    if style:
        parts.append(STYLE_WORDS.get(style, f"{style} style"))
    # Details the parser kept for the prompt but mapped to no attribute ("holding a coffee mug");
    # negated phrases are not among them, so exclusions stay out of the meaning.
    kept = (
        [w for d in parse_description(description).details for w in d.text.split()] if parts else []
    )
    details = _details([*kept, *unknown_words], " ".join(parts).lower())
    if details:
        parts.append(" ".join(details))
    text = ", ".join(parts) if parts else " ".join(str(description).split())
    return _without_trigger(text, trigger_word)[:MAX_CHARS] or FALLBACK


def meaning_of_job(job, *, defaults: Mapping[str, Any] | None = None, trigger_word: str = ""):
    """`meaning_text` for a stored job (its attributes, description and leftover words)."""
    return meaning_text(
        attributes=job.attributes or {},
        description=job.description,
        unknown_words=job.unknown_words or (),
        parsed=job.parsed_attributes or {},
        defaults=defaults,
        trigger_word=trigger_word,
    )
