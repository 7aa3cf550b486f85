"""Every API endpoint needs a scope: a key without scopes gets 403 on every method of every
/api/v1/ route. Walks the URLconf, so a new endpoint is covered by default."""

import uuid

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from tests.api.conftest import key_client

# URL name -> why any valid key may call it without a scope.
SCOPE_FREE = {"api_me": "key introspection: tells the caller its own tenant, prefix and scopes"}
METHODS = ["get", "post", "put", "patch", "delete"]


def _api_routes(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        pattern = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _api_routes(entry, pattern)
        elif isinstance(entry, URLPattern) and pattern.startswith("api/v1/") and entry.name:
            yield entry, pattern


def _cases():
    for entry, pattern in _api_routes():
        view = entry.callback.cls
        for method in METHODS:
            if hasattr(view, method):
                yield pytest.param(entry, pattern, method, id=f"{method.upper()} {pattern}")


API_CASES = list(_cases())


def _url(entry, pattern: str) -> str:
    path = pattern
    for name in entry.pattern.converters:
        path = path.replace(f"<uuid:{name}>", str(uuid.uuid4()))
    for converter_name in ("<int:", "<str:", "<slug:"):
        assert converter_name not in path, f"teach _url about {path}"
    return "/" + path


def test_walk_finds_the_api():
    assert len(API_CASES) >= 17


@pytest.mark.parametrize(("entry", "pattern", "method"), API_CASES)
def test_every_view_declares_its_scopes(entry, pattern, method):
    if entry.name in SCOPE_FREE:
        return
    from tenants.permissions import HasScope, required_scope

    view = entry.callback.cls
    assert any(issubclass(p, HasScope) for p in view.permission_classes), pattern
    assert required_scope(view(), method.upper()), f"{method.upper()} {pattern} has no scope"


@pytest.mark.django_db
@pytest.mark.parametrize(("entry", "pattern", "method"), API_CASES)
def test_key_without_scopes_gets_403(entry, pattern, method, api_tenant):
    client = key_client(api_tenant, scopes=[])
    response = getattr(client, method)(_url(entry, pattern), {}, format="json")
    if entry.name in SCOPE_FREE:
        assert response.status_code == 200
        return
    assert response.status_code == 403, (pattern, response.status_code, response.content[:200])
    error = response.json()["error"]
    assert error["code"] == "permission_denied"
    assert "scope" in error["message"]


@pytest.mark.django_db
def test_scope_is_checked_per_method(api_tenant):
    reader = key_client(api_tenant, scopes=["jobs:read"])
    assert reader.get("/api/v1/jobs/").status_code == 200
    response = reader.post("/api/v1/jobs/", {"description": "a robot"}, format="json")
    assert response.status_code == 403
    assert "jobs:write" in response.json()["error"]["message"]
