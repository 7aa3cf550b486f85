"""Issue 20: waiting requests give their database connection back, and waking waiters share a
bounded number of connections (100 waiters took all of PostgreSQL's in the bench)."""

import asyncio

import pytest
from django.db import connection, transaction

from core import db_connections


@pytest.mark.django_db(transaction=True)
def test_a_waiter_closes_its_idle_connection_but_never_one_inside_a_transaction():
    if connection.vendor != "postgresql":
        pytest.skip("Django never closes the in-memory SQLite test database; CI runs PostgreSQL")
    # `release_request_connections` runs this on the request's own sync thread.
    connection.ensure_connection()
    db_connections._close_idle()
    assert connection.connection is None
    with transaction.atomic():
        connection.ensure_connection()
        db_connections._close_idle()
        assert connection.connection is not None  # the transaction is intact


def test_waking_waiters_use_at_most_the_configured_slots(settings, monkeypatch):
    settings.AVATARSAAS_WAITER_DB_SLOTS = 2
    released = []

    async def fake_release():  # the slot's bookkeeping, not the database, is under test here
        released.append(1)

    monkeypatch.setattr(db_connections, "release_request_connections", fake_release)
    inside, peak = 0, 0

    async def waiter():
        nonlocal inside, peak
        async with db_connections.waiter_database_slot():
            inside += 1
            peak = max(peak, inside)
            await asyncio.sleep(0.01)
            inside -= 1

    async def many():
        await asyncio.gather(*(waiter() for _ in range(10)))

    asyncio.run(many())
    assert peak == 2 and len(released) == 10
