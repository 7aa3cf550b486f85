"""Operator (staff) actions from the admin: image review, job retries, webhook redelivery.

Staff are usually not members of the tenant, so these bypass tenant role checks on purpose;
the admin site itself is the permission boundary (is_staff), and every action is audited in
the tenant's log with the staff user as actor.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from core.errors import Conflict
from generation.jobs.submit import JobRequest, submit_job_for_operator
from generation.models import GeneratedImage, GenerationJob, JobStatus, WebhookDelivery
from generation.webhooks import delivery as webhooks
from tenants.actors import Actor
from tenants.audit import record_event


def review_images(
    *, images: Iterable[GeneratedImage], status: str, actor: Actor, note: str | None = None
) -> int:
    """Approve or flag images; one audit event per image so each tenant sees its own."""
    if status not in GeneratedImage.Review.values:
        raise ValueError(f"status: expected one of {GeneratedImage.Review.values}, got {status!r}")
    count = 0
    with transaction.atomic():
        for image in images:
            previous = image.review_status
            image.review_status = status
            fields = ["review_status"]
            if note is not None:
                image.review_note = note[:300]
                fields.append("review_note")
            image.save(update_fields=fields)
            record_event(
                tenant=image.tenant,
                actor=actor,
                action=f"image.{status}",
                target=image,
                metadata={"previous": previous, "job": str(image.job_id), "note": note or ""},
            )
            count += 1
    return count


def retry_failed_job(*, job: GenerationJob, actor: Actor) -> GenerationJob:
    """Run a failed job again as a new job with the same seeds (charged like any job).

    A failed job's credits were already released, so the retry reserves them afresh; the new
    job bypasses the tenant role check because the operator is not a member.
    """
    if job.status != JobStatus.FAILED:
        raise Conflict(
            gettext("Only failed jobs can be retried; this one is %(status)s.")
            % {"status": job.status}
        )
    request = JobRequest.from_job(job, seeds=tuple(job.seeds))
    new, _ = submit_job_for_operator(
        tenant=job.tenant,
        actor=actor,
        request=request,
        idempotency_key=f"staff-retry:{job.pk}",  # a second click answers with the same job
        audit={
            "action": "job.retried_by_staff",
            "metadata": {"from": str(job.pk), "failure_code": job.failure_code},
        },
    )
    return new


def redeliver_as_staff(*, delivery: WebhookDelivery, actor: Actor) -> WebhookDelivery:
    """Send a webhook delivery again now (same webhook-id), on the operator's behalf."""
    with transaction.atomic():
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=WebhookDelivery.Status.PENDING, next_attempt_at=timezone.now()
        )
        record_event(
            tenant=delivery.tenant,
            actor=actor,
            action="webhook.redelivered_by_staff",
            target=delivery,
            metadata={"event_type": delivery.event_type, "attempts": delivery.attempts},
        )
        transaction.on_commit(lambda: webhooks._enqueue(delivery.pk))
    delivery.refresh_from_db()
    return delivery
