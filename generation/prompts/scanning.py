"""Text -> items: the parser's tokenizer.

English is split into words and matched against the lexicon longest-first; a WordNet compound
noun longer than the lexicon match wins ("red panda" is an animal, not red + panda). Chinese is
converted to simplified characters, segmented with jieba, matched against the lexicon within
word boundaries, and what the lexicon does not cover is glossed with CC-CEDICT and then read as
English. Ages written as numbers ("5-year-old", "in her 40s", "三十多岁") become one item.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass, field, replace

from generation.prompts import chinese, lexicon, wordnet
from generation.prompts.ages import AGE_RE, age_value

_HAN = re.compile(r"[\u3400-\u9fff]")
_CHINESE_RUN = re.compile(r"[\u3400-\u9fff]+")
_EN_UNIT = re.compile(r"-(?:free|less)\b|[a-z0-9]+(?:'[a-z]+)*|[,.;:!?()\[\]，。；：！？（）、/]")
BOUNDARY_CHARS = set(",.;:!?()[]，。；：！？（）")


@dataclass
class Entry:
    terms: list[tuple[str, str, bool]] = field(default_factory=list)  # (attr, value, strong)
    head: str | None = None
    modifiers: list[tuple[str, str, str]] = field(default_factory=list)  # (head, attr, value)
    negator: bool = False
    postfix_negator: bool = False
    conjunction: bool = False
    breaker: bool = False
    stop: bool = False
    object_marker: bool = False


@dataclass
class Item:
    """One unit of meaning: a lexicon phrase, an English word, a gloss, an age or punctuation."""

    words: tuple[str, ...]  # normalised units, as matched
    source: str  # the user's own words behind it
    lang: str  # "en" | "zh"
    entry: Entry | None = None
    boundary: bool = False
    gloss: str = ""  # English for a Chinese word the lexicon did not cover (CC-CEDICT)
    noun: str | None = None  # WordNet noun lemma of an unknown English word or compound
    adjective: bool = False  # known to WordNet as an adjective
    age: str | None = None
    # Filled by the parser's passes.
    readings: list[tuple[str, str, bool]] = field(default_factory=list)
    negated: bool = False
    in_object: bool = False  # part of "with a cup", "holding ...", "戴着..." (not the character)
    modifiers: list[Item] = field(default_factory=list)  # colours bound to this object
    bound: bool = False  # a colour/adjective that now belongs to the item after it
    bound_head: bool = False  # a head noun ("hair") whose modifiers became attributes

    @property
    def text(self) -> str:
        """English for the prompt."""
        if self.lang == "zh":
            return self.gloss or join(self.words)
        return self.source

    @property
    def content(self) -> bool:
        e = self.entry
        return not self.boundary and not (e and (e.stop or e.conjunction) and not e.terms)


def join(words: tuple[str, ...] | list[str]) -> str:
    out = ""
    for word in words:
        if out and out[-1].isascii() and out[-1].isalnum() and word[:1].isascii():
            out += " "
        out += word
    return out


def normalise(text: str) -> str:
    text = chinese.to_simplified(unicodedata.normalize("NFKC", text)).lower()
    for mixed, english in lexicon.MIXED_WORDS.items():
        text = text.replace(mixed, f" {english} ")
    return text


def units(text: str) -> list[str]:
    out = []
    for piece in re.split(r"([\u3400-\u9fff]+)", text):
        out.extend(list(piece) if _HAN.match(piece or " ") else _EN_UNIT.findall(piece))
    return out


# --- lexicon index ---------------------------------------------------------------------------


def _wordnet_synonyms(table: dict[str, dict[str, list[str]]], known: set[str]) -> None:
    """Add WordNet synonyms of lexicon words: only lemmas whose first sense is the same synset,
    so "spectacles" brings "eyeglasses" but "cat" never brings "guy"."""
    nouns, adjectives = wordnet.nouns(), wordnet.adjectives()
    for attr, pos in lexicon.WORDNET_EXPANDED.items():
        source = nouns if pos == "noun" else adjectives
        if source is None:
            continue
        for phrases in table[attr].values():
            for phrase in list(phrases):
                if phrase.isascii():
                    for synonym in source.first_sense_synonyms(phrase):
                        if synonym not in known and synonym.isascii():
                            phrases.append(synonym)
                            known.add(synonym)


@functools.cache
def index() -> tuple[dict[tuple[str, ...], Entry], int]:
    table = {
        attr: {v: list(p) for v, p in values.items()} for attr, values in lexicon.LEXICON.items()
    }
    known = {p for values in table.values() for ps in values.values() for p in ps}
    _wordnet_synonyms(table, known)
    found: dict[tuple[str, ...], Entry] = {}

    def entry(phrase: str) -> Entry:
        return found.setdefault(tuple(units(normalise(phrase))), Entry())

    for strong, source in ((True, table), (False, lexicon.HINTS)):
        for attr, values in source.items():
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
    flags = (
        (lexicon.NEGATORS, "negator"), (lexicon.POSTFIX_NEGATORS, "postfix_negator"),
        (lexicon.CONJUNCTIONS, "conjunction"), (lexicon.SCOPE_BREAKERS, "breaker"),
        (lexicon.STOP_WORDS, "stop"), (lexicon.OBJECT_MARKERS, "object_marker"),
    )  # fmt: skip
    for phrases, flag in flags:
        for phrase in phrases:
            setattr(entry(phrase), flag, True)
    found.pop((), None)
    chinese.add_words(["".join(key) for key in found if _HAN.match(key[0])])
    chinese.add_words(list(lexicon.ZH_GLOSSARY))
    return found, max(len(key) for key in found)


def _singular(word: str) -> str | None:
    if not word.isascii() or len(word) <= 3 or not word.endswith("s") or word.endswith("ss"):
        return None
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("xes", "ches", "shes")):
        return word[:-2]
    return word[:-1]


def lookup(seq: list[str], start: int, stop: int | None = None) -> tuple[int, Entry] | None:
    found, longest = index()
    end = len(seq) if stop is None else stop
    for length in range(min(longest, end - start), 0, -1):
        key = tuple(seq[start : start + length])
        hit = found.get(key)
        if hit is None and (singular := _singular(key[-1])):
            hit = found.get(key[:-1] + (singular,))
        if hit is None and key[-1].endswith("'s"):
            hit = found.get(key[:-1] + (key[-1][:-2],))
        if hit is not None:
            return length, hit
    return None


# --- scanning --------------------------------------------------------------------------------


def _compound(seq: list[str], start: int) -> tuple[int, str] | None:
    nouns = wordnet.nouns()
    if nouns is None:
        return None
    for length in range(min(3, len(seq) - start), 1, -1):
        words = seq[start : start + length]
        if not all(w.isascii() and w.isalpha() for w in words):
            continue
        if words[-1] in lexicon.HEAD_NOUN_WORDS:
            continue  # "red hair" is a colour on a head noun, whatever WordNet lists
        entries = [lookup([w], 0) for w in words]
        if all(e and e[1].terms for e in entries) and not any(
            t[0] == "colors" for e in entries if e for t in e[1].terms
        ):
            continue  # "young man" reads fine word by word; "red panda" does not
        lemma = nouns.lemma(" ".join(words))
        if lemma and all(entries) and not nouns.primary_name(lemma):
            continue  # "black cat" is a black cat; "red panda" names an animal of its own
        if lemma and _colour_on_animal(words, lemma, entries):
            continue  # "black panther" the militant is rarer here than a black panther
        if lemma:
            return length, lemma
    return None


def _colour_on_animal(words: list[str], lemma: str, entries: list) -> bool:
    nouns = wordnet.nouns()
    first = entries[0]
    colour = first is not None and any(t[0] == "colors" for t in first[1].terms)
    return (
        colour
        and nouns is not None
        and nouns.category(lemma) != wordnet.ANIMAL_LEXFILE
        and nouns.category(words[-1]) == wordnet.ANIMAL_LEXFILE
    )


def _base_form(word: str) -> str | None:
    """WordNet's dictionary form when it differs ("older" -> "old", "smiles" -> "smile")."""
    nouns, adjectives = wordnet.nouns(), wordnet.adjectives()
    if (
        word.endswith("er")
        and len(word) > 4
        and lookup([word[:-2]], 0)
        and adjectives is not None
        and word[:-2] in adjectives
        and not (nouns is not None and nouns.lemma(word))
    ):
        return word[:-2]  # a comparative of a lexicon adjective: "older" (not "photographer")
    for source in (wordnet.adjectives(), wordnet.nouns()):
        base = source.base_form(word) if source is not None and word.isalpha() else None
        if base:
            return base
    return None


