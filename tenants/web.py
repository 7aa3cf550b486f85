"""Helpers shared by the server-rendered views of every app."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

from core.errors import DomainError, NotFound
from tenants.roles import role_allows


def tenant_view(perm: str | None = None):
    """Login + an active tenant (+ a role permission). Domain errors become 404s or messages."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.tenant is None:
                return render(request, "tenants/no_tenant.html", status=403)
            if perm and not role_allows(request.membership.role, perm):
                return render(
                    request,
                    "403.html",
                    {"reason": f"Your role ({request.membership.role}) cannot do this."},
                    status=403,
                )
            try:
                return view(request, *args, **kwargs)
            except NotFound as exc:
                raise Http404(exc.message) from exc

        return wrapper

    return decorator


def flash_domain_error(request, exc: DomainError) -> None:
    prefix = f"{exc.field}: " if exc.field else ""
    messages.error(request, f"{prefix}{exc.message}")


def paginate(request, queryset, per_page: int = 25):
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))


def redirect_to_next(request, fallback: str):
    """Redirect to the POSTed (or queried) `next` if it stays on this site, else to `fallback`.
    An unchecked `next` turns any form into an open redirect (phishing links that start on
    our domain)."""
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if wanted and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(wanted)
    return redirect(fallback)
