"""Giving a request's database connections back while it waits.

Under ASGI each request's sync code runs on a thread of its own (Django's
ThreadSensitiveContext), with a connection of its own. A request that then waits on the event
loop for minutes (a job's event stream, a ``Prefer: wait`` submit) would hold that connection
idle all along: 100 waiting clients took all 100 of PostgreSQL's connections in
`bench/api_bench.py --waiters 100`, and every other request failed. Waiters give theirs back
first; the shared job watcher (`generation.jobs.watch`) reads for all of them on one connection.
"""

from __future__ import annotations

import asyncio
import weakref
from contextlib import asynccontextmanager

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connections


def _close_idle() -> None:
    for conn in connections.all(initialized_only=True):
        if not conn.in_atomic_block:  # never under a transaction (a test's, or the caller's)
            conn.close()


async def release_request_connections() -> None:
    """Close the connections of the calling request's sync thread; the next query reopens."""
    await sync_to_async(_close_idle)()


_slots: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


@asynccontextmanager
async def waiter_database_slot():
    """Bound how many waiters use the database at once when they wake, and give the
    connection back afterwards. Waiters submitted together time out together: 100 of them
    waking at once opened 100 connections and 4 failed (`too many clients`) in the bench.
    AVATARSAAS_WAITER_DB_SLOTS per process (default 8)."""
    loop = asyncio.get_running_loop()
    if loop not in _slots:
        _slots[loop] = asyncio.Semaphore(int(getattr(settings, "AVATARSAAS_WAITER_DB_SLOTS", 8)))
    async with _slots[loop]:
        try:
            yield
        finally:
            await release_request_connections()
