"""DRF permissions: a tenant must be resolved, and the caller needs the endpoint's scope
(API keys) or the matching role permission (signed-in members)."""

from __future__ import annotations

from rest_framework import exceptions, permissions

from tenants.models import ApiKey
from tenants.roles import Perm, role_allows

SCOPE_TO_PERM = {
    "jobs:read": Perm.VIEW,
    "jobs:write": Perm.GENERATE,
    "styles:read": Perm.VIEW,
    "styles:write": Perm.MANAGE_STYLES,
    "finetunes:write": Perm.MANAGE_STYLES,
    "webhooks:write": Perm.MANAGE_KEYS,
}


def request_tenant(request):
    return getattr(request, "tenant", None)


class HasTenant(permissions.BasePermission):
    message = "Authenticate with an API key (Authorization: Bearer ask_...) or sign in."

    def has_permission(self, request, view) -> bool:
        return request_tenant(request) is not None


# A view that any valid key (or member) may call, whatever its scopes (e.g. "who am I").
ANY_SCOPE = "any"
# HEAD answers what GET answers (Django routes it to get()), headers included: a redirect to a
# signed file URL, for one. It needs GET's scope, never less.
SAME_AS = {"HEAD": "GET"}


def required_scope(view, method: str) -> str | None:
    """The scope `method` needs on `view`: per viewset action, per method, or "*" for all.
    None means the view never declared the method."""
    scopes = getattr(view, "required_scopes", None) or {}
    action = getattr(view, "action", None)
    if action and action in scopes:
        return scopes[action]
    return scopes.get(method) or scopes.get(SAME_AS.get(method, "")) or scopes.get("*")


class HasScope(HasTenant):
    """Views declare ``required_scopes = {"GET": "jobs:read", "POST": "jobs:write"}`` (or per
    viewset action name, or ``{"GET": ANY_SCOPE}``).

    Fails closed: a method the view does not declare is answered 405 before any handler runs,
    whatever the caller's scopes. That covers OPTIONS too: no view declares it, so DRF's
    metadata (field names, choices) is never served; the public schema documents the API.
    """

    def has_permission(self, request, view) -> bool:
        if not super().has_permission(request, view):
            return False
        scope = required_scope(view, request.method)
        if scope is None:
            raise exceptions.MethodNotAllowed(request.method)
        if scope == ANY_SCOPE:
            return True
        key = getattr(request, "api_key", None)
        if isinstance(key, ApiKey):
            if not key.has_scope(scope):
                self.message = f"This API key lacks the '{scope}' scope."
                return False
            return True
        membership = getattr(request, "membership", None)
        role = membership.role if membership else None
        if not role_allows(role, SCOPE_TO_PERM.get(scope, Perm.MANAGE_TENANT)):
            self.message = f"Your role ({role}) does not allow this action."
            return False
        return True
