"""What each state means to each engine: the vector expression and the diffusion prompt words.

A state changes only the expression: the vector engine redraws the same plan with another
`expression`, the diffusion engine swaps the expression words in the source's prompt.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.vocabulary import STATE_PACK_STATES


@dataclass(frozen=True)
class StateSpec:
    name: str
    vector_expression: str
    phrase: str  # what the diffusion prompt says about the face


STATES: dict[str, StateSpec] = {
    s.name: s
    for s in (
        StateSpec("neutral", "neutral", "neutral expression, closed mouth"),
        StateSpec("idle", "calm", "calm relaxed expression, slight smile"),
        StateSpec("happy", "happy", "happy expression, big smile"),
        StateSpec("thinking", "thinking", "thinking expression, looking up, pondering"),
        StateSpec("surprised", "surprised", "surprised expression, wide eyes, open mouth"),
        StateSpec("sorry", "sad", "apologetic sad expression, sorry"),
        StateSpec("talking", "talking", "talking, mouth open mid-speech"),
        StateSpec("sleeping", "sleepy", "sleeping, eyes closed, peaceful"),
        StateSpec("confident", "confident", "confident expression, smirk"),
        StateSpec("playful", "playful", "playful expression, winking, tongue out"),
    )
}
assert tuple(STATES) == STATE_PACK_STATES  # one vocabulary, named once in core

# Words the parser maps to an expression (lexicon values and their usual synonyms): removed
# from the source prompt so the state's own words are the only expression in it.
_EXPRESSION_WORDS = (
    "happy", "friendly", "serious", "surprised", "calm", "cute", "sad", "angry", "confident",
    "playful", "sleepy", "smiling", "cheerful", "joyful", "grinning", "stern",
)  # fmt: skip
_WORD = re.compile(r"\b(" + "|".join(_EXPRESSION_WORDS) + r")\b\s*", re.IGNORECASE)
PLAIN_BACKGROUND = "plain white background"


def state_prompt(source_prompt: str, state: str) -> str:
    """The source prompt with its expression words replaced by `state`'s, and a plain
    background asked for (so the background can be matted away)."""
    spec = STATES[state]
    text = _WORD.sub("", source_prompt)
    text = re.sub(r"\s{2,}", " ", text).strip(" ,")
    parts = [text, spec.phrase]
    if "background" not in text.lower():
        parts.append(PLAIN_BACKGROUND)
    return ", ".join(p for p in parts if p)
