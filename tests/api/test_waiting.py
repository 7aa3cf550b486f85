"""Issue 20: `Prefer: wait` on job create and the job event stream, through the async stack
(Django's AsyncClient runs the ASGI request path: async middleware chain, async views)."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time

import pytest
from django.core.handlers.asgi import ASGIHandler
from django.db import OperationalError, connection
from django.db.backends.signals import connection_created
from django.test import AsyncClient

from core.errors import InvalidInput
from generation.api.prefer import MAX_WAIT_SECONDS, requested_wait
from generation.models import GenerationJob
from generation.worker import runner
from tests.factories import make_api_key, make_tenant

pytestmark = pytest.mark.django_db(transaction=True)
JOBS = "/api/v1/jobs/"
TINY = {"description": "a blue robot", "engine": "diffusers", "n": 1, "size": 64}


@pytest.fixture
def key(db):
    tenant = make_tenant("Waiting Bots", credits_amount=1000)
    _, plaintext = make_api_key(tenant)
    return plaintext


def _headers(key, **extra):
    return {"Authorization": f"Bearer {key}", **extra}


@pytest.fixture(autouse=True)
def _sqlite_readers_take_no_table_locks():
    """The in-memory SQLite test database is one shared cache, where a reader's table lock
    makes another connection's write fail at once ("table is locked"; busy timeouts do not
    apply). Here the request, the job watcher and a worker each have a connection, as in
    production, so readers read without table locks (on PostgreSQL this changes nothing)."""

    def no_read_locks(sender, connection, **kwargs):
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA read_uncommitted = 1")

    connection_created.connect(no_read_locks, dispatch_uid="test-waiting-sqlite")
    yield
    connection_created.disconnect(dispatch_uid="test-waiting-sqlite")


def _worker(timeout: float = 120.0) -> threading.Thread:
    """A GPU worker in a thread: claims and runs the next job with the real runner."""

    def run():
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                try:
                    if runner.process_one("test-worker") is not None:
                        return
                except OperationalError:  # SQLite: the submit's transaction holds the table
                    connection.close()
                time.sleep(0.05)
        finally:
            connection.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def _post(key, body, **headers):
    async def go():
        return await AsyncClient().post(
            JOBS, body, content_type="application/json", headers=_headers(key, **headers)
        )

    return asyncio.run(go())


def _events(key, job_id, **headers) -> tuple[int, list[tuple[str, str | None, str]]]:
    """(status, [(event or 'comment', id, data)]) of the whole stream, read until it closes."""

    async def go():
        response = await AsyncClient().get(
            f"{JOBS}{job_id}/events/", headers=_headers(key, **headers)
        )
        text = ""
        if response.streaming:
            async for chunk in response.streaming_content:
                text += chunk.decode() if isinstance(chunk, bytes) else chunk
        return response, text

    response, text = asyncio.run(go())
    events = []
    for block in text.split("\n\n"):
        if not block.strip():
            continue
        fields = dict(
            line.split(": ", 1) if ": " in line else (line, "") for line in block.splitlines()
        )
        if block.startswith(":"):
            events.append(("comment", None, block))
        elif "event" in fields:
            events.append((fields["event"], fields.get("id"), fields.get("data", "")))
    return response, events


def test_prefer_wait_returns_the_finished_tiny_job_inside_the_request(use_tiny_models, key):
    worker = _worker()
    started = time.monotonic()
    response = _post(key, {**TINY, "steps": 3, "seed": 1}, Prefer="wait=60")
    worker.join(timeout=5)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "succeeded" and body["progress"] == 100
    assert len(body["images"]) == 1 and body["images"][0]["files"]
    assert response["Preference-Applied"] == "wait=60"
    assert time.monotonic() - started < 60


def test_prefer_wait_answers_202_with_the_current_state_on_timeout(key):
    started = time.monotonic()
    response = _post(key, {**TINY, "engine": "vector", "seed": 2}, Prefer="wait=1")
    waited = time.monotonic() - started
    assert response.status_code == 202, response.content
    assert response.json()["status"] == "queued"
    assert response["Preference-Applied"] == "wait=1"
    assert response["Location"] == f"{JOBS}{response.json()['id']}/"
    assert waited >= 1.0  # it did wait (an upper bound would measure the machine)


def test_without_prefer_the_submit_answers_at_once(key):
    response = _post(key, {**TINY, "engine": "vector", "seed": 3})
    assert response.status_code == 201 and response.json()["status"] == "queued"
    assert "Preference-Applied" not in response


def test_a_bad_wait_is_a_400_naming_prefer_and_creates_nothing(key):
    response = _post(key, {**TINY, "engine": "vector"}, Prefer="wait=soon")
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "Prefer"
    assert not GenerationJob.objects.exists()


def test_wait_values_are_parsed_per_rfc_7240_and_clamped():
    assert requested_wait(None) is None and requested_wait("respond-async") is None
    assert requested_wait("respond-async, wait=10") == 10
    assert requested_wait('Wait="5"; foo=bar') == 5
    assert requested_wait("wait=600") == MAX_WAIT_SECONDS == 60
    for bad in ("wait=-1", "wait=1.5", "wait=", "wait=١"):
        with pytest.raises(InvalidInput):
            requested_wait(bad)


def test_an_unauthenticated_wait_is_refused_before_anything_waits():
    response = _post("ask_nope_nope", {**TINY, "engine": "vector"}, Prefer="wait=30")
    assert response.status_code == 401


def test_event_stream_delivers_progress_then_the_final_state(use_tiny_models, key):
    job = _post(key, {**TINY, "steps": 60, "seed": 4}).json()
    worker = _worker()
    response, events = _events(key, job["id"])
    worker.join(timeout=5)
    assert response.status_code == 200 and response["Content-Type"] == "text/event-stream"
    names = [name for name, _, _ in events if name != "comment"]
    assert names[-1] == "done" and names.count("done") == 1
    progress = [json.loads(data) for name, _, data in events if name == "progress"]
    assert progress[0]["status"] in ("queued", "running")
    running = [p for p in progress if p["status"] == "running"]
    steps = [p["progress_step"] for p in running]
    assert steps == sorted(steps) and any(0 < step < 60 for step in steps)  # mid-render
    assert all(p["progress_total"] in (0, 60) for p in running)
    final = json.loads(events[-1][2])
    assert final["id"] == job["id"] and final["status"] == "succeeded" and final["images"]
    ids = [event_id for _, event_id, _ in events if event_id]
    assert len(ids) == len(set(ids))


def test_event_stream_of_a_finished_job_sends_done_and_closes(key):
    job = _post(key, {**TINY, "engine": "vector", "seed": 5}).json()
    GenerationJob.objects.filter(pk=job["id"]).update(status="canceled")
    response, events = _events(key, job["id"], **{"Last-Event-ID": "queued.0.0"})
    assert [name for name, _, _ in events] == ["done"]
    assert json.loads(events[0][2])["status"] == "canceled"


def test_event_stream_sends_heartbeats_and_ends_after_its_maximum(settings, key):
    settings.AVATARSAAS_EVENTS_HEARTBEAT_SECONDS = 0.2
    settings.AVATARSAAS_EVENTS_MAX_SECONDS = 1.0
    job = _post(key, {**TINY, "engine": "vector", "seed": 6}).json()
    # Reconnecting with the state it already has: no repeated progress event, only heartbeats.
    response, events = _events(key, job["id"], **{"Last-Event-ID": "queued.0.0"})
    assert response.status_code == 200
    assert {name for name, _, _ in events} == {"comment"} and len(events) >= 2
    response, events = _events(key, job["id"])
    assert [name for name, _, _ in events if name != "comment"] == ["progress"]


def test_every_middleware_runs_natively_in_the_async_stack(caplog):
    """A sync-only middleware would put every waiting request back on a thread."""
    with caplog.at_level(logging.DEBUG, logger="django.request"):
        ASGIHandler()
    adapted = [r.getMessage() for r in caplog.records if "adapted" in r.getMessage()]
    assert adapted == []


def test_event_stream_errors_are_the_json_envelope_even_for_eventsource(key):
    """EventSource always sends Accept: text/event-stream; a 404 must still be the envelope."""
    missing = "00000000-0000-4000-8000-000000000000"
    response, _ = _events(key, missing, Accept="text/event-stream")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "not_found"
