"""Demand parser: free text (English, Chinese or both) -> structured avatar attributes, plus
everything else the user wrote, so nothing is silently lost.

`scanning` turns the text into items (lexicon phrases, WordNet nouns, CC-CEDICT glosses, ages);
then four passes:
1. objects: after "holding"/"拿着" nouns are props, after "with"/"戴" they are worn; neither
   is the character ("a knight on a white horse" is no horse);
2. binding: a colour or adjective belongs to the noun it precedes ("red dress", "红色帽子",
   "blue eyes"); only one before the character or standing alone colours the character;
3. negation covers the noun phrase after "no/not/without/不是/没有" (and phrases joined to it
   by "or/and"), or the one before "-free"/"-less";
4. collect: attributes (first strong mention wins), exclusions, WordNet roles and animals; the
   rest stays as prompt parts (`parsed.parts_of`) or is reported as not understood, with why.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from core.attributes import LIST_ATTRIBUTES
from generation.prompts import lexicon, wordnet
from generation.prompts.parsed import (
    AttributeMatch,
    ParsedDescription,
    PromptPart,
    drop_excluded,
    head_phrase,
    imply_subject,
    language_of,
    origin_of,
    parts_of,
    phrase_of,
    report_unknown,
)
from generation.prompts.scanning import Item, scan

__all__ = ["AttributeMatch", "ParsedDescription", "PromptPart", "Refiner", "parse_description"]

# An optional second pass (see `refining`): gets the raw text and this result, returns a result.
Refiner = Callable[[str, "ParsedDescription"], "ParsedDescription"]

_PRONOUNS = {"he", "his", "him", "she", "her", "hers", "他", "她"}
_CHARACTER_ATTRS = {"subject", "animal", "gender", "age", "role"}
_OBJECT_ATTRS = {"clothing", "accessories"}


# --- pass 1: objects -------------------------------------------------------------------------


def _marker(item: Item) -> str | None:
    if item.entry is not None and item.entry.object_marker:
        return "action" if item.source in _ACTION else "wear"
    if _verb_ing(item):
        return "action"  # an unknown verb: "juggling coffee mugs"
    return None


def _verb_ing(item: Item) -> bool:
    return (
        item.entry is None
        and item.lang == "en"
        and item.source.endswith("ing")
        and not (item.age or item.adjective)
    )


def _modifies_noun(items: list[Item], i: int) -> bool:
    """An "-ing" word used as an adjective: "reading glasses", "a walking stick", "with
    running shoes": it follows no noun, and a noun follows it directly (no "a"/"the")."""
    item = items[i]
    if item.lang != "en" or not item.source.endswith("ing") or i + 1 >= len(items):
        return False
    before, after = items[i - 1] if i else None, items[i + 1]
    if item.entry is not None and (before is None or before.boundary):
        return False  # ", holding flowers" is an action; "with reading glasses" is not
    starts = before is None or before.boundary or (
        before.entry is not None and (before.entry.stop or before.entry.object_marker)
        and not before.entry.terms
    ) or _is_modifier(before)  # fmt: skip
    follows = not after.boundary and _is_noun(after) and not (
        after.entry is not None and after.entry.stop and not after.entry.terms
    )  # fmt: skip
    return starts and follows and _marker(after) is None


_ACTION = set(lexicon.ACTION_MARKERS)


def _mark_objects(items: list[Item]) -> None:
    state = None
    for i, item in enumerate(items):
        if item.boundary or item.words == ("的",):
            state = None
            continue
        kind = None if _modifies_noun(items, i) else _marker(item)
        if kind:
            state = kind
        elif state:
            item.in_object = state  # type: ignore[assignment]


# --- pass 2: readings and binding ----------------------------------------------------------


def _character_kind(item: Item) -> str | None:
    return _noun_kind(item.noun) if item.noun else None


