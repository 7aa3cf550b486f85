"""Waiting for jobs without a thread per waiter: one poller per event loop watches every job
that a waiting request (``Prefer: wait``) or an event stream follows.

Why polling the database, and not Redis pub/sub: the job row is the truth and the worker
already writes progress to it (throttled, every 0.5 s at most); the embedded setup has no
Redis; and a message missed between a subscribe and a read would need a read anyway. The cost
stays flat in the number of waiters: one ``SELECT ... WHERE id IN (...)`` per tick for all of
a process's waiters, on one dedicated thread (so one database connection), with the tick
backing off from ``MIN_INTERVAL`` to ``MAX_INTERVAL`` while nothing changes and resetting when
something does or a new waiter arrives. Waiters themselves are asyncio tasks awaiting a queue:
no thread is held while they wait.
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from asgiref.sync import sync_to_async
from django.db import close_old_connections, connections

from generation.models import GenerationJob
from generation.models.jobs import TERMINAL_STATUSES

MIN_INTERVAL = 0.1
MAX_INTERVAL = 1.0
BACKOFF = 1.5


@dataclass(frozen=True)
class JobState:
    status: str
    progress: int
    step: int
    total: int

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES

    @property
    def event_id(self) -> str:
        """Identifies this state in an event stream (Last-Event-ID)."""
        return f"{self.status}.{self.step}.{self.progress}"


GONE = None  # pushed when a watched job no longer exists (its workspace was purged)


def _read_states(ids: list) -> dict:
    close_old_connections()  # this thread has no request cycle: honour CONN_MAX_AGE here
    rows = GenerationJob.objects.filter(pk__in=ids).values_list(
        "pk", "status", "progress", "progress_step", "progress_total"
    )
    return {
        pk: JobState(status, progress, step, total) for pk, status, progress, step, total in rows
    }


class JobWatcher:
    """The poller of one event loop (see the module docstring)."""

    def __init__(self):
        self._queues: dict = {}  # job id -> set of subscriber queues
        self._last: dict = {}
        self._task: asyncio.Task | None = None
        self._woken = asyncio.Event()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="job-watch")
        self._read = sync_to_async(_read_states, thread_sensitive=False, executor=self._executor)
        self._close_connection = sync_to_async(
            connections.close_all, thread_sensitive=False, executor=self._executor
        )
        self._primed: weakref.WeakSet = weakref.WeakSet()

    @contextlib.asynccontextmanager
    async def subscribe(self, job_id) -> AsyncIterator[asyncio.Queue]:
        """A queue that receives the job's state now and at every change (``GONE`` if the
        row disappears). The caller must already have checked the job is its tenant's."""
        queue: asyncio.Queue = asyncio.Queue()
        self._queues.setdefault(job_id, set()).add(queue)
        self._woken.set()
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run())
        try:
            yield queue
        finally:
            subscribers = self._queues.get(job_id)
            if subscribers is not None:
                subscribers.discard(queue)
                if not subscribers:
                    del self._queues[job_id]
                    self._last.pop(job_id, None)

    @property
    def watched(self) -> int:
        return len(self._queues)

    async def _run(self) -> None:
        while True:
            await self._poll_while_watched()
            # Idle: give the connection back (a test database must be droppable, and an idle
            # process should hold none). No await between the check and the reset below, so a
            # subscriber arriving meanwhile is either seen here or starts a new task.
            await self._close_connection()
            if not self._queues:
                break
        self._task = None

    async def _poll_while_watched(self) -> None:
        interval = MIN_INTERVAL
        while self._queues:
            self._woken.clear()
            ids = list(self._queues)
            try:
                states = await self._read(ids)
            except Exception:  # noqa: BLE001 - a database blip: keep the waiters, try again
                states = None
            changed = states is not None and self._publish(ids, states)
            interval = MIN_INTERVAL if changed else min(MAX_INTERVAL, interval * BACKOFF)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._woken.wait(), interval)

    def _publish(self, ids: list, states: dict) -> bool:
        changed = False
        for job_id in ids:
            state = states.get(job_id, GONE)
            fresh = {q for q in self._queues.get(job_id, ()) if q not in self._primed}
            if state != self._last.get(job_id, "unseen"):
                self._last[job_id] = state
                changed = True
                targets = self._queues.get(job_id, ())
            else:
                targets = fresh  # a late subscriber still gets the current state once
            for queue in targets:
                self._primed.add(queue)
                queue.put_nowait(state)
        return changed


_watchers: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def watcher() -> JobWatcher:
    """This event loop's watcher (uvicorn runs one loop per worker process; tests make more)."""
    loop = asyncio.get_running_loop()
    found = _watchers.get(loop)
    if found is None:
        found = _watchers[loop] = JobWatcher()
    return found


async def wait_until_finished(job_id, timeout: float) -> JobState | None:
    """The job's state once it is terminal, or its latest state when `timeout` seconds pass
    first (None if none was read in time, or the job is gone)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    last = None
    async with watcher().subscribe(job_id) as queue:
        while True:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return last
            try:
                state = await asyncio.wait_for(queue.get(), remaining)
            except TimeoutError:
                return last
            if state is GONE:
                return None
            last = state
            if state.terminal:
                return state
