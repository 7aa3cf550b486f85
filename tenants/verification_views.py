"""The sign-up email check: the page a verification link opens, and "send it again"."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import DomainError
from tenants import verification
from tenants.actors import client_ip
from tenants.web import flash_domain_error


def verify_email(request, token):
    """GET shows what will be confirmed; only the POST confirms, so a mail scanner that opens
    links cannot verify an address (and release credits) on its owner's behalf."""
    try:
        if request.method == "POST":
            pending, granted = verification.verify_email(token=token, ip=client_ip(request))
        else:
            pending, granted = verification.read_token(token), None
    except DomainError as exc:
        return render(
            request,
            "registration/verify_email.html",
            {"error": exc.message},
            status=exc.status_code,
        )
    if granted is None:
        return render(request, "registration/verify_email.html", {"verification": pending})
    if granted:
        messages.success(
            request,
            _("Your email address is confirmed. %(credits)s free credits were added to %(name)s.")
            % {"credits": granted, "name": pending.tenant.name},
        )
    else:
        messages.success(request, _("Your email address is confirmed."))
    return redirect("dashboard")


@login_required
@require_POST
def resend_verification(request):
    try:
        pending = verification.resend_verification(user=request.user)
    except DomainError as exc:
        flash_domain_error(request, exc)
    else:
        messages.success(
            request, _("We sent a new confirmation link to %(email)s.") % {"email": pending.email}
        )
    return redirect("dashboard")