@functools.lru_cache(maxsize=16384)
def _noun_kind(noun: str) -> str | None:
    """Animal or person, for an unknown noun WordNet places there."""
    nouns = wordnet.nouns()
    if noun in lexicon.MODERN_ROLES:
        return "person"
    kind = nouns.category(noun) if nouns else None
    return {wordnet.PERSON_LEXFILE: "person", wordnet.ANIMAL_LEXFILE: "animal"}.get(kind or -1)


def _object_value(item: Item) -> tuple[str, str] | None:
    return _noun_object(item.noun) if item.noun else None


@functools.lru_cache(maxsize=16384)
def _noun_object(noun: str, senses: int = 1) -> tuple[str, str] | None:
    """An unknown noun whose WordNet hypernym the lexicon knows: "raincoat" -> clothing jacket.

    Only a hypernym's main name counts: "mask" is a kind of "attire, garb, dress", which is no
    dress. `senses` > 1 also tries later senses ("hard hat" is first a construction worker)."""
    nouns = wordnet.nouns()
    if nouns is None:
        return None
    for sense in range(senses):
        for ancestor in nouns.ancestors(noun, depth=2, sense=sense):
            for attr in _OBJECT_ATTRS:
                value = _OBJECT_PHRASES[attr].get(ancestor.lemmas[0])
                if value:
                    return attr, value
    return None


# Hypernyms that make a noun young: "schoolchild" (juvenile), "piglet" (young mammal).
_YOUNG_ANCESTORS = {"juvenile": "child", "child": "child", "young mammal": "child"}


@functools.lru_cache(maxsize=16384)
def _noun_age(noun: str) -> str | None:
    nouns = wordnet.nouns()
    if nouns is None or noun in lexicon.NOT_ROLES:
        return None
    for ancestor in nouns.ancestors(noun, depth=3):
        if ancestor.lemmas[0] in _YOUNG_ANCESTORS:
            return _YOUNG_ANCESTORS[ancestor.lemmas[0]]
    return None


@functools.lru_cache(maxsize=16384)
def _adjective_value(word: str) -> tuple[str, str] | None:
    """An unknown adjective whose WordNet synonyms or cluster head the lexicon knows as an
    expression: "jolly" (similar to "joyous") -> happy."""
    adjectives = wordnet.adjectives()
    if adjectives is None:
        return None
    for lemma in adjectives.head_lemmas(word):
        value = _EXPRESSIONS.get(lemma)
        if value:
            return "expression", value
    return None


@functools.lru_cache(maxsize=4096)
def _animal_of(noun: str) -> str:
    """A compound that is a kind of its last word, which the lexicon knows, takes the lexicon's
    animal ("tabby cat" -> cat, "polar bear" -> bear; the phrase keeps the user's words); one
    that is not stays itself ("red panda" is no panda)."""
    nouns = wordnet.nouns()
    if " " not in noun or nouns is None:
        return noun
    head = noun.rsplit(" ", 1)[1]
    value = _ANIMALS.get(head)
    if value and any(head in a.lemmas for a in nouns.ancestors(noun, depth=3)):
        return value
    return noun


@functools.lru_cache(maxsize=4096)
def _noun_gender(noun: str) -> str | None:
    """The gender an English person noun carries in its form: "-woman", "-girl" and "-ess" made
    from a person noun ("actress" from actor, "cowgirl"), or "-boy" ("paperboy")."""
    word = noun.rsplit(" ", 1)[-1]
    if word.endswith(("woman", "girl")):
        return "female"
    if word.endswith("boy"):
        return "male"
    nouns = wordnet.nouns()
    if word.endswith("ess") and nouns is not None:
        stem = word[:-3].removesuffix("r")  # waitr-ess, act-r-ess
        parents = [a.lemmas[0] for a in nouns.ancestors(word, depth=1)]
        if any(p != word and p.startswith(stem) and len(stem) >= 3 for p in parents):
            return "female"
    return None


def _role_of(noun: str) -> str:
    """A compound role names its kind by its last word when WordNet knows that word as a
    person: "truck driver" -> driver, "punk rocker" -> rocker; the phrase keeps the rest."""
    if " " not in noun:
        return noun
    head = noun.rsplit(" ", 1)[1]
    return head if _noun_kind(head) == "person" and head not in lexicon.NOT_ROLES else noun


