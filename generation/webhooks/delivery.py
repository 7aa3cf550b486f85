"""Tenant webhooks signed per the Standard Webhooks spec, with retries and a delivery log.

Headers: `webhook-id` (same on every retry of one message), `webhook-timestamp`,
`webhook-signature` (v1 HMAC-SHA256 over "id.timestamp.body" with the endpoint's secret).

Tenants choose the URL, so every request goes through `core.outbound`: public addresses only
(plus the operator's AVATARSAAS_WEBHOOK_ALLOWED_CIDRS), checked when the URL is saved and
again, pinned, at every attempt; no redirects; a byte cap and a total deadline. The log keeps
the status code and a short generic error, never the response body.
"""

from __future__ import annotations

import base64
import json
import logging
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from standardwebhooks.webhooks import Webhook

from core import observe, outbound
from core.errors import InvalidInput, NotAllowed, NotFound
from core.queue import WEBHOOKS_CLUSTER, nudge
from generation.models import GenerationJob, JobStatus, WebhookDelivery, WebhookEndpoint
from generation.models.webhooks import WEBHOOK_EVENTS
from tenants.actors import Actor
from tenants.audit import record_event
from tenants.models import Tenant
from tenants.roles import Perm
from tenants.selectors import actor_can

logger = logging.getLogger(__name__)
# Delay before attempt k+1 (k = attempts so far); after the last one we give up.
BACKOFF = [timedelta(seconds=s) for s in (10, 60, 300, 1800, 7200)]
DEADLINE_S = 10.0  # one attempt, connect to last byte; the webhooks cluster's timeout is 60
IO_TIMEOUT_S = 5.0  # one socket operation
MAX_RESPONSE_BYTES = 64 * 1024  # an acknowledgement, not a download; more is a failure


def _require_manage(tenant: Tenant, actor: Actor) -> None:
    if actor.api_key is not None:
        if not actor.api_key.has_scope("webhooks:write"):
            raise NotAllowed(gettext("This API key lacks the 'webhooks:write' scope."))
        return

    if not actor_can(tenant=tenant, actor=actor, perm=Perm.MANAGE_KEYS):
        raise NotAllowed(gettext("Your role does not allow managing webhooks."))


def outbound_policy() -> outbound.OutboundPolicy:
    """Public hosts over https (http too with DEBUG), plus the operator's allowlist."""
    return outbound.OutboundPolicy(
        allowed_networks=outbound.parse_networks(settings.AVATARSAAS_WEBHOOK_ALLOWED_CIDRS),
        allow_public_http=settings.DEBUG,
        deadline_s=DEADLINE_S,
        io_timeout_s=IO_TIMEOUT_S,
        max_response_bytes=MAX_RESPONSE_BYTES,
    )


def _validate_url(url: str) -> str:
    url = (url or "").strip()
    try:
        outbound.check_url(url, outbound_policy())
    except outbound.DestinationRejected as exc:
        raise InvalidInput(exc.message, field="url") from exc
    return url


def _check_endpoint_quota(tenant: Tenant) -> None:
    # The tenant row lock serialises concurrent creates, so two cannot both take the last slot.
    # (Not select_related: FOR UPDATE would then lock the shared plan row too.)
    plan = Tenant.objects.select_for_update().get(pk=tenant.pk).plan
    used = WebhookEndpoint.objects.for_tenant(tenant).count()
    if used >= plan.max_webhook_endpoints:
        raise NotAllowed(
            gettext(
                "Your %(name)s plan includes %(max_webhook_endpoints)s webhook "
                "endpoint(s) and this workspace has %(used)s; delete one or upgrade to "
                "add more."
            )
            % {
                "name": plan.name,
                "max_webhook_endpoints": plan.max_webhook_endpoints,
                "used": used,
            },
            code="plan_limit",
            field="max_webhook_endpoints",
            extra={"limit": plan.max_webhook_endpoints},
        )


