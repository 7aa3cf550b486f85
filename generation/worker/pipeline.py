"""The packing stage: a bounded background thread that packs and settles rendered jobs while
the render loop goes on with the next one.

One thread, so packs (and therefore job completions) finish in the order the worker rendered
them. `depth` bounds how many rendered jobs may be in the stage at once (packing or waiting):
handing on one more blocks the render loop until a slot frees (backpressure), so memory holds
at most `depth` rendered batches in the stage plus the one the loop holds, and a rendered job
waits at most for the packs ahead of it (each renews its lease when it starts).

Leaving the `with` block drains the stage: a task never returns while one of its jobs is still
packing. A worker that dies mid-pack leaves its jobs `running` under a lease that is no longer
renewed; the stale-lease sweep re-queues them (nothing was settled or charged).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait

from django.db import connections

logger = logging.getLogger(__name__)


class PackingStage:
    def __init__(self, *, depth: int = 1):
        if depth < 1:
            raise ValueError(f"depth: expected at least 1 rendered job in flight, got {depth}")
        self.depth = depth
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="packing")
        self._slots = threading.BoundedSemaphore(depth)
        self._futures: list[Future] = []
        self.max_in_flight = 0  # observed high-water mark (tests, bench)

    def __enter__(self) -> PackingStage:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def in_flight(self) -> int:
        return sum(1 for f in self._futures if not f.done())

    def submit(self, fn: Callable[..., object], *args) -> Future:
        """Queue `fn(*args)`; blocks while `depth` submitted calls are unfinished."""
        self._slots.acquire()
        future = self._executor.submit(self._run, fn, *args)
        future.add_done_callback(lambda _: self._slots.release())
        self._futures = [f for f in self._futures if not f.done()] + [future]
        self.max_in_flight = max(self.max_in_flight, len(self._futures))
        return future

    @staticmethod
    def _run(fn, *args):
        try:
            return fn(*args)
        except Exception:  # noqa: BLE001 - fn settles its own job; never kill the stage
            logger.exception("packing stage: unhandled error")
            return None

    def drain(self) -> None:
        wait(self._futures)
        self._futures = []

    def close(self) -> None:
        self.drain()
        # The stage thread's own database connection: closed here, not left to the garbage
        # collector (an open one blocks a test database's teardown, and leaks on PostgreSQL).
        self._executor.submit(connections.close_all).result()
        self._executor.shutdown(wait=True)
