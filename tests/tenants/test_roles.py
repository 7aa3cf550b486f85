import pytest

from core.errors import InvalidInput, NotAllowed
from tenants import services
from tenants.actors import Actor
from tenants.models import Membership
from tenants.roles import PERMISSION_MATRIX, Perm, role_allows
from tests.factories import make_member, owner_of

pytestmark = pytest.mark.django_db

EXPECTED = {
    # perm: roles that have it
    Perm.VIEW: {"owner", "admin", "member", "viewer"},
    Perm.GENERATE: {"owner", "admin", "member"},
    Perm.MANAGE_STYLES: {"owner", "admin"},
    Perm.MANAGE_KEYS: {"owner", "admin"},
    Perm.MANAGE_MEMBERS: {"owner", "admin"},
    Perm.MANAGE_BILLING: {"owner", "admin"},
    Perm.MANAGE_TENANT: {"owner"},
}


@pytest.mark.parametrize("perm", sorted(EXPECTED))
@pytest.mark.parametrize("role", ["owner", "admin", "member", "viewer", None])
def test_permission_matrix(role, perm):
    assert role_allows(role, perm) is (role in EXPECTED[perm])


def test_matrix_has_no_unlisted_permissions():
    listed = set().union(*PERMISSION_MATRIX.values())
    assert listed == set(EXPECTED)


@pytest.mark.parametrize(
    "role,status", [("owner", 200), ("admin", 200), ("member", 403), ("viewer", 403)]
)
def test_api_key_page_by_role(client, tenant, role, status):
    client.force_login(make_member(tenant, role))
    assert client.get("/settings/api-keys/").status_code == status


def test_member_cannot_invite_and_admin_cannot_grant_owner(tenant):
    member = Actor(user=make_member(tenant, "member"))
    with pytest.raises(NotAllowed):
        services.invite_member(tenant=tenant, actor=member, email="x@example.com", role="viewer")
    admin = Actor(user=make_member(tenant, "admin"))
    with pytest.raises(NotAllowed):
        services.invite_member(tenant=tenant, actor=admin, email="x@example.com", role="owner")
    invitation, _ = services.invite_member(
        tenant=tenant, actor=admin, email="x@example.com", role="member"
    )
    assert invitation.role == "member"


def test_last_owner_cannot_be_demoted_or_leave(tenant):
    owner = owner_of(tenant)
    membership = Membership.objects.get(tenant=tenant, user=owner)
    with pytest.raises(InvalidInput, match="at least one owner"):
        services.change_role(
            tenant=tenant, actor=Actor(user=owner), membership_id=membership.pk, role="admin"
        )
    with pytest.raises(InvalidInput, match="last owner"):
        services.remove_member(tenant=tenant, actor=Actor(user=owner), membership_id=membership.pk)


def test_admin_cannot_remove_owner_but_owner_can_change_roles(tenant):
    owner = owner_of(tenant)
    admin = make_member(tenant, "admin")
    owner_membership = Membership.objects.get(tenant=tenant, user=owner)
    with pytest.raises(NotAllowed):
        services.remove_member(
            tenant=tenant, actor=Actor(user=admin), membership_id=owner_membership.pk
        )
    admin_membership = Membership.objects.get(tenant=tenant, user=admin)
    services.change_role(
        tenant=tenant, actor=Actor(user=owner), membership_id=admin_membership.pk, role="viewer"
    )
    admin_membership.refresh_from_db()
    assert admin_membership.role == "viewer"


def test_team_page_role_change_via_web(owner_client, tenant):
    member = make_member(tenant, "member")
    membership = Membership.objects.get(tenant=tenant, user=member)
    response = owner_client.post(f"/settings/team/{membership.pk}/role/", {"role": "admin"})
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.role == "admin"
    page = owner_client.get("/settings/team/")
    assert member.email in page.content.decode()
