"""How domain errors show on the styles pages: the `styles_view` decorator and form errors."""

from functools import wraps

from django.shortcuts import render

from core.errors import DomainError
from tenants.web import flash_domain_error, tenant_view


def styles_view(perm: str):
    """tenant_view, plus: a domain error nobody handled (e.g. editing a built-in) is shown
    on the 403 page with its reason instead of becoming a server error."""

    def decorator(view):
        @wraps(view)
        def inner(request, *args, **kwargs):
            try:
                return view(request, *args, **kwargs)
            except DomainError as exc:
                if exc.status_code == 404:
                    raise
                return render(request, "403.html", {"reason": exc.message}, status=403)

        return tenant_view(perm)(inner)

    return decorator


def form_error(request, form, exc: DomainError) -> None:
    """Attach a domain error to its form field, or flash it when no field matches."""
    if exc.field and exc.field in form.fields:
        form.add_error(exc.field, exc.message)
    else:
        flash_domain_error(request, exc)
