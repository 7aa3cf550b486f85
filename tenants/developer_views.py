"""The dashboard's "API" page: copy-paste quickstart with this workspace's key prefixes."""

from django.conf import settings
from django.shortcuts import render

from tenants import selectors
from tenants.roles import Perm
from tenants.web import tenant_view


@tenant_view(Perm.VIEW)
def developers(request):
    keys = [key for key in selectors.api_keys_of(request.tenant)[:20] if key.is_usable]
    # Only the public prefix is ever shown; the secret exists solely in the creator's copy.
    example_key = (
        f"{settings.AVATARSAAS_API_KEY_PREFIX}_{keys[0].prefix}_<secret>"
        if keys
        else f"{settings.AVATARSAAS_API_KEY_PREFIX}_<prefix>_<secret>"
    )
    return render(
        request,
        "developers/index.html",
        {
            "keys": keys,
            "example_key": example_key,
            "api_base": request.build_absolute_uri("/api/v1/"),
            "docs_url": request.build_absolute_uri("/api/docs/"),
            "plan": request.tenant.plan,
        },
    )
