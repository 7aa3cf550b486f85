"""``GET /api/v1/jobs/{id}/events/``: a job's progress as server-sent events.

Events (``text/event-stream``; each has an ``id:``):
* ``progress``: ``{"status", "progress", "progress_step", "progress_total"}`` whenever the
  worker records a change (it writes progress at most every 0.5 s);
* ``done``: the job's full final representation (as ``GET /api/v1/jobs/{id}/``), after which
  the server closes the stream;
* comments (``: keep-alive``) every ``AVATARSAAS_EVENTS_HEARTBEAT_SECONDS`` so proxies keep an
  idle stream open. A stream lasts at most ``AVATARSAAS_EVENTS_MAX_SECONDS``; the client then
  reconnects (EventSource does so by itself) with ``Last-Event-ID``, and a state the client
  already has is not sent again.

Authentication, the ``jobs:read`` scope, the status-read throttle bucket and tenant scoping
(another workspace's job is a 404) are the DRF view's; the stream itself is an async iterator
awaiting ``generation.jobs.watch`` on the event loop, so under ASGI it holds no thread.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from functools import partial

from asgiref.sync import sync_to_async
from django.conf import settings
from django.http import StreamingHttpResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from core.db_connections import release_request_connections, waiter_database_slot
from generation.api.serializers import JobSerializer
from generation.jobs.changes import get_job
from generation.jobs.watch import GONE, JobState, watcher
from tenants.permissions import HasScope

RETRY_MS = 2000


# One server-sent event as clients (and schemathesis) parse it: `data` is a JSON document.
SSE_EVENT_SCHEMA = {
    "type": "object",
    "properties": {
        "event": {"type": "string", "description": "progress, done or gone"},
        "data": {"type": "string", "description": "A JSON document."},
        "id": {"type": "string"},
        "retry": {"type": "integer"},
    },
}


class StreamOrJsonErrors(BaseContentNegotiation):
    """The stream itself is not rendered by DRF; errors (401, 403, 404, 429) are always the
    JSON envelope, whatever the client accepts (EventSource always sends
    ``Accept: text/event-stream``, which no DRF renderer would match: a 406 instead)."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


def sse(event: str, data, event_id: str | None = None) -> str:
    lines = [f"event: {event}"]
    if event_id is not None:
        lines.append(f"id: {event_id}")
    lines.append("data: " + json.dumps(data, separators=(",", ":"), default=str))
    return "\n".join(lines) + "\n\n"


def _progress(state: JobState) -> dict:
    return {
        "status": state.status,
        "progress": state.progress,
        "progress_step": state.step,
        "progress_total": state.total,
    }


async def job_event_stream(
    job_id,
    final_body: Callable[[], dict],
    *,
    last_event_id: str | None = None,
    heartbeat: float | None = None,
    max_seconds: float | None = None,
) -> AsyncIterator[str]:
    heartbeat = heartbeat or float(getattr(settings, "AVATARSAAS_EVENTS_HEARTBEAT_SECONDS", 15))
    max_seconds = max_seconds or float(getattr(settings, "AVATARSAAS_EVENTS_MAX_SECONDS", 600))
    loop = asyncio.get_running_loop()
    deadline = loop.time() + max_seconds
    yield f"retry: {RETRY_MS}\n\n"
    await release_request_connections()  # stream without holding a database connection
    async with watcher().subscribe(job_id) as queue:
        while (remaining := deadline - loop.time()) > 0:
            try:
                state = await asyncio.wait_for(queue.get(), min(heartbeat, remaining))
            except TimeoutError:
                yield ": keep-alive\n\n"
                continue
            if state is GONE:
                yield sse("gone", {"detail": "The job no longer exists."})
                return
            if state.terminal:
                async with waiter_database_slot():
                    body = await sync_to_async(final_body)()
                yield sse("done", body, state.event_id)
                return
            if state.event_id != last_event_id:
                yield sse("progress", _progress(state), state.event_id)
            last_event_id = None


def _final_body(request, job_id) -> dict:
    job = get_job(tenant=request.tenant, job_id=job_id)
    return JobSerializer(job, context={"request": request}).data


class JobEventsView(APIView):
    permission_classes = [HasScope]
    required_scopes = {"GET": "jobs:read"}
    throttle_scope = "job_status"  # following a job counts like polling it, in its own bucket
    renderer_classes = [JSONRenderer]
    content_negotiation_class = StreamOrJsonErrors

    @extend_schema(
        summary="Follow a job's progress (server-sent events)",
        description=(
            "A `text/event-stream` of `progress` events (`status`, `progress`,"
            " `progress_step`, `progress_total`) as the worker records them, then one `done`"
            " event with the job's final representation (as from *Get a job*); then the"
            " stream closes. `: keep-alive` comments keep idle streams open; send"
            " `Last-Event-ID` when reconnecting to skip a state you already have."
        ),
        responses={
            (200, "text/event-stream"): OpenApiResponse(
                SSE_EVENT_SCHEMA, description="Server-sent events, closed after `done`."
            )
        },
    )
    def get(self, request, job_id):
        job = get_job(tenant=request.tenant, job_id=job_id)
        stream = job_event_stream(
            job.pk,
            partial(_final_body, request, job.pk),
            last_event_id=request.headers.get("Last-Event-ID") or None,
        )
        response = StreamingHttpResponse(stream, content_type="text/event-stream")
        response["Cache-Control"] = "no-cache"
        response["X-Accel-Buffering"] = "no"  # nginx ingress: pass events on as they come
        return response
