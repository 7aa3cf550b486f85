"""The OpenAPI schema, the docs page (vendored assets) and the dashboard's API page."""

import pytest
from rest_framework.test import APIClient

from tests.factories import make_api_key

pytestmark = pytest.mark.django_db
METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture
def schema(db):
    response = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    import json

    return json.loads(response.content)


def _operations(schema):
    for path, item in schema["paths"].items():
        for method, op in item.items():
            if method in METHODS:
                yield path, method, op


def test_schema_is_public_versioned_and_secured(schema):
    assert schema["openapi"].startswith("3.")
    assert all(path.startswith("/api/v1/") for path in schema["paths"])
    assert schema["components"]["securitySchemes"]["ApiKey"]["scheme"] == "bearer"


def test_every_operation_has_a_description_and_examples(schema):
    ops = list(_operations(schema))
    assert len(ops) >= 17
    for path, method, op in ops:
        where = f"{method.upper()} {path}"
        assert op.get("summary") or op.get("description"), f"{where}: describe it"
        success = [r for code, r in op["responses"].items() if code.startswith("2")]
        examples = [
            media
            for r in [*success, op.get("requestBody", {})]
            for media in r.get("content", {}).values()
            if media.get("examples") or media.get("example")
        ]
        binary_or_empty = all(
            not r.get("content") or "application/json" not in r["content"] for r in success
        )
        assert examples or binary_or_empty, f"{where}: add a request/response example"
        error = op["responses"]["401"]["content"]["application/json"]
        assert error["example"]["error"]["code"], f"{where}: error envelope example"
        assert "X-RateLimit-Remaining" in success[0].get("headers", {}) or not success


def test_list_endpoints_document_pagination_and_filters(schema):
    def params(path):
        return {p["name"] for p in schema["paths"][path]["get"]["parameters"]}

    assert {"cursor", "page_size", "status", "preset", "created_after"} <= params("/api/v1/jobs/")
    assert {"cursor", "is_active", "created_before"} <= params("/api/v1/webhooks/")
    deliveries = "/api/v1/webhooks/{endpoint_id}/deliveries/"
    assert {"cursor", "status", "event_type", "created_after"} <= params(deliveries)


def test_docs_page_uses_vendored_assets(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assert "cdn" not in html.lower() and "unpkg" not in html.lower()
    assert "/static/drf_spectacular_sidecar/" in html
    assert client.get("/api/redoc/").status_code == 200


def test_developers_page_shows_prefixes_never_secrets(owner_client, tenant):
    key, plaintext = make_api_key(tenant, name="bot backend")
    response = owner_client.get("/developers/")
    assert response.status_code == 200
    html = response.content.decode()
    assert f"ask_{key.prefix}_&lt;secret&gt;" in html
    assert plaintext.split("_")[-1] not in html
    assert "curl" in html and "avatarsaas_client" in html
    assert 'href="/developers/"' in owner_client.get("/dashboard/").content.decode()


def test_developers_page_needs_sign_in(client):
    assert client.get("/developers/").status_code == 302
