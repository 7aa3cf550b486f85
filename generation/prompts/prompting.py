"""Prompt builder: parsed attributes + a style preset -> the text an image model reads.

Pure and deterministic: the same attributes and preset always give the same prompt, so cached
results and re-renders stay reproducible. Unknown attribute keys are ignored.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from generation.prompts.lexicon import COLOR_HEX, GENDERED_ROLES

DEFAULT_TEMPLATE = "avatar of {subject}, {style}, centered head and shoulders, clean composition"
DEFAULT_NEGATIVE = "blurry, low quality, deformed, distorted face, extra limbs, watermark, text"
# The diffusers engine encodes long prompts in 75-token chunks (prompt_encoding); past three
# chunks the text encoder's attention thins out, so longer prompts are cut, boilerplate first.
MAX_PROMPT_TOKENS = 225

# How each parsed style reads to a diffusion model.
STYLE_PHRASES: dict[str, str] = {
    "cartoon": "cartoon style, bold outlines, vibrant colors",
    "realistic": "photorealistic portrait, soft studio lighting, detailed",
    "abstract": "abstract geometric art",
    "3d": "3d render, soft global illumination, smooth materials",
    "pixel": "pixel art, crisp 8-bit sprite",
    "anime": "anime style, cel shading, expressive eyes",
    "flat": "flat vector illustration, minimal shapes, no gradients",
    "clay": "claymation style, plasticine texture, soft lighting",
}
# What each style should steer away from.
STYLE_NEGATIVES: dict[str, str] = {
    "realistic": "cartoon, illustration, drawing",
    "pixel": "smooth gradients, photo",
    "flat": "photo, 3d, heavy shading",
    "anime": "photo, realistic",
}

_HUMAN_NOUNS: dict[tuple[str | None, str | None], str] = {
    ("female", "child"): "girl",
    ("male", "child"): "boy",
    (None, "child"): "child",
    ("female", "young"): "young woman",
    ("male", "young"): "young man",
    (None, "young"): "young person",
    ("female", "elderly"): "elderly woman",
    ("male", "elderly"): "elderly man",
    (None, "elderly"): "elderly person",
    ("female", None): "woman",
    ("male", None): "man",
}
_EXPRESSION_WORDS: dict[str, str] = {"cute": "cute", "sleepy": "sleepy"}
_GENDERED = {r for roles in GENDERED_ROLES.values() for r in roles}


@dataclass(frozen=True)
class PresetSpec:
    """The part of a style preset the prompt builder needs (the DB model maps onto this)."""

    name: str
    prompt_template: str = DEFAULT_TEMPLATE  # must contain "{subject}"; "{style}" optional
    negative_prompt: str = ""
    trigger_word: str = ""  # a LoRA's activation token, prepended when set
    palette: tuple[str, ...] = ()  # "#rrggbb"
    default_attributes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ComposedPrompt:
    prompt: str
    negative_prompt: str
    # Preset defaults merged under the user's attributes: what the engine should draw.
    attributes: dict[str, Any] = field(default_factory=dict)
    # Prompt terms dropped to fit MAX_PROMPT_TOKENS, to tell the user.
    cut: tuple[str, ...] = ()


def merge_attributes(defaults: dict[str, Any], attributes: dict[str, Any]) -> dict[str, Any]:
    """User attributes replace preset defaults key by key; exclusions remove default items."""
    merged = {k: v for k, v in defaults.items() if v not in (None, "", [])}
    merged.update({k: v for k, v in attributes.items() if v not in (None, "", [])})
    excluded = set(merged.get("exclude", []))
    for key in ("accessories", "colors"):
        if key in merged:
            merged[key] = [v for v in merged[key] if v not in excluded]
            if not merged[key]:
                del merged[key]
    for key in ("clothing", "background"):
        if merged.get(key) in excluded:
            del merged[key]
    return merged


def compose_prompt(
    attributes: dict[str, Any],
    preset: PresetSpec | None = None,
    *,
    details: Sequence[str] | None = None,
    verbatim: bool = False,
    from_text: Sequence[str] = (),
    phrases: dict[str, str] | None = None,
) -> ComposedPrompt:
    """Build the positive and negative prompt for `attributes` in the style of `preset`.

    `details` are the user's own phrases in their order (English, or glossed from Chinese).
    With `verbatim` they already say everything the user wrote (English text), so only the
    attributes that did not come from the text (`from_text` names those that did: preset
    defaults, edits) are added as phrases; otherwise the attributes are rendered as a noun
    phrase ("a girl with a red hat", using `phrases`) and the details follow it.
    """
    merged = merge_attributes(preset.default_attributes if preset else {}, attributes)
    if details is None:
        subject = subject_phrase(merged)
    elif verbatim and details:
        extras = {k: v for k, v in merged.items() if k not in from_text}
        subject = ", ".join([*details, *filter(None, [feature_phrase(extras)])])
    else:
        noun_phrase = subject_phrase(merged, phrases)
        # A detail the noun phrase already says ("polar bear" for 北极熊) is not said twice.
        subject = ", ".join([noun_phrase, *(d for d in details if not _says(noun_phrase, d))])
    style = merged.get("style")
    style_phrase = STYLE_PHRASES.get(style or "", "digital illustration")

    template = preset.prompt_template if preset else DEFAULT_TEMPLATE
    if "{subject}" in template:
        prompt = template.replace("{subject}", subject)
    else:
        prompt = f"{subject}, {template}" if template else subject
    prompt = prompt.replace("{style}", style_phrase)
    # A user style that differs from the preset's own still has to reach the model.
    if preset and style and style != preset.default_attributes.get("style"):
        prompt = f"{prompt}, {style_phrase}"
    if preset and preset.palette and not attributes.get("colors"):
        names = _palette_names(preset.palette)
        prompt = f"{prompt}, {' and '.join(names)} color palette"
    if preset and preset.trigger_word:
        prompt = f"{preset.trigger_word}, {prompt}"

    negatives = [DEFAULT_NEGATIVE, preset.negative_prompt if preset else ""]
    negatives.append(STYLE_NEGATIVES.get(style or "", ""))
    negatives.extend(merged.get("exclude", []))
    prompt, cut = fit_prompt(prompt, keep=len(subject) + prompt.find(subject))
    return ComposedPrompt(
        prompt=prompt, negative_prompt=_join_terms(negatives), attributes=merged, cut=cut
    )


def estimate_tokens(text: str) -> int:
    """Upper estimate of CLIP BPE tokens: common words are one token, long ones split."""
    words = re.findall(r"[a-z0-9]+|[^\sa-z0-9]", text.lower())
    return sum(max(1, math.ceil(len(w) / 7)) for w in words)


def fit_prompt(prompt: str, keep: int, limit: int = MAX_PROMPT_TOKENS) -> tuple[str, tuple]:
    """Drop comma-separated terms until the prompt fits: boilerplate after the user's content
    (`prompt[:keep]`) first, from the end, then the user's own trailing terms."""
    if estimate_tokens(prompt) <= limit:
        return prompt, ()
    head, tail = prompt[:keep], prompt[keep:]
    tail_terms = [t for t in tail.split(",") if t.strip()]
    head_terms = head.split(",")
    cut: list[str] = []
    while tail_terms and estimate_tokens(",".join(head_terms + tail_terms)) > limit:
        cut.insert(0, tail_terms.pop().strip())
    while len(head_terms) > 1 and estimate_tokens(",".join(head_terms)) > limit:
        cut.insert(0, head_terms.pop().strip())
    return ",".join(head_terms + tail_terms), tuple(cut)


