from django.utils.functional import SimpleLazyObject

from tenants.roles import PERMISSION_MATRIX
from tenants.selectors import memberships_of


def active_tenant(request):
    membership = getattr(request, "membership", None)
    perms = PERMISSION_MATRIX.get(membership.role, frozenset()) if membership else frozenset()
    return {
        "tenant": getattr(request, "tenant", None),
        "membership": membership,
        "perms": {p: True for p in perms},
        # The switcher's choices (active workspaces only), queried only if a page renders it.
        "workspaces": SimpleLazyObject(lambda: _active_memberships(request)),
    }


def _active_memberships(request) -> list:
    user = getattr(request, "user", None)
    return list(memberships_of(user)) if user is not None and user.is_authenticated else []