def _validate_events(events) -> list[str]:
    events = list(events or [])
    unknown = sorted(set(events) - set(WEBHOOK_EVENTS))
    if unknown:
        raise InvalidInput(
            gettext("Unknown event(s): %(unknown)s. Accepted: %(webhook_events)s.")
            % {"unknown": ", ".join(unknown), "webhook_events": ", ".join(WEBHOOK_EVENTS)},
            field="events",
        )
    return sorted(set(events))


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def create_endpoint(
    *, tenant, actor: Actor, url: str, events=None, description: str = ""
) -> WebhookEndpoint:
    _require_manage(tenant, actor)
    url, events = _validate_url(url), _validate_events(events)  # DNS: before any lock
    with transaction.atomic():
        _check_endpoint_quota(tenant)
        endpoint = WebhookEndpoint.objects.create(
            tenant=tenant,
            url=url,
            events=events,
            description=(description or "")[:200],
            secret=new_secret(),
        )
        record_event(
            tenant=tenant,
            actor=actor,
            action="webhook.created",
            target=endpoint,
            metadata={"url": endpoint.url, "events": endpoint.events},
        )
    return endpoint


def get_endpoint(*, tenant, endpoint_id) -> WebhookEndpoint:
    try:
        return WebhookEndpoint.objects.for_tenant(tenant).get(pk=endpoint_id)
    except (WebhookEndpoint.DoesNotExist, ValidationError, ValueError) as exc:
        raise NotFound(gettext("Webhook endpoint not found.")) from exc


def update_endpoint(*, tenant, actor: Actor, endpoint_id, **changes) -> WebhookEndpoint:
    _require_manage(tenant, actor)
    get_endpoint(tenant=tenant, endpoint_id=endpoint_id)  # a missing endpoint is a 404 first
    url = _validate_url(changes["url"]) if "url" in changes else None  # DNS: outside the txn
    with transaction.atomic():
        return _apply_changes(tenant, actor, endpoint_id, url, changes)


def _apply_changes(tenant, actor: Actor, endpoint_id, url, changes) -> WebhookEndpoint:
    endpoint = get_endpoint(tenant=tenant, endpoint_id=endpoint_id)
    if url is not None:
        endpoint.url = url
    if "events" in changes:
        endpoint.events = _validate_events(changes["events"])
    if "description" in changes:
        endpoint.description = (changes["description"] or "")[:200]
    if "is_active" in changes:
        endpoint.is_active = bool(changes["is_active"])
    endpoint.save()
    record_event(
        tenant=tenant,
        actor=actor,
        action="webhook.updated",
        target=endpoint,
        metadata={k: v for k, v in changes.items() if k != "secret"},
    )
    return endpoint


@transaction.atomic
def delete_endpoint(*, tenant, actor: Actor, endpoint_id) -> None:
    _require_manage(tenant, actor)
    endpoint = get_endpoint(tenant=tenant, endpoint_id=endpoint_id)
    record_event(
        tenant=tenant,
        actor=actor,
        action="webhook.deleted",
        target=endpoint,
        metadata={"url": endpoint.url},
    )
    endpoint.delete()


def emit_event(*, tenant, event_type: str, data: dict[str, Any]) -> list[WebhookDelivery]:
    """Queue `event_type` for every endpoint of `tenant` that wants it (after commit)."""
    deliveries = []
    payload = {"type": event_type, "timestamp": timezone.now().isoformat(), "data": data}
    for endpoint in WebhookEndpoint.objects.for_tenant(tenant).filter(is_active=True):
        if not endpoint.wants(event_type):
            continue
        deliveries.append(
            WebhookDelivery.objects.create(
                tenant_id=endpoint.tenant_id,
                endpoint=endpoint,
                event_type=event_type,
                message_id=f"msg_{secrets.token_hex(12)}",
                payload=payload,
                next_attempt_at=timezone.now(),
            )
        )
    for d in deliveries:
        transaction.on_commit(lambda pk=d.pk: _enqueue(pk))
    return deliveries


def _enqueue(delivery_id) -> None:
    # A failed nudge leaves the delivery due; the retry schedule (retry_due) sends it.
    nudge(
        "generation.tasks.deliver_webhook",
        str(delivery_id),
        what=f"webhook delivery {delivery_id}",
        cluster=WEBHOOKS_CLUSTER,
    )


