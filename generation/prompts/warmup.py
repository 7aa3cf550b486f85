"""Load the parser's dictionaries before the first description arrives.

The first parse in a process otherwise pays ~1-2 s loading WordNet, CC-CEDICT, jieba and
OpenCC. Web servers (wsgi.py/asgi.py) and the worker (`qcluster`, see GenerationConfig.ready)
start `start_in_background()`; tests and other management commands never do, so they load
only what they use, when they use it.
"""

from __future__ import annotations

import logging
import threading
import time

from generation.prompts import chinese, scanning, wordnet
from generation.prompts.parsing import parse_description

logger = logging.getLogger(__name__)

# One English and one Chinese description touch every dictionary and fill the per-word caches
# of the words most descriptions use.
_SAMPLES = (
    "a friendly robot barista with round glasses, holding a red coffee cup, flat design",
    "一个戴红色帽子的女孩，不要眼镜，穿著藍色外套的小熊貓",
)
_started = threading.Event()
done = threading.Event()


def warm_up() -> float:
    """Load every dictionary and parse the samples; returns the seconds it took."""
    start = time.perf_counter()
    wordnet.nouns()
    wordnet.adjectives()
    wordnet.word_counts()
    chinese.has_dictionary()
    scanning.index()
    for text in _SAMPLES:
        parse_description(text)
    done.set()
    return time.perf_counter() - start


def start_in_background() -> threading.Thread | None:
    """Warm up on a daemon thread, once per process; the caller carries on serving."""
    if _started.is_set():
        return None
    _started.set()

    def run() -> None:
        try:
            seconds = warm_up()
        except Exception:  # a missing dictionary only makes the first parse slower
            logger.exception("parser warm-up failed")
            return
        logger.info("parser dictionaries loaded in %.2f s", seconds)

    thread = threading.Thread(target=run, name="parser-warm-up", daemon=True)
    thread.start()
    return thread
