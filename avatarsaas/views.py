from django.conf import settings
from django.shortcuts import redirect, render

from tenants import selectors
from tenants.roles import Perm
from tenants.web import tenant_view


def home(request):
    return redirect("dashboard" if request.user.is_authenticated else "login")


@tenant_view(Perm.VIEW)
def dashboard(request):
    return render(
        request,
        "dashboard.html",
        {
            "recent_events": selectors.audit_events_of(request.tenant)[:8],
            "real_weights": bool(settings.AVATARSAAS_SD_MODEL)
            and settings.AVATARSAAS_WEIGHTS_ARE_REAL,
        },
    )