def job_payload(job: GenerationJob) -> dict[str, Any]:
    return {
        "id": str(job.pk),
        "status": job.status,
        "cost_credits": job.cost_credits,
        "cache_hit": job.cache_hit,
        "failure": {"code": job.failure_code, "message": job.failure_message}
        if job.status == JobStatus.FAILED
        else None,
        "images": [
            {
                "id": str(i.pk),
                "index": i.index,
                "seed": i.seed,
                "clip_score": i.clip_score,
                "selected": i.selected,
            }
            for i in job.images.all()
        ],
    }


def emit_job_event(job: GenerationJob) -> None:
    event = {
        JobStatus.SUCCEEDED: "job.succeeded",
        JobStatus.FAILED: "job.failed",
        JobStatus.CANCELED: "job.canceled",
    }.get(job.status)
    if event:
        emit_event(tenant=job.tenant, event_type=event, data=job_payload(job))


def sign(endpoint: WebhookEndpoint, message_id: str, body: str, when=None) -> dict[str, str]:
    when = when or timezone.now()
    signature = Webhook(endpoint.secret).sign(message_id, when, body)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(when.timestamp())),
        "webhook-signature": signature,
        "content-type": "application/json",
        "user-agent": "AvatarSaaS-Webhooks/1",
    }


def deliver(delivery_id) -> str:
    """One attempt. Claims the delivery row so concurrent attempts do not double-send."""
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update()
            .select_related("endpoint")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None or delivery.status in (
            WebhookDelivery.Status.SUCCEEDED,
            WebhookDelivery.Status.GAVE_UP,
        ):
            return "skipped"
        delivery.attempts += 1
        # Hold the row for a short while: another sweeper won't pick it while we send.
        delivery.next_attempt_at = timezone.now() + timedelta(seconds=DEADLINE_S * 3)
        delivery.save(update_fields=["attempts", "next_attempt_at"])
    body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True)
    headers = sign(delivery.endpoint, delivery.message_id, body)
    # The URL is checked again here: DNS may have changed since it was saved.
    outcome = outbound.post(
        delivery.endpoint.url, body=body.encode(), headers=headers, policy=outbound_policy()
    )
    _record_attempt(delivery, outcome)
    return "delivered" if outcome.ok else "failed"


def _record_attempt(delivery, outcome: outbound.Outcome) -> None:
    ok = outcome.ok
    delivery.response_code, delivery.error = outcome.status_code, outcome.error
    if ok:
        delivery.status = WebhookDelivery.Status.SUCCEEDED
        delivery.delivered_at = timezone.now()
        delivery.next_attempt_at = None
    elif delivery.attempts > len(BACKOFF):
        delivery.status = WebhookDelivery.Status.GAVE_UP
        delivery.next_attempt_at = None
    else:
        delivery.status = WebhookDelivery.Status.FAILED
        delivery.next_attempt_at = timezone.now() + BACKOFF[delivery.attempts - 1]
    delivery.save(
        update_fields=[
            "response_code",
            "error",
            "status",
            "delivered_at",
            "next_attempt_at",
        ]
    )
    observe.observe_webhook_delivery(ok=ok)


def retry_due() -> int:
    due = WebhookDelivery.objects.filter(
        status__in=[WebhookDelivery.Status.PENDING, WebhookDelivery.Status.FAILED],
        next_attempt_at__lte=timezone.now(),
    ).values_list("pk", flat=True)[:200]
    count = 0
    for pk in due:
        _enqueue(pk)
        count += 1
    return count


def redeliver(*, tenant, actor: Actor, delivery_id) -> WebhookDelivery:
    """Send a delivery again now (a manual retry keeps the same webhook-id)."""
    _require_manage(tenant, actor)
    try:
        delivery = WebhookDelivery.objects.for_tenant(tenant).get(pk=delivery_id)
    except (WebhookDelivery.DoesNotExist, ValidationError, ValueError) as exc:
        raise NotFound(gettext("Delivery not found.")) from exc
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=WebhookDelivery.Status.PENDING, next_attempt_at=timezone.now()
    )
    record_event(tenant=tenant, actor=actor, action="webhook.redelivered", target=delivery)
    transaction.on_commit(lambda: _enqueue(delivery.pk))
    delivery.refresh_from_db()
    return delivery
