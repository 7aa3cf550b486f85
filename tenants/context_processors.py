from tenants.roles import PERMISSION_MATRIX


def active_tenant(request):
    membership = getattr(request, "membership", None)
    perms = PERMISSION_MATRIX.get(membership.role, frozenset()) if membership else frozenset()
    return {
        "tenant": getattr(request, "tenant", None),
        "membership": membership,
        "perms": {p: True for p in perms},
    }
