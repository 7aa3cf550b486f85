"""One error envelope for every 4xx/5xx under /api/, with the request id (also in the logs)."""

import logging

import pytest
from rest_framework.test import APIClient

from core.request_id import RequestIdLogFilter
from tests.api.conftest import key_client

pytestmark = pytest.mark.django_db


def _error(response, status, code):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"]
    assert error["request_id"] == response["X-Request-ID"]
    return error


def test_unknown_api_url_is_json_404(api_tenant):
    client = key_client(api_tenant)
    _error(client.get("/api/v1/no-such-thing/"), 404, "not_found")
    _error(client.post("/api/v2/jobs/", {}, format="json"), 404, "not_found")
    _error(APIClient().get("/api/nope"), 404, "not_found")  # no key needed to learn that
    # A control character in a path segment (found by schemathesis) still gets JSON, not HTML.
    _error(client.post("/api/v1/presets/%0Ab%18/activate-adapter/", {}), 404, "not_found")


def test_missing_trailing_slash_says_so(api_tenant):
    error = _error(key_client(api_tenant).get("/api/v1/jobs"), 404, "not_found")
    assert "/api/v1/jobs/" in error["message"]


def test_unknown_object_is_404(api_tenant):
    error = _error(
        key_client(api_tenant).get("/api/v1/jobs/7c9e6679-7425-40de-944b-e07fc1f90ae7/"),
        404,
        "not_found",
    )
    assert error["message"] == "Job not found."


def test_405(api_tenant):
    _error(key_client(api_tenant).delete("/api/v1/jobs/"), 405, "method_not_allowed")


def test_415(api_tenant):
    response = key_client(api_tenant).post(
        "/api/v1/jobs/", "description=robot", content_type="application/x-www-form-urlencoded"
    )
    _error(response, 415, "unsupported_media_type")


def test_400_names_the_field(api_tenant):
    error = _error(
        key_client(api_tenant).post("/api/v1/jobs/", {"description": "x", "n": 99}, format="json"),
        400,
        "invalid",
    )
    assert error["field"] == "n"
    assert "n" in error["fields"]


def test_400_for_bad_filters(api_tenant):
    client = key_client(api_tenant)
    assert _error(client.get("/api/v1/jobs/?preset=xyz"), 400, "invalid")["field"] == "preset"
    error = _error(client.get("/api/v1/jobs/?created_after=2026-13-45T00:00:00"), 400, "invalid")
    assert error["field"] == "created_after"


def test_401(api_tenant):
    _error(APIClient().get("/api/v1/jobs/"), 401, "not_authenticated")
    bad = APIClient()
    bad.credentials(HTTP_AUTHORIZATION="Bearer ask_deadbeef_nope")
    _error(bad.get("/api/v1/jobs/"), 401, "authentication_failed")
    assert 'Bearer realm="api"' in bad.get("/api/v1/jobs/")["WWW-Authenticate"]


def test_403(api_tenant):
    _error(
        key_client(api_tenant, scopes=["jobs:read"]).get("/api/v1/webhooks/"),
        403,
        "permission_denied",
    )


def test_402_when_credits_run_out(db):
    from tenants.models import Tenant
    from tests.factories import make_tenant

    poor = make_tenant("Poor Bots")
    Tenant.objects.filter(pk=poor.pk).update(credit_balance=0)
    response = key_client(poor).post(
        "/api/v1/jobs/", {"description": "a robot", "engine": "vector"}, format="json"
    )
    _error(response, 402, "insufficient_credits")


def test_500_is_the_envelope_and_logged_with_the_request_id(api_tenant, settings, tmp_path):
    """A real failure: media storage pointing below a regular file (a broken mount)."""
    from tests.cross_tenant.routes_generation import _image

    image = _image(api_tenant)
    file_id = image.files.first().pk
    not_a_dir = tmp_path / "not-a-directory"
    not_a_dir.write_text("")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(not_a_dir)},
        },
    }
    records = []
    handler = logging.Handler()
    handler.addFilter(RequestIdLogFilter())
    handler.emit = records.append
    logger = logging.getLogger("core.api_errors")
    logger.addHandler(handler)
    try:
        response = key_client(api_tenant).get(
            f"/api/v1/files/{file_id}/", HTTP_X_REQUEST_ID="trace-500-abcdef"
        )
    finally:
        logger.removeHandler(handler)
    error = _error(response, 500, "server_error")
    assert error["request_id"] == "trace-500-abcdef"
    assert "quote the request id" in error["message"]
    assert "not-a-directory" not in response.content.decode()  # no internals leak
    [record] = [r for r in records if r.levelno == logging.ERROR]
    assert record.request_id == "trace-500-abcdef"
    assert record.exc_info is not None
    assert f"/api/v1/files/{file_id}/" in record.getMessage()
