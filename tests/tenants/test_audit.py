import pytest

from tenants import services
from tenants.actors import Actor
from tenants.models import AuditEvent, Membership
from tests.factories import make_member, owner_of

pytestmark = pytest.mark.django_db


def test_security_actions_write_audit_events(owner_client, tenant):
    owner = owner_of(tenant)
    actor = Actor(user=owner, ip="10.0.0.9")
    key, _ = services.create_api_key(tenant=tenant, actor=actor, name="k", scopes=["jobs:read"])
    services.revoke_api_key(tenant=tenant, actor=actor, key_id=key.pk)
    services.invite_member(tenant=tenant, actor=actor, email="z@example.com", role="viewer")
    member = make_member(tenant, "member")
    membership = Membership.objects.get(user=member)
    services.change_role(tenant=tenant, actor=actor, membership_id=membership.pk, role="viewer")
    services.remove_member(tenant=tenant, actor=actor, membership_id=membership.pk)
    actions = set(AuditEvent.objects.filter(tenant=tenant).values_list("action", flat=True))
    assert {
        "api_key.created",
        "api_key.revoked",
        "member.invited",
        "member.role_changed",
        "member.removed",
    } <= actions
    event = AuditEvent.objects.get(tenant=tenant, action="member.role_changed")
    assert event.actor_user == owner and event.ip == "10.0.0.9"
    assert event.metadata == {"user": member.email, "from": "member", "to": "viewer"}
    page = owner_client.get("/settings/audit/")
    assert page.status_code == 200 and "member.role_changed" in page.content.decode()


def test_audit_log_is_scoped_to_tenant(owner_client, tenant, other_tenant):
    services.create_api_key(
        tenant=other_tenant,
        actor=Actor(user=owner_of(other_tenant)),
        name="secret-name",
        scopes=["jobs:read"],
    )
    assert "secret-name" not in owner_client.get("/settings/audit/").content.decode()
