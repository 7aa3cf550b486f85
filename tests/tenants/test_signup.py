import pytest
from django.contrib.auth import get_user_model

from tenants.models import AuditEvent, Membership, Tenant
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db


def test_signup_creates_user_tenant_owner_and_asks_to_verify(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/signup/",
            {"email": "Ana@Example.com", "password": PASSWORD, "tenant_name": "Ana's Bots"},
        )
    assert response.status_code == 302 and response["Location"] == "/dashboard/"
    user = get_user_model().objects.get(email="ana@example.com")
    tenant = Tenant.objects.get(slug="anas-bots")
    assert Membership.objects.get(user=user, tenant=tenant).role == "owner"
    assert AuditEvent.objects.filter(tenant=tenant, action="user.signed_up").exists()
    (mail,) = mailoutbox
    assert mail.to == ["ana@example.com"] and "/verify-email/" in mail.body
    dashboard = client.get("/dashboard/")
    assert dashboard.status_code == 200 and b"Ana&#x27;s Bots" in dashboard.content
    assert b'id="verify-email"' in dashboard.content


def test_signup_rejects_duplicate_email_and_weak_password(client):
    make_user("taken@example.com")
    response = client.post(
        "/signup/", {"email": "taken@example.com", "password": PASSWORD, "tenant_name": "X"}
    )
    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    response = client.post(
        "/signup/", {"email": "new@example.com", "password": "password", "tenant_name": "X"}
    )
    assert "too common" in response.content.decode()
    assert not Tenant.objects.filter(name="X").exists()


def test_slugs_stay_unique(client):
    for i in range(2):
        client.post(
            "/signup/", {"email": f"s{i}@example.com", "password": PASSWORD, "tenant_name": "Same"}
        )
        client.logout()
    assert sorted(Tenant.objects.filter(name="Same").values_list("slug", flat=True)) == [
        "same",
        "same-2",
    ]


def test_login_logout(client):
    make_user("login@example.com")
    response = client.post("/login/", {"username": "login@example.com", "password": PASSWORD})
    assert response.status_code == 302
    assert client.post("/logout/").status_code == 302
    assert client.get("/dashboard/").status_code == 302


def test_switching_to_a_workspace_you_are_not_in_is_404(client, tenant, other_tenant):
    from tests.factories import owner_of

    client.force_login(owner_of(tenant))
    assert (
        client.post("/workspaces/switch/", {"tenant_id": str(other_tenant.pk)}).status_code == 404
    )
    Membership.objects.create(tenant=other_tenant, user=owner_of(tenant), role="viewer")
    assert (
        client.post("/workspaces/switch/", {"tenant_id": str(other_tenant.pk)}).status_code == 302
    )
    assert client.get("/dashboard/").context["tenant"] == other_tenant
