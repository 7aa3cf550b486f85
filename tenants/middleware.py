"""Resolve the signed-in user's active tenant from the session, validated against memberships."""

from core.hybrid_middleware import HybridMiddleware
from tenants.models import Membership

SESSION_KEY = "active_tenant_id"


class ActiveTenantMiddleware(HybridMiddleware):
    blocking = True  # reads the session and memberships

    def before(self, request):
        request.tenant = None
        request.membership = None
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            memberships = Membership.objects.filter(user=user, tenant__is_active=True)
            wanted = request.session.get(SESSION_KEY)
            membership = None
            if wanted:
                membership = (
                    memberships.select_related("tenant", "tenant__plan")
                    .filter(tenant_id=wanted)
                    .first()
                )
            if membership is None:
                membership = (
                    memberships.select_related("tenant", "tenant__plan")
                    .order_by("created_at")
                    .first()
                )
            if membership is not None:
                request.tenant = membership.tenant
                request.membership = membership
        return None