def _word_item(word: str, lang: str, source: str) -> Item:
    return _fresh((_word_template(word, lang, source),))[0]


@functools.lru_cache(maxsize=16384)
def _word_template(word: str, lang: str, source: str) -> Item:
    item = Item((word,), source, lang)
    nouns, adjectives = wordnet.nouns(), wordnet.adjectives()
    base = word[:-2] if word.endswith("'s") else word
    if word.endswith("less") and len(word) > 6 and lookup([word[:-4]], 0):
        # "hatless" reads as "hat-less".
        return _word_template(word[:-4], lang, source)
    if nouns is not None and base.isalpha():
        item.noun = nouns.lemma(base)
    if base in lexicon.MODERN_ROLES:
        item.noun = base
    if adjectives is not None and base.isalpha():
        item.adjective = adjectives.lemma(base) is not None
    return item


def scan_english(seq: list[str], lang: str = "en", source: str | None = None) -> list[Item]:
    items: list[Item] = []
    i = 0
    while i < len(seq):
        unit = seq[i]
        if unit in BOUNDARY_CHARS:
            items.append(Item((unit,), unit, lang, boundary=True))
            i += 1
            continue
        hit = lookup(seq, i)
        compound = _compound(seq, i)
        if compound and (hit is None or compound[0] > hit[0]):
            length, lemma = compound
            words = tuple(seq[i : i + length])
            items.append(Item(words, source or " ".join(words), lang, noun=lemma))
        elif hit is None and (base := _base_form(unit)) and (found := lookup([base], 0)):
            length, entry = 1, found[1]
            items.append(Item((base,), source or unit, lang, entry=entry))
        elif hit is not None:
            length, entry = hit
            words = tuple(seq[i : i + length])
            items.append(Item(words, source or " ".join(words), lang, entry=entry))
        else:
            length = 1
            items.append(_word_item(unit, lang, source or unit))
        i += length
    return items