_GENDERED_ROLES = {r: r for roles in lexicon.GENDERED_ROLES.values() for r in roles}
_ANIMALS = {
    p: v for v, phrases in lexicon.LEXICON["animal"].items() for p in phrases if p.isascii()
}
_EXPRESSIONS = {
    p: v for v, phrases in lexicon.LEXICON["expression"].items() for p in phrases if p.isascii()
}
_OBJECT_PHRASES = {
    attr: {p: v for v, phrases in lexicon.LEXICON[attr].items() for p in phrases if p.isascii()}
    for attr in _OBJECT_ATTRS
}


def _base_readings(item: Item) -> list[tuple[str, str, bool]]:
    if item.age:
        return [("age", item.age, True)]
    if item.entry is not None:
        readings = [t for t in item.entry.terms if t[0] != "colors"]
        role = _GENDERED_ROLES.get(" ".join(item.words))
        return readings + [("role", role, True)] if role else readings
    if item.noun is None:
        return _adjective_readings(item)
    kind = _character_kind(item)
    age = _noun_age(item.noun) if kind else None
    young = [("age", age, False)] if age else []
    if kind == "animal":
        return [("animal", _animal_of(item.noun), False), *young]
    if kind == "person" and item.in_object and (found := _noun_object(item.noun, senses=2)):
        return [(found[0], found[1], False)]  # "with a yellow hard hat" is a hat
    if kind == "person" and item.noun not in lexicon.NOT_ROLES:
        gender = _noun_gender(item.noun)
        said = [("gender", gender, False)] if gender else []
        return [("role", _role_of(item.noun), True), *young, *said]
    found = _object_value(item)
    return [(found[0], found[1], False)] if found else young or _adjective_readings(item)


def _adjective_readings(item: Item) -> list[tuple[str, str, bool]]:
    if not (item.adjective and item.lang == "en" and not item.in_object):
        return []
    found = _adjective_value(item.words[0])
    return [(found[0], found[1], False)] if found else []


def _is_colour(item: Item) -> bool:
    return item.entry is not None and any(a == "colors" for a, _, _ in item.entry.terms)


def _is_modifier(item: Item) -> bool:
    if item.entry is not None:
        return (
            _is_colour(item)
            or bool(item.entry.modifiers)
            or any(a == "hair_color" for a, _, _ in item.entry.terms)
        )
    return item.adjective and item.noun is None


def _is_noun(item: Item) -> bool:
    if item.entry is not None:
        return bool(item.entry.head) or any(a in _NOUN_ATTRS for a, _, _ in item.entry.terms)
    # A CC-CEDICT gloss reads like English: "红领巾" -> "red neckscarf" ends in a noun.
    english = item.lang == "en" or bool(item.gloss)
    return item.noun is not None or (english and not item.adjective and bool(item.words))


_NOUN_ATTRS = {"subject", "animal", "gender", "clothing", "accessories", "hair_style", "eye_style",
               "background", "role"}  # fmt: skip


def _head_after(items: list[Item], i: int) -> Item | None:
    """The noun that the modifier at `i` describes: the last noun of the run that follows."""
    j = i + 1
    while j < len(items) and (
        _is_modifier(items[j]) or _is_joiner(items[j]) or _shades_colour(items, j)
    ):
        j += 1
    head = None
    while j < len(items) and _is_noun(items[j]) and not items[j].boundary:
        if head is not None and (_marker(items[j]) or _verb_ing(items[j])):
            break  # "pink flamingo doing yoga": the noun run ends at the verb
        head = items[j]
        if _head_name(head):
            break  # "blue-haired punk": the colour is the hair's
        j += 1
    if head is not None and _colour_word(items, i, head):
        return None  # "teal and coral": a second colour, not a coral
    return head


