"""Things other rooms do when a tenant is born (e.g. starting credits). Kept as one seam so the
tenants app does not import generation/billing code at module import time."""

from __future__ import annotations

from tenants.actors import Actor


def tenant_created(*, tenant, actor: Actor, welcome_credits: bool = True) -> None:
    from tenants import credits

    if welcome_credits:
        credits.grant_signup_credits(tenant=tenant, actor=actor)