def _known_english(phrase: str) -> bool:
    nouns, adjectives = wordnet.nouns(), wordnet.adjectives()
    return (
        bool(lookup(units(phrase), 0))
        and len(units(phrase)) == 1
        or any(source is not None and phrase in source for source in (nouns, adjectives))
    )


def _fresh(items: tuple[Item, ...]) -> list[Item]:
    # Cached items are templates: the parser's passes fill in per-parse state.
    return [replace(i, readings=[], modifiers=[]) for i in items]


def _gloss_items(word: str) -> list[Item]:
    return _fresh(_gloss_template(word))


@functools.lru_cache(maxsize=8192)
def _gloss_template(word: str) -> tuple[Item, ...]:
    """A Chinese word the lexicon does not cover -> English items, via CC-CEDICT."""
    gloss = lexicon.ZH_GLOSSARY.get(word) or chinese.best_gloss(
        word, _known_english, _names_person, _uses
    )
    if not gloss:
        return ()
    items = scan_english(units(gloss), "zh", source=word)
    for item in items:
        item.gloss = " ".join(item.words)
    return tuple(items)


def _english_of(item: Item) -> None:
    # Hints ("赛博朋克" hints at a robot) mean more than their attribute: keep their English.
    if item.entry is not None and item.entry.terms and not any(t[2] for t in item.entry.terms):
        word = "".join(item.words)
        item.gloss = lexicon.ZH_GLOSSARY.get(word) or next(iter(chinese.glosses(word)), "")


def _lexicon_cover(word: str) -> list[Item] | None:
    """`word` split entirely into lexicon phrases ("戴帽子" -> 戴 + 帽子), or None."""
    chars, out, i = list(word), [], 0
    while i < len(chars):
        hit = lookup(chars, i)
        if hit is None:
            return None
        out.append(Item(tuple(chars[i : i + hit[0]]), "".join(chars[i : i + hit[0]]), "zh", hit[1]))
        i += hit[0]
    return out


def _uses(phrase: str) -> int:
    """How often WordNet's corpus uses `phrase`; a lexicon phrase counts as used."""
    hit = lookup(units(phrase), 0)
    lexicon_phrase = hit is not None and hit[0] == len(units(phrase))
    return max(wordnet.word_counts().get(phrase, 0), int(lexicon_phrase))


