"""The parser's value objects: what a description was understood to say, and the parts of the
prompt built from the user's own words (`parts_of`)."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

from core.attributes import LIST_ATTRIBUTES, SINGLE_ATTRIBUTES
from generation.prompts import chinese, wordnet
from generation.prompts.scanning import Item, lookup, units

_SUBJECT_IMPLIED_BY = (
    ("animal", "animal"),
    ("gender", "human"),
    ("age", "human"),
    ("role", "human"),
    ("hair_style", "human"),
    ("hair_color", "human"),
)
_PERSON_ATTRS = {"gender", "age"}
_NOT_UNDERSTOOD = "not in the lexicon, WordNet or CC-CEDICT"


@dataclass(frozen=True)
class AttributeMatch:
    value: str
    source_words: tuple[str, ...]
    phrase: str = ""  # how the user put it, e.g. "red dress" for clothing "dress"
    origin: str = "lexicon"  # lexicon | wordnet | cedict | number | refiner

    def to_dict(self) -> dict[str, Any]:
        out = {"value": self.value, "source_words": list(self.source_words), "origin": self.origin}
        if self.phrase:
            out["phrase"] = self.phrase
        return out


@dataclass(frozen=True)
class PromptPart:
    """A piece of the prompt and where it came from."""

    text: str  # English, as it goes into the prompt
    source: str  # the user's words behind it
    origin: str  # "your words" | "lexicon" | "cc-cedict" | "wordnet" | ...

    def to_dict(self) -> dict[str, str]:
        return {"text": self.text, "source": self.source, "origin": self.origin}


@dataclass
class ParsedDescription:
    text: str
    language: str  # "en", "zh", "mixed" or "" for empty text
    style: AttributeMatch | None = None
    subject: AttributeMatch | None = None
    animal: AttributeMatch | None = None
    gender: AttributeMatch | None = None
    age: AttributeMatch | None = None
    role: AttributeMatch | None = None
    expression: AttributeMatch | None = None
    hair_style: AttributeMatch | None = None
    hair_color: AttributeMatch | None = None
    eye_color: AttributeMatch | None = None
    eye_style: AttributeMatch | None = None
    head_shape: AttributeMatch | None = None
    clothing: AttributeMatch | None = None
    background: AttributeMatch | None = None
    background_color: AttributeMatch | None = None
    accessories: list[AttributeMatch] = field(default_factory=list)
    colors: list[AttributeMatch] = field(default_factory=list)
    # Things the user asked *not* to have, by attribute ("without glasses", "no text").
    excluded: dict[str, list[AttributeMatch]] = field(default_factory=dict)
    # What the user wrote in their order, in English, minus negated phrases (see PromptPart).
    parts: list[PromptPart] = field(default_factory=list)
    # Only the parts no attribute stands for, for prompts that render the attributes themselves.
    details: list[PromptPart] = field(default_factory=list)
    unknown_words: list[str] = field(default_factory=list)
    not_understood: list[dict[str, str]] = field(default_factory=list)
    refiner: str = "off"

    def attributes(self) -> dict[str, Any]:
        """Plain values for the prompt builder and engines; absent attributes are left out."""
        values: dict[str, Any] = {}
        for name in SINGLE_ATTRIBUTES:
            match = getattr(self, name, None)
            if match is not None:
                values[name] = match.value
        for name in LIST_ATTRIBUTES:
            items = getattr(self, name)
            if items:
                values[name] = [m.value for m in items]
        excluded = [m.phrase or m.value for matches in self.excluded.values() for m in matches]
        if excluded:
            values["exclude"] = list(dict.fromkeys(excluded))
        return values

    def phrases(self) -> dict[str, str]:
        """Value -> the user's phrase for it where they differ ("dress" -> "red dress")."""
        out = {}
        if self.gender is not None and self.gender.origin == "lexicon":
            noun = _person_gloss("".join(self.gender.source_words))
            if noun:
                out["character"] = noun  # 女孩 -> "girl" rather than the generic "woman"
        for name in ("animal", "role", "clothing", "accessories"):
            matches = getattr(self, name)
            for match in matches if isinstance(matches, list) else [matches]:
                if match is not None and match.phrase and match.phrase != match.value:
                    out[match.value] = match.phrase
        return out

    def to_dict(self) -> dict[str, Any]:
        matches: dict[str, Any] = {}
        for name in SINGLE_ATTRIBUTES:
            match = getattr(self, name, None)
            if match is not None:
                matches[name] = match.to_dict()
        for name in LIST_ATTRIBUTES:
            items = getattr(self, name)
            if items:
                matches[name] = [m.to_dict() for m in items]
        return {
            "text": self.text,
            "language": self.language,
            "attributes": self.attributes(),
            "matches": matches,
            "excluded": {k: [m.to_dict() for m in v] for k, v in self.excluded.items()},
            "parts": [p.to_dict() for p in self.parts],
            "unknown_words": list(self.unknown_words),
            "not_understood": list(self.not_understood),
            "refiner": self.refiner,
        }


def _person_gloss(word: str) -> str | None:
    if word.isascii():
        return None
    nouns = wordnet.nouns()
    gloss = next(iter(chinese.glosses(word)), "")
    if nouns and gloss.isalpha() and nouns.category(gloss) == wordnet.PERSON_LEXFILE:
        return gloss
    return None


