from tenants.models import Invitation, Membership
from tests.cross_tenant.registry import Route, exempt, register
from tests.factories import make_api_key, make_member


def _member(tenant):
    return {"membership_id": Membership.objects.get(user=make_member(tenant), tenant=tenant).pk}


def _invitation(tenant):
    from datetime import timedelta

    from django.utils import timezone

    inv = Invitation.objects.create(
        tenant=tenant,
        email="someone@example.com",
        role="member",
        token_hash=f"x{tenant.pk.hex}"[:64],
        expires_at=timezone.now() + timedelta(days=1),
    )
    return {"invitation_id": inv.pk}


def _key(tenant):
    return {"key_id": make_api_key(tenant)[0].pk}


register(Route("change_member_role", _member, method="post", data={"role": "viewer"}))
register(Route("remove_member", _member, method="post"))
register(Route("revoke_invitation", _invitation, method="post"))
register(Route("revoke_api_key", _key, method="post"))
register(Route("api_key_limits", _key))
register(Route("api_key_limits", _key, method="post", data={"max_n": "2"}))
exempt("accept_invitation", "addressed by a secret token, not a tenant object id")
exempt("password_reset_confirm", "Django's signed reset link, not a tenant object")
exempt("verify_email", "a signed email-verification link, not a tenant object id")


def _pending_deletion(tenant):
    from datetime import timedelta

    from django.utils import timezone

    from tenants.models import Tenant

    Tenant.objects.filter(pk=tenant.pk).update(
        is_active=False, deletion_scheduled_at=timezone.now() + timedelta(days=7)
    )
    return {"tenant_id": tenant.pk}


register(Route("workspace_restore", _pending_deletion, method="post", ok_statuses=(302,)))