def _colour_word(items: list[Item], i: int, head: Item) -> bool:
    j = items.index(head)
    after = items[j + 1] if j + 1 < len(items) else None
    joined = any(_is_joiner(x) for x in items[i + 1 : j])
    ends = after is None or after.boundary or _is_joiner(after)
    return joined and ends and head.entry is None and head.adjective


def _shades_colour(items: list[Item], j: int) -> bool:
    # "mint green", "sky blue": a noun right before a colour shades it.
    return j + 1 < len(items) and items[j].entry is None and _is_colour(items[j + 1])


def _is_joiner(item: Item) -> bool:
    return item.entry is not None and (item.entry.conjunction or item.words == ("的",))


def _bind(items: list[Item], first_noun: Item | None) -> None:
    for i, item in enumerate(items):
        item.readings = _base_readings(item)
        if _is_role(item) and i + 1 < len(items) and _is_role(items[i + 1]):
            item.readings = []  # "hipster barista", "punk rocker": the last noun is the role
        if _zh_noun_on_object(items, i):
            # "皮夹克" -> leather + 夹克: the glossed noun says what the jacket is made of.
            item.readings, item.bound = [], True
            items[i + 1].modifiers.append(item)
            continue
        if not _is_modifier(item) or item.entry is None:
            continue
        head = _head_after(items, i)
        head_name = _head_name(head)
        colours = [t for t in item.entry.terms if t[0] == "colors"]
        mods = [(a, v, True) for h, a, v in item.entry.modifiers if h == head_name]
        target = lexicon.COLOR_TARGETS.get(head_name or "")
        if target and colours:
            value = colours[0][1]
            if target == "hair_color":
                value = lexicon.HAIR_COLOR_ALIASES.get(value, value)
            item.readings = [*mods, *item.readings, (target, value, True)]
        elif head_name:
            item.readings = [*mods, *item.readings]
        elif head is None and _colour_as_noun(items, i):
            pass  # "with long hair and a tan", "an orange, a banana": a thing, not a colour
        elif head is None or _names_character(head) or (head is first_noun and head.entry is None):
            item.readings += mods + colours if head else colours
        else:
            # A colour on a thing ("red dress", "green coffee cup") belongs to that thing.
            item.readings = [t for t in item.readings if t[0] != "hair_color"] + mods
            item.bound = True
            head.modifiers.append(item)
        if target and head is not None:
            head.bound_head = True


def _colour_as_noun(items: list[Item], i: int) -> bool:
    """A colour word after "a"/"an" that ends its phrase names a thing."""
    before = items[i - 1] if i else None
    ends = i + 1 >= len(items) or items[i + 1].boundary
    return ends and before is not None and before.words in (("a",), ("an",))


def _zh_noun_on_object(items: list[Item], i: int) -> bool:
    item, after = items[i], items[i + 1] if i + 1 < len(items) else None
    return (
        item.lang == "zh"
        and bool(item.gloss)
        and item.entry is None
        and item.noun is not None
        and after is not None
        and after.lang == "zh"
        and after.entry is not None
        and not after.gloss
        and any(a in _OBJECT_ATTRS for a, _, _ in after.entry.terms)
    )


def _is_role(item: Item) -> bool:
    return item.entry is None and _character_kind(item) == "person"


def _head_name(item: Item | None) -> str | None:
    if item is None or item.entry is None:
        return None
    if item.entry.head:
        return item.entry.head
    for attr, _, _ in item.entry.terms:
        if attr in lexicon.HEAD_ATTRIBUTES:
            return lexicon.HEAD_ATTRIBUTES[attr]
    return None


def _names_character(item: Item) -> bool:
    if item.in_object:
        return False  # "a knight on a white horse": the horse is white, not the knight
    if item.entry is not None:
        return any(a in ("subject", "animal", "gender") for a, _, _ in item.entry.terms)
    return _character_kind(item) is not None


# --- pass 3: negation ------------------------------------------------------------------------


