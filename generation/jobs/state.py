"""The job state machine, enforced in one place.

queued -> running -> succeeded | failed | canceled, plus running -> queued when a lease runs
out and the job is retried, and queued -> failed/canceled.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext

from core.errors import Conflict
from generation.models import GenerationJob, JobStatus

ALLOWED = {
    JobStatus.QUEUED: {JobStatus.RUNNING, JobStatus.CANCELED, JobStatus.FAILED},
    JobStatus.RUNNING: {
        JobStatus.SUCCEEDED,
        JobStatus.FAILED,
        JobStatus.CANCELED,
        JobStatus.QUEUED,
    },
    JobStatus.SUCCEEDED: set(),
    JobStatus.FAILED: set(),
    JobStatus.CANCELED: set(),
}


def can_transition(current: str, target: str) -> bool:
    return target in ALLOWED.get(current, set())


def transition_job(job: GenerationJob, target: str, **fields) -> GenerationJob:
    """Move `job` (a row locked by the caller) to `target` and save the changed fields."""
    if not can_transition(job.status, target):
        raise Conflict(
            gettext("A %(status)s job cannot become %(target)s.")
            % {"status": job.status, "target": target},
            field="status",
            code="invalid_state",
        )
    job.status = target
    changed = {"status", *fields}
    for name, value in fields.items():
        setattr(job, name, value)
    if target in (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELED):
        job.finished_at = timezone.now()
        job.lease_owner = ""
        job.lease_expires_at = None
        changed |= {"finished_at", "lease_owner", "lease_expires_at"}
    job.save(update_fields=sorted(changed))
    return job