def parts_of(items: list[Item], keep_all: bool) -> list[PromptPart]:
    """The user's words in their order, as English prompt pieces, minus negated phrases.

    For English every word is kept verbatim; for Chinese and mixed text only what no attribute
    stands for (the attributes are rendered in English by the prompt builder)."""
    parts: list[PromptPart] = []
    run: list[Item] = []

    def flush() -> None:
        while run and not _keeps_edge(run[0]):
            run.pop(0)
        while run and not _keeps_edge(run[-1]):
            run.pop()
        if run:
            # A Chinese lexicon word inside a detail ("蓝色" in 蓝色工作服) says its value.
            text = " ".join(w for w in (english(i) for i in run) if w)
            source = (
                " ".join(i.source for i in run)
                if run[0].lang == "en"
                else "".join(dict.fromkeys(i.source for i in run))
            )
            origin = "your words" if all(i.lang == "en" for i in run) else "cc-cedict"
            if text:
                parts.append(PromptPart(text, source, origin))
        run.clear()

    # A colour bound to a thing goes wherever its thing goes ("黄色雨靴" -> "yellow rain boots"
    # as a detail; "红色帽子" -> "red hat" rendered with the hat attribute, not again here).
    with_head = {id(m): _is_detail(i) for i in items for m in i.modifiers}
    for item in items:
        entry = item.entry
        if item.boundary or item.negated or (entry and (entry.negator or entry.postfix_negator)):
            flush()
        elif keep_all or with_head.get(id(item), _is_detail(item)):
            run.append(item)
        elif run and (item.lang == "zh" or item.readings):
            # Something the attributes render sits between two details ("钓鱼竿的北极熊"):
            # they are two phrases, not one.
            flush()
    flush()
    return parts


def _is_detail(item: Item) -> bool:
    if item.gloss and item.entry is not None:
        return True  # a hint such as 赛博朋克: its English carries more than the attribute
    strong = [r for r in item.readings if r[2]]
    if strong and not item.in_object:
        return False
    if item.bound or item.bound_head:
        return not any(r for m in [item] for r in item.readings) and not item.bound_head
    return bool(item.gloss) or (item.lang == "en" and item.content)


def _keeps_edge(item: Item) -> bool:
    entry = item.entry
    return not (entry is not None and (entry.stop or entry.conjunction) and not entry.terms)


def language_of(items: list[Item]) -> str:
    langs = {i.lang for i in items if not i.boundary}
    en = any(i.lang == "en" and not i.gloss for i in items if not i.boundary)
    if "zh" in langs and en:
        return "mixed"
    return "zh" if "zh" in langs else "en" if en else ""


def origin_of(item: Item) -> str:
    if item.age:
        return "number"
    if item.gloss:
        return "cc-cedict"
    return "lexicon" if item.entry is not None else "wordnet"


def english(item: Item) -> str:
    """English for one item: the user's word, its gloss, or a Chinese lexicon word's value."""
    if item.lang == "en" or item.gloss:
        return item.text
    terms = item.entry.terms if item.entry else []
    values = [(a, v) for a, v, _ in terms if a != "subject"] or [(a, v) for a, v, _ in terms]
    return _lexicon_english("".join(item.words), *values[0]) if values else ""


@functools.lru_cache(maxsize=4096)
def _lexicon_english(word: str, attr: str, value: str) -> str:
    """For a person word, the user's own word in English when the dictionary has one with the
    same value ("女孩" -> "girl", not the attribute's "female"), else the value."""
    if attr not in _PERSON_ATTRS:
        return value  # "帽子" is a hat, "领带" a tie: the value is already the noun
    for gloss in chinese.glosses(word)[:4]:
        found = lookup(units(gloss), 0)
        if (
            found
            and found[0] == len(units(gloss))
            and (attr, value) in {(a, v) for a, v, _ in found[1].terms}
        ):
            return gloss
    return value


def phrase_of(item: Item) -> str:
    if item.lang == "en" and not item.gloss:
        return " ".join([english(m) for m in item.modifiers] + [item.source])
    return " ".join(w for w in [*(english(m) for m in item.modifiers), english(item)] if w)


def head_phrase(item: Item, attr: str) -> str:
    # "not blue hair" excludes "blue hair", not every blue thing.
    noun = {"hair_color": "hair", "eye_color": "eyes", "background_color": "background"}.get(attr)
    return f"{english(item)} {noun}" if noun else english(item)


def report_unknown(item: Item, result: ParsedDescription) -> None:
    if item.entry is not None or item.age or item.noun or item.adjective or item.boundary:
        return
    word = item.source
    if item.lang == "zh" and not item.gloss:
        reason = "no dictionary entry (CC-CEDICT); left out of the prompt"
    elif item.lang == "en" and word.isalpha() and len(word) > 1 and not item.gloss:
        reason = f"{_NOT_UNDERSTOOD}; passed to the image model as written"
    else:
        return
    if word not in result.unknown_words:
        result.unknown_words.append(word)
        result.not_understood.append({"text": word, "reason": reason})


def drop_excluded(result: ParsedDescription) -> None:
    for attr, matches in result.excluded.items():
        if attr == "details":
            continue
        values = {m.value for m in matches}
        if attr in LIST_ATTRIBUTES:
            setattr(result, attr, [m for m in getattr(result, attr) if m.value not in values])
        elif getattr(result, attr) is not None and getattr(result, attr).value in values:
            setattr(result, attr, None)


def imply_subject(result: ParsedDescription, weak: set[str]) -> None:
    if result.subject is not None and "subject" not in weak:
        return
    for attr, subject in _SUBJECT_IMPLIED_BY:
        match = getattr(result, attr)
        if match is not None:
            result.subject = AttributeMatch(subject, match.source_words, origin=match.origin)
            return
