from tenants.roles import PERMISSION_MATRIX


def active_tenant(request):
    membership = getattr(request, "membership", None)
    perms = PERMISSION_MATRIX.get(membership.role, frozenset()) if membership else frozenset()
    return {
        "tenant": getattr(request, "tenant", None),
        "membership": membership,
        "perms": {p: True for p in perms},
        "workspaces": _Workspaces(request),
    }


class _Workspaces:
    """The switcher's choices: the user's *active* workspaces (a suspended or deleted one is
    not offered), queried only when a page renders the switcher."""

    def __init__(self, request):
        self.request = request
        self._items = None

    def _load(self):
        if self._items is None:
            from tenants.models import Membership

            user = getattr(self.request, "user", None)
            self._items = (
                list(
                    Membership.objects.filter(user=user, tenant__is_active=True)
                    .select_related("tenant")
                    .order_by("tenant__name")
                )
                if user is not None and user.is_authenticated
                else []
            )
        return self._items

    def __iter__(self):
        return iter(self._load())

    def __len__(self):
        return len(self._load())
