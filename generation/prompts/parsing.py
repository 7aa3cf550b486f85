"""Demand parser: free text (English, Chinese or both) -> structured avatar attributes.

Deterministic lexicon scan, no model. The text becomes a stream of units (an English word or one
Chinese character), the lexicon is matched longest-first over that stream, and three small passes
resolve what the matches mean:

1. colours and adjectives in front of a head noun describe it ("red hair", "蓝色的眼睛");
2. a negator removes the items that follow it ("without glasses", "不戴眼镜和帽子");
3. single-valued attributes keep their first explicit mention; hints only fill gaps.

Whatever is neither in the lexicon nor a stop word is reported in `unknown_words`, so the caller
can show "we did not understand: ..." and an optional `refine` hook (for example a small language
model) can take a second pass. Known limits: predicative phrasing ("eyes that are blue") is not
linked, and Chinese unknown text is reported as runs of characters rather than words.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from core.attributes import LIST_ATTRIBUTES, SINGLE_ATTRIBUTES
from generation.prompts import lexicon

# An optional second pass, e.g. a language model that maps leftover words to attributes. It gets
# the raw text and the lexicon result and returns a (possibly) improved result.
Refiner = Callable[[str, "ParsedDescription"], "ParsedDescription"]

# When nothing names the subject, these attributes imply one ("a girl with red hair" is human).
_SUBJECT_IMPLIED_BY = (
    ("animal", "animal"),
    ("gender", "human"),
    ("age", "human"),
    ("hair_style", "human"),
    ("hair_color", "human"),
)

_UNIT_RE = re.compile(r"[a-z0-9]+(?:'[a-z]+)*|[\u3400-\u9fff]|[,.;:!?()\[\]，。；：！？（）]")
_BOUNDARY_CHARS = set(",.;:!?()[]，。；：！？（）")


@dataclass(frozen=True)
class AttributeMatch:
    value: str
    source_words: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "source_words": list(self.source_words)}


@dataclass
class ParsedDescription:
    text: str
    language: str  # "en", "zh", "mixed" or "" for empty text
    style: AttributeMatch | None = None
    subject: AttributeMatch | None = None
    animal: AttributeMatch | None = None
    gender: AttributeMatch | None = None
    age: AttributeMatch | None = None
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
    # Things the user asked *not* to have, by attribute ("without glasses").
    excluded: dict[str, list[AttributeMatch]] = field(default_factory=dict)
    unknown_words: list[str] = field(default_factory=list)

    def attributes(self) -> dict[str, Any]:
        """Plain values for the prompt builder and engines; absent attributes are left out."""
        values: dict[str, Any] = {}
        for name in SINGLE_ATTRIBUTES:
            match = getattr(self, name)
            if match is not None:
                values[name] = match.value
        for name in LIST_ATTRIBUTES:
            items = getattr(self, name)
            if items:
                values[name] = [m.value for m in items]
        excluded = [m.value for matches in self.excluded.values() for m in matches]
        if excluded:
            values["exclude"] = excluded
        return values

    def to_dict(self) -> dict[str, Any]:
        matches: dict[str, Any] = {}
        for name in SINGLE_ATTRIBUTES:
            match = getattr(self, name)
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
            "unknown_words": list(self.unknown_words),
        }


# --- lexicon index -------------------------------------------------------------------------


@dataclass
class _Entry:
    terms: list[tuple[str, str, bool]] = field(default_factory=list)  # (attr, value, strong)
    head: str | None = None
    modifiers: list[tuple[str, str, str]] = field(default_factory=list)  # (head, attr, value)
    negator: bool = False
    conjunction: bool = False
    breaker: bool = False
    stop: bool = False


def _units(text: str) -> list[str]:
    return _UNIT_RE.findall(text)


def _build_index() -> tuple[dict[tuple[str, ...], _Entry], int]:
    index: dict[tuple[str, ...], _Entry] = {}

    def entry(phrase: str) -> _Entry:
        key = tuple(_units(_normalise(phrase)))
        return index.setdefault(key, _Entry())

    for strong, table in ((True, lexicon.LEXICON), (False, lexicon.HINTS)):
        for attr, values in table.items():
            for value, phrases in values.items():
                for phrase in phrases:
                    entry(phrase).terms.append((attr, value, strong))
    for head, phrases in lexicon.HEAD_NOUNS.items():
        for phrase in phrases:
            entry(phrase).head = head
    for head, attrs in lexicon.HEAD_MODIFIERS.items():
        for attr, values in attrs.items():
            for value, phrases in values.items():
                for phrase in phrases:
                    entry(phrase).modifiers.append((head, attr, value))
    for phrase in lexicon.NEGATORS:
        entry(phrase).negator = True
    for phrase in lexicon.CONJUNCTIONS:
        entry(phrase).conjunction = True
    for phrase in lexicon.SCOPE_BREAKERS:
        entry(phrase).breaker = True
    for phrase in lexicon.STOP_WORDS:
        entry(phrase).stop = True
    index.pop((), None)
    return index, max(len(key) for key in index)


_TRAD_TO_SIMPLIFIED = str.maketrans(lexicon.TRADITIONAL, lexicon.SIMPLIFIED)


def _normalise(text: str) -> str:
    # NFKC folds full-width "３Ｄ" to "3D"; then lower case and traditional -> simplified.
    return unicodedata.normalize("NFKC", text).lower().translate(_TRAD_TO_SIMPLIFIED)


_INDEX, _MAX_PHRASE = _build_index()


# --- scanning ------------------------------------------------------------------------------


@dataclass
class _Item:
    words: tuple[str, ...]
    entry: _Entry | None  # None: unknown unit or punctuation
    boundary: bool = False
    # Filled by the passes: (attr, value, strong) this item finally stands for.
    readings: list[tuple[str, str, bool]] = field(default_factory=list)
    negated: bool = False

    @property
    def source(self) -> str:
        return _join(self.words)


def _join(words: tuple[str, ...] | list[str]) -> str:
    # Latin words are separated by spaces, Chinese characters are not.
    out = ""
    for word in words:
        if out and out[-1].isascii() and out[-1].isalnum() and word[0].isascii():
            out += " "
        out += word
    return out


def _singular(word: str) -> str | None:
    if not word.isascii() or len(word) <= 3 or not word.endswith("s") or word.endswith("ss"):
        return None
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("xes", "ches", "shes")):
        return word[:-2]
    return word[:-1]


def _lookup(units: list[str], start: int) -> tuple[int, _Entry] | None:
    for length in range(min(_MAX_PHRASE, len(units) - start), 0, -1):
        key = tuple(units[start : start + length])
        found = _INDEX.get(key)
        if found is None:
            singular = _singular(key[-1])
            if singular:
                found = _INDEX.get(key[:-1] + (singular,))
        if found is not None:
            return length, found
    return None


def _scan(units: list[str]) -> list[_Item]:
    items: list[_Item] = []
    i = 0
    while i < len(units):
        unit = units[i]
        if unit in _BOUNDARY_CHARS:
            items.append(_Item((unit,), None, boundary=True))
            i += 1
            continue
        hit = _lookup(units, i)
        if hit is None:
            items.append(_Item((unit,), None))
            i += 1
            continue
        length, found = hit
        items.append(_Item(tuple(units[i : i + length]), found))
        i += length
    return items


# --- passes --------------------------------------------------------------------------------


def _head_of(item: _Item) -> str | None:
    if item.entry is None:
        return None
    if item.entry.head:
        return item.entry.head
    for attr, _, _ in item.entry.terms:
        if attr in lexicon.HEAD_ATTRIBUTES:
            return lexicon.HEAD_ATTRIBUTES[attr]
    return None


def _is_colour(item: _Item) -> bool:
    return item.entry is not None and any(a == "colors" for a, _, _ in item.entry.terms)


def _is_linkable(item: _Item) -> bool:
    # Colours, head adjectives, and values that may sit between them ("long blonde hair").
    return item.entry is not None and (
        _is_colour(item)
        or bool(item.entry.modifiers)
        or any(a in _RUN_ATTRIBUTES for a, _, _ in item.entry.terms)
    )


_RUN_ATTRIBUTES = {"hair_color"}


def _is_joiner(item: _Item) -> bool:
    # Words allowed between a modifier and its head: "blue and green eyes", "蓝色的眼睛".
    return item.entry is not None and (item.entry.conjunction or item.words == ("的",))


def _resolve_heads(items: list[_Item]) -> None:
    """Pass 1: give every item its readings, linking colours/adjectives to the head they precede."""
    i = 0
    while i < len(items):
        item = items[i]
        if not _is_linkable(item):
            if item.entry is not None:
                item.readings = [t for t in item.entry.terms if t[0] != "colors"]
                item.readings += [t for t in item.entry.terms if t[0] == "colors"]
            i += 1
            continue
        j = i
        while j < len(items) and (_is_linkable(items[j]) or _is_joiner(items[j])):
            j += 1
        head = _head_of(items[j]) if j < len(items) else None
        for run_item in items[i:j]:
            run_item.readings = _modifier_readings(run_item, head)
        i = j


def _modifier_readings(item: _Item, head: str | None) -> list[tuple[str, str, bool]]:
    assert item.entry is not None
    non_colour = [t for t in item.entry.terms if t[0] != "colors"]
    colours = [t for t in item.entry.terms if t[0] == "colors"]
    if head is None:
        return non_colour + colours
    readings = [(a, v, True) for h, a, v in item.entry.modifiers if h == head] + non_colour
    target = lexicon.COLOR_TARGETS.get(head)
    if target and colours:
        value = colours[0][1]
        if target == "hair_color":
            value = lexicon.HAIR_COLOR_ALIASES.get(value, value)
        readings.append((target, value, True))
    return readings or non_colour + colours


def _apply_negation(items: list[_Item]) -> None:
    """Pass 2: mark items inside "without ..." / "不戴..." scopes as negated."""
    state = "off"  # off | first (before the first negated item) | more (after a conjunction)
    for item in items:
        entry = item.entry
        if item.boundary:
            state = "off"
        elif entry is not None and entry.negator and not item.readings:
            state = "first"
        elif state == "off":
            continue
        elif item.readings:
            if state == "after":
                state = "off"
                continue
            # Colours before a negated noun just describe it ("without red hats").
            if all(a == "colors" for a, _, _ in item.readings):
                continue
            item.negated = True
            state = "after"
        elif entry is not None and entry.conjunction and state == "after":
            state = "more"
        elif entry is not None and entry.breaker and state in ("more", "after"):
            state = "off"
        elif entry is not None and (entry.stop or entry.head):
            continue
        else:
            state = "off"


def _collect(items: list[_Item], result: ParsedDescription) -> set[str]:
    """Pass 3: fill attributes (first strong mention wins), exclusions and unknown words."""
    unknown_run: list[str] = []
    weak: set[str] = set()  # single attributes currently filled only by a hint

    def flush_unknown() -> None:
        if unknown_run:
            result.unknown_words.append(_join(unknown_run))
            unknown_run.clear()

    for item in items:
        if item.entry is None and not item.boundary:
            word = item.words[0]
            if word.isascii():
                flush_unknown()
                result.unknown_words.append(word)
            else:
                unknown_run.append(word)  # adjacent Chinese characters form one unknown word
            continue
        flush_unknown()
        if item.boundary or item.entry is None:
            continue
        if not item.readings:
            if item.entry.modifiers and not (item.entry.stop or item.entry.head):
                result.unknown_words.append(item.source)
            continue
        for attr, value, strong in item.readings:
            match = AttributeMatch(value, item.words)
            if item.negated:
                _add_excluded(result, attr, match)
            else:
                _add(result, attr, match, strong, weak)
    flush_unknown()
    return weak


def _add(
    result: ParsedDescription, attr: str, match: AttributeMatch, strong: bool, weak: set[str]
) -> None:
    if attr in LIST_ATTRIBUTES:
        items: list[AttributeMatch] = getattr(result, attr)
        if all(m.value != match.value for m in items):
            items.append(match)
        return
    current = getattr(result, attr)
    if current is None or (strong and attr in weak):
        setattr(result, attr, match)
        if strong:
            weak.discard(attr)
        else:
            weak.add(attr)


def _add_excluded(result: ParsedDescription, attr: str, match: AttributeMatch) -> None:
    bucket = result.excluded.setdefault(attr, [])
    if all(m.value != match.value for m in bucket):
        bucket.append(match)


def _drop_excluded(result: ParsedDescription) -> None:
    # Negation wins over a mention elsewhere in the text.
    for attr, matches in result.excluded.items():
        values = {m.value for m in matches}
        if attr in LIST_ATTRIBUTES:
            setattr(result, attr, [m for m in getattr(result, attr) if m.value not in values])
        elif getattr(result, attr) is not None and getattr(result, attr).value in values:
            setattr(result, attr, None)


def _imply_subject(result: ParsedDescription, weak: set[str]) -> None:
    # Explicit words that imply a subject beat a mere hint ("ai avatar of a woman" is human).
    if result.subject is not None and "subject" not in weak:
        return
    for attr, subject in _SUBJECT_IMPLIED_BY:
        match = getattr(result, attr)
        if match is not None:
            result.subject = AttributeMatch(subject, match.source_words)
            return


def _language(units: list[str]) -> str:
    has_zh = any("\u3400" <= u[0] <= "\u9fff" for u in units)
    has_en = any(u[0].isascii() and u[0].isalpha() for u in units)
    if has_zh and has_en:
        return "mixed"
    return "zh" if has_zh else "en" if has_en else ""


def parse_description(text: str, *, refine: Refiner | None = None) -> ParsedDescription:
    """Parse a free-text avatar description into attributes, with the words behind each.

    `refine` is the extension point for a smarter second pass (e.g. a local language model
    that reads `unknown_words`); it must return a ParsedDescription and is not called for
    empty text.
    """
    units = _units(_normalise(text or ""))
    result = ParsedDescription(text=text or "", language=_language(units))
    items = _scan(units)
    _resolve_heads(items)
    _apply_negation(items)
    weak = _collect(items, result)
    _drop_excluded(result)
    _imply_subject(result, weak)
    if refine is not None and units:
        result = refine(text, result)
    return result