def _negate(items: list[Item]) -> None:
    state = "off"  # off | open (before the phrase) | inside | more (after "or"/"and")
    for i, item in enumerate(items):
        entry = item.entry
        if entry is not None and entry.postfix_negator and i > 0:
            _negate_previous(items, i)
            continue
        if item.boundary or (item.words == ("的",) and state == "inside"):
            state = "off"  # "不戴眼镜的机器人": the negated clause ends at 的
        elif entry is not None and entry.negator and not entry.terms:
            state = "open"
        elif state == "off":
            continue
        elif entry is not None and entry.breaker and state != "open":
            state = "off"
        elif entry is not None and entry.conjunction:
            state = "more" if state == "inside" else state
        elif item.content and not (entry and entry.stop and not entry.terms):
            if state == "inside" and _is_noun(item) and not item.bound and _closed(items, i):
                state = "off"
                continue
            item.negated = True
            state = "inside"


def _closed(items: list[Item], i: int) -> bool:
    """True when the negated phrase already ended with a noun before item `i`."""
    previous = items[i - 1]
    return previous.negated and _is_noun(previous) and not previous.bound


def _negate_previous(items: list[Item], i: int) -> None:
    j = i - 1
    while j >= 0 and not items[j].boundary:
        items[j].negated = True
        if not (j > 0 and items[j - 1].bound):
            break
        j -= 1


# --- pass 4: collect -----------------------------------------------------------------------


def _collect(items: list[Item], result: ParsedDescription) -> set[str]:
    weak: set[str] = set()
    seen_character = False
    for item in items:
        if item.boundary:
            continue
        readings = item.readings
        if item.age or item.words[0] in _PRONOUNS:
            pass  # "in her 40s" still describes the character
        elif item.in_object == "action" or (item.in_object and seen_character):
            # "in red and gold" still colours the character; "with a horse" is no animal.
            readings = [r for r in readings if r[0] not in _CHARACTER_ATTRS]
        if item.in_object == "action" and not item.age:
            readings = [r for r in readings if r[0] in ("background", "background_color")]
        phrase = phrase_of(item)
        for attr, value, strong in readings:
            said = phrase if phrase != value else ""
            match = AttributeMatch(value, tuple(item.words), said, origin_of(item))
            if item.negated:
                _add_excluded(result, attr, match, item)
            else:
                _add(result, attr, match, strong, weak)
        head_only = item.entry is not None and item.entry.head and not item.entry.terms
        if not readings and item.negated and item.content and not item.bound and not head_only:
            _add_excluded(result, "details", AttributeMatch(phrase, tuple(item.words), phrase,
                                                            origin_of(item)), item)  # fmt: skip
        if any(r[0] in ("subject", "animal", "gender", "role") for r in readings):
            seen_character = True
        report_unknown(item, result)
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
        (weak.discard if strong else weak.add)(attr)


def _add_excluded(result: ParsedDescription, attr: str, match: AttributeMatch, item: Item) -> None:
    if attr in lexicon.HEAD_ATTRIBUTES.values() or attr in ("hair_color", "eye_color"):
        match = AttributeMatch(
            match.value, match.source_words, head_phrase(item, attr), match.origin
        )
    bucket = result.excluded.setdefault(attr, [])
    if all(m.value != match.value for m in bucket):
        bucket.append(match)


def parse_description(text: str, *, refine: Refiner | None = None) -> ParsedDescription:
    """Parse a free-text avatar description into attributes, with the words behind each.

    `refine` is an optional second pass over what the lexicon left (see `refining`); it must
    return a ParsedDescription and is not called for empty text.
    """
    items = scan(text or "")
    result = ParsedDescription(text=text or "", language=language_of(items))
    _mark_objects(items)
    first_noun = next(
        (i for i in items if _is_noun(i) and not (i.boundary or i.in_object) and i.content), None
    )
    _bind(items, first_noun)
    _negate(items)
    weak = _collect(items, result)
    drop_excluded(result)
    imply_subject(result, weak)
    result.parts = parts_of(items, keep_all=result.language == "en")
    result.details = parts_of(items, keep_all=False)
    if refine is not None and items:
        result = refine(text, result)
    return result
