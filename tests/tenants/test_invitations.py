from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from tenants import services
from tenants.actors import Actor
from tenants.models import AuditEvent, Invitation, Membership
from tests.factories import make_user, owner_of

pytestmark = pytest.mark.django_db


def _invite(tenant, email="new@example.com", role="member"):
    return services.invite_member(
        tenant=tenant, actor=Actor(user=owner_of(tenant)), email=email, role=role
    )


def test_invite_sends_email_and_accept_creates_membership(
    client, tenant, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invitation, token = _invite(tenant)
    assert len(mail.outbox) == 1 and token in mail.outbox[0].body
    assert token not in invitation.token_hash  # only a hash is stored
    user = make_user("new@example.com")
    client.force_login(user)
    page = client.get(f"/invitations/{token}/")
    assert page.status_code == 200 and b"Accept invitation" in page.content
    assert client.post(f"/invitations/{token}/").status_code == 302
    assert Membership.objects.get(tenant=tenant, user=user).role == "member"
    assert AuditEvent.objects.filter(tenant=tenant, action="member.joined").exists()
    # A used invitation cannot be used again.
    with pytest.raises(Exception, match="accepted"):
        services.accept_invitation(token=token, user=user)


def test_expired_invitation_is_refused(tenant):
    invitation, token = _invite(tenant)
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    user = make_user("new@example.com")
    with pytest.raises(Exception, match="expired"):
        services.accept_invitation(token=token, user=user)
    assert not Membership.objects.filter(tenant=tenant, user=user).exists()


def test_invitation_for_another_email_is_refused(tenant):
    _, token = _invite(tenant)
    intruder = make_user("intruder@example.com")
    with pytest.raises(Exception, match="sent to new@example.com"):
        services.accept_invitation(token=token, user=intruder)


def test_unknown_token_is_404(client):
    assert client.get("/invitations/not-a-real-token/").status_code == 404


def test_invite_via_web_validates_email(owner_client, tenant):
    response = owner_client.post(
        "/settings/team/invite/", {"email": "nope", "role": "member"}, follow=True
    )
    assert "email" in response.content.decode()
    assert not Invitation.objects.filter(tenant=tenant).exists()
