"""Webhook endpoints for the dashboard: create, edit, delete, delivery log, redeliver."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import DomainError
from generation.models import WebhookDelivery, WebhookEndpoint
from generation.web.forms import WebhookEndpointForm
from generation.webhooks import delivery as webhooks
from tenants.actors import Actor
from tenants.roles import Perm
from tenants.web import flash_domain_error, paginate, tenant_view


def _apply_errors(form, exc: DomainError) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


@tenant_view(Perm.MANAGE_KEYS)
def webhook_list(request):
    form = WebhookEndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            endpoint = webhooks.create_endpoint(
                tenant=request.tenant, actor=Actor.from_request(request), **form.cleaned_data
            )
        except DomainError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Endpoint added. Copy its signing secret below."))
            return redirect("webhook_detail", endpoint_id=endpoint.pk)
    endpoints = WebhookEndpoint.objects.for_tenant(request.tenant)
    recent = (
        WebhookDelivery.objects.for_tenant(request.tenant)
        .select_related("endpoint")
        .order_by("-created_at")[:10]
    )
    return render(
        request,
        "generation/webhooks.html",
        {"form": form, "endpoints": endpoints, "recent": recent},
    )


@tenant_view(Perm.MANAGE_KEYS)
def webhook_detail(request, endpoint_id):
    endpoint = webhooks.get_endpoint(tenant=request.tenant, endpoint_id=endpoint_id)
    form = WebhookEndpointForm(request.POST or None, endpoint=endpoint)
    if request.method == "POST" and form.is_valid():
        try:
            webhooks.update_endpoint(
                tenant=request.tenant,
                actor=Actor.from_request(request),
                endpoint_id=endpoint.pk,
                **form.cleaned_data,
            )
        except DomainError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Endpoint saved."))
            return redirect("webhook_detail", endpoint_id=endpoint.pk)
    deliveries = endpoint.deliveries.order_by("-created_at")
    return render(
        request,
        "generation/webhook_detail.html",
        {"endpoint": endpoint, "form": form, "deliveries": paginate(request, deliveries, 20)},
    )


@tenant_view(Perm.MANAGE_KEYS)
@require_POST
def webhook_delete(request, endpoint_id):
    webhooks.delete_endpoint(
        tenant=request.tenant, actor=Actor.from_request(request), endpoint_id=endpoint_id
    )
    messages.success(request, _("Endpoint deleted; no more events will be sent to it."))
    return redirect("webhook_list")


@tenant_view(Perm.MANAGE_KEYS)
@require_POST
def webhook_redeliver(request, delivery_id):
    try:
        delivery = webhooks.redeliver(
            tenant=request.tenant, actor=Actor.from_request(request), delivery_id=delivery_id
        )
    except DomainError as exc:
        if exc.status_code == 404:
            raise
        flash_domain_error(request, exc)
        return redirect("webhook_list")
    messages.success(
        request,
        _("Redelivery of %(event)s queued (same webhook-id).") % {"event": delivery.event_type},
    )
    return redirect("webhook_detail", endpoint_id=delivery.endpoint_id)