def feature_phrase(attrs: dict[str, Any]) -> str:
    """Attributes as trailing phrases ("with headphones, wearing a hoodie, plain background")."""
    out = []
    features = _features(attrs)
    if features:
        out.append("with " + _and_list(features))
    if attrs.get("clothing"):
        out.append(f"wearing {_with_article(attrs['clothing'])}")
    words = [attrs.get("expression"), " and ".join(list(attrs.get("colors", []))[:2])]
    noun_attrs = {k: attrs[k] for k in ("subject", "animal", "gender", "age", "role") if k in attrs}
    if noun_attrs:
        words.append(_subject_noun(noun_attrs))
    if any(words):
        out.insert(0, " ".join(w for w in words if w))
    background = _background(attrs)
    if background:
        out.append(background)
    return ", ".join(out)


def subject_phrase(attrs: dict[str, Any], phrases: dict[str, str] | None = None) -> str:
    """English noun phrase for the avatar: "a friendly blue robot with round glasses".

    `phrases` gives the user's own wording for a value ("dress" -> "red dress")."""
    if phrases:
        attrs = {**attrs, **_rephrase(attrs, phrases)}
    character = (phrases or {}).get("character")
    adjectives = []
    expression = attrs.get("expression")
    if expression:
        adjectives.append(_EXPRESSION_WORDS.get(expression, expression))
    colors = list(attrs.get("colors", []))[:2]
    if colors:
        adjectives.append(" and ".join(colors))
    noun = _subject_noun(attrs)
    if character and noun in _HUMAN_NOUNS.values():
        noun = character
    words = " ".join([*adjectives, noun])
    phrase = f"{_article(words)} {words}"

    features = _features(attrs)
    if features:
        phrase += " with " + _and_list(features)
    if attrs.get("clothing"):
        phrase += f", wearing {_with_article(attrs['clothing'])}"
    background = _background(attrs)
    if background:
        phrase += f", {background}"
    return phrase


