"""``Prefer: wait=N`` on job create (RFC 7240), answered by an async view.

The submit itself is the ordinary DRF view (authentication, scopes, throttles, validation,
tenant scoping, the submit service), run in Django's thread executor for the moment it takes.
Only the waiting is async: the request then awaits ``generation.jobs.watch`` on the event
loop, so under ASGI (uvicorn workers) a waiting client holds no thread.

Answers:
* finished within N seconds: the job's final state, with the status the submit had (201 new,
  200 an idempotent replay) and ``Preference-Applied: wait=N``;
* still queued or running after N seconds: ``202 Accepted`` with the job's current state,
  ``Location`` of the job and ``Preference-Applied: wait=N``; poll it or follow its events;
* N over ``MAX_WAIT_SECONDS`` (60) is clamped to 60 (the header then says ``wait=60``), as
  RFC 7240 treats a preference as a hint; a value that is not a whole number of seconds is a
  400 naming the ``Prefer`` field. Other preferences in the header are ignored.
"""

from __future__ import annotations

from asgiref.sync import sync_to_async
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import status

from core.db_connections import release_request_connections, waiter_database_slot
from generation.api.jobs import JobListCreateView
from generation.api.prefer import WaitPlan
from generation.api.serializers import JobSerializer
from generation.jobs.changes import get_job
from generation.jobs.watch import wait_until_finished

_submit_or_list = JobListCreateView.as_view()


@csrf_exempt  # DRF's session authentication enforces CSRF itself; keys need none
async def jobs_collection(request, *args, **kwargs):
    response = await sync_to_async(_submit_or_list)(request, *args, **kwargs)
    plan = getattr(response, "wait_plan", None)
    if plan is None:
        return response
    await release_request_connections()  # wait without holding a database connection
    state = await wait_until_finished(plan.job_id, plan.seconds)
    async with waiter_database_slot():
        await sync_to_async(_answer_with_current_state)(
            response, plan, finished=state is not None and state.terminal
        )
    return response


def _answer_with_current_state(response, plan: WaitPlan, *, finished: bool) -> None:
    drf_request = response.renderer_context["request"]
    job = get_job(tenant=drf_request.tenant, job_id=plan.job_id)
    response.data = JobSerializer(job, context={"request": drf_request}).data
    if finished:
        response.status_code = status.HTTP_201_CREATED if plan.created else status.HTTP_200_OK
    else:
        response.status_code = status.HTTP_202_ACCEPTED
        response["Location"] = reverse("api_job_detail", kwargs={"job_id": job.pk})


# drf-spectacular documents the DRF view behind this function (and the schema test sees it).
jobs_collection.cls = JobListCreateView
jobs_collection.initkwargs = {}
