from datetime import timedelta

import pytest
from django.forms.models import model_to_dict
from django.utils import timezone
from rest_framework.test import APIClient

from tenants import services
from tenants.actors import Actor
from tenants.models import ApiKey, AuditEvent
from tests.factories import make_api_key, owner_of

pytestmark = pytest.mark.django_db


def _client(plaintext):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    return client


def test_create_authenticate_revoke_reject(tenant):
    actor = Actor(user=owner_of(tenant))
    key, plaintext = services.create_api_key(
        tenant=tenant, actor=actor, name="bot", scopes=["jobs:read"]
    )
    assert plaintext.startswith(f"ask_{key.prefix}_")
    response = _client(plaintext).get("/api/v1/me/")
    assert response.status_code == 200
    assert response.json()["tenant"]["slug"] == tenant.slug
    key.refresh_from_db()
    assert key.last_used_at is not None

    services.revoke_api_key(tenant=tenant, actor=actor, key_id=key.pk)
    response = _client(plaintext).get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["error"]["message"] == "This API key has been revoked."
    assert list(
        AuditEvent.objects.filter(tenant=tenant, action__startswith="api_key.").values_list(
            "action", flat=True
        )
    ) == ["api_key.revoked", "api_key.created"]


def test_expired_key_is_rejected(tenant):
    key, plaintext = make_api_key(tenant, expires_at=timezone.now() + timedelta(hours=1))
    assert _client(plaintext).get("/api/v1/me/").status_code == 200
    # Saved like any change to a key (a queryset update would bypass the key cache's
    # invalidation; a key that reaches its expiry by time alone is checked on every request).
    key.expires_at = timezone.now() - timedelta(seconds=1)
    key.save(update_fields=["expires_at"])
    response = _client(plaintext).get("/api/v1/me/")
    assert response.status_code == 401 and "expired" in response.json()["error"]["message"]


def test_wrong_secret_with_valid_prefix_is_rejected(tenant):
    key, plaintext = make_api_key(tenant)
    forged = plaintext[:-4] + ("0000" if not plaintext.endswith("0000") else "1111")
    response = _client(forged).get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"


@pytest.mark.parametrize(
    "header", ["Bearer nonsense", "Bearer ask_short_x", "Bearer ask_12345678_"]
)
def test_malformed_keys_are_rejected(tenant, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    assert client.get("/api/v1/me/").status_code == 401


def test_no_credentials_is_401_with_envelope():
    response = APIClient().get("/api/v1/me/")
    assert response.status_code in (401, 403)
    body = response.json()["error"]
    assert body["code"] and body["message"] and body["request_id"]


def test_secret_is_stored_only_hashed(tenant):
    key, plaintext = make_api_key(tenant)
    secret = plaintext.rsplit("_", 1)[1]
    row = model_to_dict(ApiKey.objects.get(pk=key.pk))
    assert all(secret not in str(value) for value in row.values())
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT * FROM tenants_apikey WHERE id = %s",
            [key.pk.hex if connection.vendor == "sqlite" else key.pk],
        )
        raw = cursor.fetchone()
    assert raw is not None and all(secret not in str(col) for col in raw)


def test_unknown_scope_is_a_clear_error(tenant):
    with pytest.raises(Exception, match="Unknown scope"):
        make_api_key(tenant, scopes=["jobs:delete"])


def test_web_create_shows_secret_once_and_revoke(owner_client, tenant):
    response = owner_client.post(
        "/settings/api-keys/", {"name": "prod bot", "scopes": ["jobs:read", "jobs:write"]}
    )
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    plaintext = response.context["plaintext"]
    assert plaintext in response.content.decode()
    listing = owner_client.get("/settings/api-keys/").content.decode()
    assert "prod bot" in listing and plaintext not in listing
    key = ApiKey.objects.get(tenant=tenant, name="prod bot")
    assert owner_client.post(f"/settings/api-keys/{key.pk}/revoke/").status_code == 302
    assert _client(plaintext).get("/api/v1/me/").status_code == 401


def test_web_create_rejects_missing_scopes(owner_client, tenant):
    response = owner_client.post("/settings/api-keys/", {"name": "x"})
    assert response.status_code == 200
    assert "This field is required" in response.content.decode()
    assert not ApiKey.objects.filter(tenant=tenant).exists()