def _rephrase(attrs: dict[str, Any], phrases: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if attrs.get("animal") in phrases:
        out["animal"] = phrases[attrs["animal"]]  # "polar bear" for the animal "bear"
    if attrs.get("role") in phrases:
        out["role"] = phrases[attrs["role"]]  # "police officer" for the role "officer"
    if attrs.get("clothing") in phrases:
        out["clothing"] = phrases[attrs["clothing"]]
    if attrs.get("accessories"):
        out["accessories"] = [phrases.get(a, a) for a in attrs["accessories"]]
    return out


def _subject_noun(attrs: dict[str, Any]) -> str:
    role = attrs.get("role")
    if role:
        # "robot barista", "pirate parrot", "female doctor"
        base = {k: v for k, v in attrs.items() if k != "role"}
        noun = _subject_noun(base) if base.get("subject") in ("robot", "animal", "mascot") else ""
        if base.get("animal"):
            return f"{role} {noun}"
        if base.get("subject") in ("robot", "mascot"):
            return f"{noun} {role}"
        gender = {"female": "female ", "male": "male "}.get(base.get("gender") or "", "")
        age = {"child": "young ", "elderly": "elderly "}.get(base.get("age") or "", "")
        return f"{age}{gender if role not in _GENDERED else ''}{role}"
    subject = attrs.get("subject")
    animal = attrs.get("animal")
    gender, age = attrs.get("gender"), attrs.get("age")
    if subject == "robot":
        return "robot"
    if subject == "mascot":
        return f"{animal} mascot" if animal else "mascot"
    if animal:
        return animal
    if subject == "animal":
        return "animal"
    if subject == "human" or gender or age:
        if gender == "neutral":
            gender = None
        if age == "adult":
            age = None
        return _HUMAN_NOUNS.get((gender, age), "person")
    return "character"


def _features(attrs: dict[str, Any]) -> list[str]:
    features = []
    hair = _hair(attrs.get("hair_style"), attrs.get("hair_color"))
    if hair:
        features.append(hair)
    eye_style, eye_color = attrs.get("eye_style"), attrs.get("eye_color")
    if eye_style == "visor":
        features.append("a glowing visor" + (f" in {eye_color}" if eye_color else ""))
    elif eye_style or eye_color:
        features.append(" ".join(w for w in (eye_style, eye_color, "eyes") if w))
    for accessory in attrs.get("accessories", []):
        # Pair nouns read without an article: "with round glasses", "with headphones".
        plural = accessory.endswith(("glasses", "headphones", "earrings"))
        features.append(accessory if plural else _with_article(accessory))
    return features


def _hair(style: str | None, color: str | None) -> str | None:
    if style == "bald":
        return "a bald head"
    if not (style or color):
        return None
    if style in ("bun", "ponytail"):
        return f"{color + ' ' if color else ''}hair in a {style}"
    adjective = {"braids": "braided", "bob": "bob-cut"}.get(style or "", style)
    return " ".join(w for w in (adjective, color, "hair") if w)


def _background(attrs: dict[str, Any]) -> str:
    background = attrs.get("background")
    color = attrs.get("background_color")
    if background == "transparent":
        return "isolated on a transparent background"
    if background and color:
        return f"{color} {background} background"
    if background:
        return f"{background} background"
    if color:
        return f"plain {color} background"
    return ""


def _palette_names(palette: tuple[str, ...] | list[str]) -> list[str]:
    names: list[str] = []
    for hex_color in palette[:3]:
        name = nearest_color_name(hex_color)
        if name and name not in names:
            names.append(name)
    return names


def nearest_color_name(hex_color: str) -> str | None:
    """Closest named colour in the lexicon (plain RGB distance is enough for naming)."""
    rgb = hex_to_rgb(hex_color)
    if rgb is None:
        return None
    named = {k: hex_to_rgb(v) for k, v in COLOR_HEX.items() if k != "blonde"}
    return min(named, key=lambda k: sum((a - b) ** 2 for a, b in zip(rgb, named[k], strict=True)))


def hex_to_rgb(value: str) -> tuple[int, int, int] | None:
    text = value.strip().lstrip("#")
    if len(text) == 3:
        text = "".join(c * 2 for c in text)
    if len(text) != 6:
        return None
    try:
        return int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16)
    except ValueError:
        return None


def _join_terms(parts: list[str]) -> str:
    seen: list[str] = []
    for part in parts:
        for term in part.split(","):
            term = term.strip()
            if term and term.lower() not in (s.lower() for s in seen):
                seen.append(term)
    return ", ".join(seen)


def _article(words: str) -> str:
    return "an" if words[:1].lower() in "aeio" else "a"


def _with_article(noun: str) -> str:
    return f"{_article(noun)} {noun}"


def _and_list(items: list[str]) -> str:
    if len(items) <= 2:
        return " and ".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _says(phrase: str, detail: str) -> bool:
    return (
        re.search(r"(?<![\w])" + re.escape(detail.lower()) + r"(?![\w])", phrase.lower())
        is not None
    )
