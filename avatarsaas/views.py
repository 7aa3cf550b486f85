from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from core.model_settings import weights_status
from generation import selectors as generation_selectors
from tenants import selectors, verification
from tenants.roles import Perm, role_allows
from tenants.web import tenant_view


def home(request):
    return redirect("dashboard" if request.user.is_authenticated else "login")


def _next_steps(request, usage) -> list[dict]:
    """What a new workspace should do next, shown until each step is done."""
    role = request.membership.role
    tenant = request.tenant
    steps = []
    if usage.images_total == 0 and role_allows(role, Perm.GENERATE):
        steps.append({"url": "generate", "label": _("Describe your first bot and render it")})
    if role_allows(role, Perm.MANAGE_KEYS) and not selectors.api_keys_of(tenant).exists():
        steps.append({"url": "api_keys", "label": _("Create an API key for your bot's backend")})
    if role_allows(role, Perm.MANAGE_MEMBERS) and selectors.members_of(tenant).count() < 2:
        steps.append({"url": "team", "label": _("Invite your team")})
    return steps


def _email_check(request) -> dict | None:
    """What an unverified user is told: where the link went and what it will unlock."""
    pending = verification.pending_verification(request.user)
    if pending is None:
        return None
    tenant = pending.tenant
    return {
        "email": pending.email,
        "credits": tenant.plan.signup_credits if tenant is not None else 0,
        "workspace": tenant.name if tenant is not None else "",
    }


@tenant_view(Perm.VIEW)
def dashboard(request):
    usage = generation_selectors.usage_summary(request.tenant)
    return render(
        request,
        "dashboard.html",
        {
            "usage": usage,
            "recent_jobs": generation_selectors.recent_jobs(request.tenant),
            "recent_events": selectors.audit_events_of(request.tenant)[:8],
            "weights": weights_status(),
            "next_steps": _next_steps(request, usage),
            "can_generate": role_allows(request.membership.role, Perm.GENERATE),
            "email_check": _email_check(request),
        },
    )
