"""Tenant webhooks signed per the Standard Webhooks spec, with retries and a delivery log.

Headers: `webhook-id` (same on every retry of one message), `webhook-timestamp`,
`webhook-signature` (v1 HMAC-SHA256 over "id.timestamp.body" with the endpoint's secret).
"""

from __future__ import annotations

import base64
import json
import logging
import secrets
from datetime import timedelta
from typing import Any
from urllib.parse import urlparse

import requests
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from core import observe
from core.errors import InvalidInput, NotAllowed, NotFound
from core.queue import nudge
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
TIMEOUT_S = 10


def _require_manage(tenant: Tenant, actor: Actor) -> None:
    if actor.api_key is not None:
        if not actor.api_key.has_scope("webhooks:write"):
            raise NotAllowed("This API key lacks the 'webhooks:write' scope.")
        return

    if not actor_can(tenant=tenant, actor=actor, perm=Perm.MANAGE_KEYS):
        raise NotAllowed("Your role does not allow managing webhooks.")


def _validate_url(url: str) -> str:
    url = (url or "").strip()
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise InvalidInput("Enter an http(s) URL, e.g. https://example.com/hooks.", field="url")
    if (
        parsed.scheme == "http"
        and not settings.DEBUG
        and parsed.hostname not in ("localhost", "127.0.0.1")
    ):
        raise InvalidInput("Webhook URLs must use https.", field="url")
    return url


def _validate_events(events) -> list[str]:
    events = list(events or [])
    unknown = sorted(set(events) - set(WEBHOOK_EVENTS))
    if unknown:
        raise InvalidInput(
            f"Unknown event(s): {', '.join(unknown)}. Accepted: {', '.join(WEBHOOK_EVENTS)}.",
            field="events",
        )
    return sorted(set(events))


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


@transaction.atomic
def create_endpoint(
    *, tenant, actor: Actor, url: str, events=None, description: str = ""
) -> WebhookEndpoint:
    _require_manage(tenant, actor)
    endpoint = WebhookEndpoint.objects.create(
        tenant=tenant,
        url=_validate_url(url),
        events=_validate_events(events),
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
        raise NotFound("Webhook endpoint not found.") from exc


@transaction.atomic
def update_endpoint(*, tenant, actor: Actor, endpoint_id, **changes) -> WebhookEndpoint:
    _require_manage(tenant, actor)
    endpoint = get_endpoint(tenant=tenant, endpoint_id=endpoint_id)
    if "url" in changes:
        endpoint.url = _validate_url(changes["url"])
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
        "generation.tasks.deliver_webhook", str(delivery_id), what=f"webhook delivery {delivery_id}"
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
        delivery.next_attempt_at = timezone.now() + timedelta(seconds=TIMEOUT_S * 3)
        delivery.save(update_fields=["attempts", "next_attempt_at"])
    body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True)
    headers = sign(delivery.endpoint, delivery.message_id, body)
    ok, code, excerpt, error = False, None, "", ""
    try:
        response = requests.post(
            delivery.endpoint.url,
            data=body.encode(),
            headers=headers,
            timeout=TIMEOUT_S,
            allow_redirects=False,
        )
        code, excerpt = response.status_code, response.text[:500]
        ok = 200 <= response.status_code < 300
    except requests.RequestException as exc:
        error = f"{type(exc).__name__}: {exc}"[:300]
    _record_attempt(delivery, ok=ok, code=code, excerpt=excerpt, error=error)
    return "delivered" if ok else "failed"


def _record_attempt(delivery, *, ok, code, excerpt, error) -> None:
    delivery.response_code, delivery.response_excerpt, delivery.error = code, excerpt, error
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
            "response_excerpt",
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
        raise NotFound("Delivery not found.") from exc
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=WebhookDelivery.Status.PENDING, next_attempt_at=timezone.now()
    )
    record_event(tenant=tenant, actor=actor, action="webhook.redelivered", target=delivery)
    transaction.on_commit(lambda: _enqueue(delivery.pk))
    delivery.refresh_from_db()
    return delivery
