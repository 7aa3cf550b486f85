"""DRF permissions: a tenant must be resolved, and the caller needs the endpoint's scope
(API keys) or the matching role permission (signed-in members)."""

from __future__ import annotations

from rest_framework import permissions

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


def required_scope(view, method: str) -> str | None:
    scopes = getattr(view, "required_scopes", None) or {}
    action = getattr(view, "action", None)
    if action and action in scopes:
        return scopes[action]
    return scopes.get(method) or scopes.get("*")


class HasScope(HasTenant):
    """Views declare ``required_scopes = {"GET": "jobs:read", "POST": "jobs:write"}`` (or per
    viewset action name)."""

    def has_permission(self, request, view) -> bool:
        if not super().has_permission(request, view):
            return False
        scope = required_scope(view, request.method)
        if scope is None:
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