def _names_person(phrase: str) -> bool:
    # Persons only: noun.animal also holds body parts ("fur" for 皮, whose sense is leather).
    nouns = wordnet.nouns()
    return nouns is not None and nouns.category(phrase) == wordnet.PERSON_LEXFILE


@functools.lru_cache(maxsize=8192)
def _protected(word: str) -> bool:
    """Lexicon words and function words, which segmentation repairs leave alone."""
    hit = lookup(list(word), 0)
    return hit is not None and hit[0] == len(word)


def scan_chinese(run: str) -> list[Item]:
    words = chinese.repair(chinese.segment(run), _protected)
    chars = list(run)
    ends, position = set(), 0
    for word in words:
        position += len(word)
        ends.add(position)
    items: list[Item] = []
    i = 0
    while i < len(chars):
        word_end = min(e for e in ends if e > i)
        hit = lookup(chars, i)
        # A lexicon phrase must end on a word boundary: "小熊" inside "小熊猫" is no bear.
        while hit is not None and i + hit[0] not in ends:
            hit = lookup(chars, i, i + hit[0] - 1) if hit[0] > 1 else None
        word = "".join(chars[i:word_end])
        if hit is not None:
            items.append(
                Item(tuple(chars[i : i + hit[0]]), "".join(chars[i : i + hit[0]]), "zh", hit[1])
            )
            _english_of(items[-1])
            i += hit[0]
        elif glossed := _gloss_items(word):
            # A dictionary word beats its parts: "小熊猫" is a red panda, not 小熊 + 猫.
            items.extend(glossed)
            i = word_end
        elif (covered := _lexicon_cover(word)) is not None:
            items.extend(covered)
            i = word_end
        else:
            items.extend(_char_fallback(chars[i:word_end]))
            i = word_end
    return items


def _char_fallback(chars: list[str]) -> list[Item]:
    """A word neither the lexicon nor CC-CEDICT knows whole, read as the fewest known pieces.
    Between equally few, the longer piece goes last, since Chinese puts the head noun last:
    "皮夹克" is 皮 + 夹克 (leather jacket), not 皮夹 + 克 (wallet + gram)."""
    out: list[Item] = []
    for start, end in _pieces("".join(chars)):
        hit = lookup(chars, start, end)
        if hit is not None and hit[0] == end - start:
            out.append(Item(tuple(chars[start:end]), "".join(chars[start:end]), "zh", hit[1]))
        elif glossed := _gloss_items("".join(chars[start:end])):
            out.extend(glossed)
        else:
            out.append(Item((chars[start],), chars[start], "zh"))
    return out


@functools.lru_cache(maxsize=8192)
def _pieces(word: str) -> tuple[tuple[int, int], ...]:
    chars = list(word)

    def known(start: int, end: int) -> bool:
        if end - start == 1:
            return True
        hit = lookup(chars, start, end)
        return (hit is not None and hit[0] == end - start) or bool(_gloss_template(word[start:end]))

    best: dict[int, tuple[tuple[int, int], ...]] = {len(chars): ()}
    for start in range(len(chars) - 1, -1, -1):
        options = [((start, end), *best[end]) for end in range(start + 1, len(chars) + 1)
                   if known(start, end)]  # fmt: skip
        # Fewest pieces; then the later pieces longest.
        best[start] = min(options, key=lambda o: (len(o), [s - e for s, e in reversed(o)]))
    return best[0]


def scan(text: str) -> list[Item]:
    """The whole description -> items in reading order."""
    normal = normalise(text)
    items: list[Item] = []
    position = 0
    for match in AGE_RE.finditer(normal):
        items.extend(_scan_plain(normal[position : match.start()]))
        age = age_value(match)
        if age:
            items.append(Item((match.group(0).strip(),), match.group(0).strip(), "en", age=age))
        position = match.end()
    items.extend(_scan_plain(normal[position:]))
    return items


def _scan_plain(text: str) -> list[Item]:
    items: list[Item] = []
    for piece in re.split(r"([\u3400-\u9fff]+)", text):
        if _CHINESE_RUN.fullmatch(piece or " "):
            items.extend(scan_chinese(piece))
        elif piece.strip():
            items.extend(scan_english(_EN_UNIT.findall(piece)))
    return items
