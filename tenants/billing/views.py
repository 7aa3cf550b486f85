"""Billing pages (owners/admins) and the Stripe webhook endpoint."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from core.api_errors import error_body
from core.errors import DomainError
from tenants import exports
from tenants.actors import Actor, client_ip
from tenants.billing import selectors, services, webhooks
from tenants.billing.models import StripeEvent
from tenants.billing.money import format_money
from tenants.billing.notifications import low_balance_threshold
from tenants.billing.stripe_client import is_configured
from tenants.roles import Perm
from tenants.web import flash_domain_error, paginate, tenant_view

logger = logging.getLogger(__name__)


@tenant_view(Perm.MANAGE_BILLING)
def ledger_csv(request):
    return exports.ledger_csv(request.tenant)


@tenant_view(Perm.MANAGE_BILLING)
def billing(request):
    tenant = request.tenant
    return render(
        request,
        "billing/billing.html",
        {
            "configured": is_configured(),
            "packs": selectors.packs_on_sale(),
            "plans": [
                (plan, format_money(plan.monthly_price_cents))
                for plan in selectors.subscribable_plans()
            ],
            "subscription": selectors.current_subscription(tenant),
            "purchases": selectors.purchases_of(tenant)[:5],
            "ledger": paginate(request, selectors.ledger_of(tenant)),
            "low_balance_threshold": low_balance_threshold(),
        },
    )


@tenant_view(Perm.MANAGE_BILLING)
@require_POST
def buy_pack(request):
    try:
        purchase = services.start_credit_pack_purchase(
            tenant=request.tenant,
            actor=Actor.from_request(request),
            pack_slug=request.POST.get("pack", ""),
        )
    except DomainError as exc:
        flash_domain_error(request, exc)
        return redirect("billing")
    return redirect("billing_purchase", purchase_id=purchase.pk)


@tenant_view(Perm.MANAGE_BILLING)
def purchase_detail(request, purchase_id):
    purchase = get_object_or_404(selectors.purchases_of(request.tenant), pk=purchase_id)
    payment, payment_error = {}, ""
    if purchase.status == purchase.Status.PENDING:
        try:
            payment = services.payment_intent_details(purchase)
        except DomainError as exc:
            payment_error = exc.message
    return render(
        request,
        "billing/purchase.html",
        {
            "purchase": purchase,
            "payment": payment,
            "payment_error": payment_error,
            "publishable_key": settings.STRIPE_PUBLISHABLE_KEY,
            "api_base": settings.STRIPE_API_BASE,
        },
    )


@tenant_view(Perm.MANAGE_BILLING)
@require_POST
def subscribe(request):
    try:
        services.start_subscription(
            tenant=request.tenant,
            actor=Actor.from_request(request),
            plan_slug=request.POST.get("plan", ""),
        )
    except DomainError as exc:
        flash_domain_error(request, exc)
    else:
        messages.success(
            request,
            _("Subscription started. Your plan changes as soon as Stripe confirms payment."),
        )
    return redirect("billing")


@tenant_view(Perm.MANAGE_BILLING)
@require_POST
def cancel_subscription(request):
    try:
        services.cancel_subscription(tenant=request.tenant, actor=Actor.from_request(request))
    except DomainError as exc:
        flash_domain_error(request, exc)
    else:
        messages.success(request, _("Subscription canceled. You move to the free plan shortly."))
    return redirect("billing")


@tenant_view(Perm.MANAGE_BILLING)
@require_POST
def customer_portal(request):
    try:
        url = services.customer_portal_url(
            tenant=request.tenant,
            actor=Actor.from_request(request),
            return_url=request.build_absolute_uri(reverse("billing")),
        )
    except DomainError as exc:
        flash_domain_error(request, exc)
        return redirect("billing")
    return HttpResponseRedirect(url)


@csrf_exempt
@require_POST
def stripe_webhook(request):
    try:
        event = webhooks.verify_event(request.body, request.headers.get("Stripe-Signature"))
    except webhooks.InvalidWebhook as exc:
        logger.warning("Rejected a Stripe webhook from %s: %s", client_ip(request), exc)
        return JsonResponse(error_body("invalid_webhook", str(exc)), status=400)
    record = webhooks.process_event(event)
    if record.status == StripeEvent.Status.FAILED:
        return JsonResponse(
            error_body("webhook_failed", "Processing failed; Stripe will retry."), status=500
        )
    return JsonResponse({"received": True, "id": record.id, "status": record.status})
