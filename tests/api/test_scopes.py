"""Every API endpoint needs a scope, and the check fails closed: every /api/v1/ route, with
every HTTP method, called with a key that lacks the scope that method needs, answers neither
2xx nor 3xx. The routes come from the URL resolver and the objects from the cross-tenant
registry, so a new endpoint is covered by default and its handlers really run."""

import importlib
import pkgutil
import uuid

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

import tests.cross_tenant as cross_tenant
from tenants.models import ALL_SCOPES
from tenants.permissions import ANY_SCOPE, HasScope, required_scope
from tests.api.conftest import key_client
from tests.cross_tenant.registry import REGISTRY

for module in pkgutil.iter_modules(cross_tenant.__path__):
    if module.name.startswith("routes_"):
        importlib.import_module(f"tests.cross_tenant.{module.name}")

# URL name -> why any valid key may call it without a scope (declared with ANY_SCOPE).
SCOPE_FREE = {"api_me": "key introspection: tells the caller its own tenant, prefix and scopes"}
HANDLER_METHODS = ["get", "post", "put", "patch", "delete"]
EVERY_METHOD = ["GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE", "TRACE"]
MAKERS = {route.name: route.make for route in REGISTRY.values()}


def _api_routes(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        pattern = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _api_routes(entry, pattern)
        elif isinstance(entry, URLPattern) and pattern.startswith("api/v1/") and entry.name:
            yield entry, pattern


API_ROUTES = list(_api_routes())
API_CASES = [
    pytest.param(entry, pattern, method, id=f"{method.upper()} {pattern}")
    for entry, pattern in API_ROUTES
    for method in HANDLER_METHODS
    if hasattr(entry.callback.cls, method)
]
EVERY_CASE = [
    pytest.param(entry, method, id=f"{method} {pattern}")
    for entry, pattern in API_ROUTES
    for method in EVERY_METHOD
]


# Sample values for the non-id path parts (a state pack file's kind).
STR_SAMPLES = {"kind": "zip"}


def _url(entry, tenant=None) -> str:
    """The route's URL, addressing a real object of `tenant` when the registry can make one."""
    converters = entry.pattern.converters
    if not converters:
        return reverse(entry.name)
    if tenant is not None and entry.name in MAKERS:
        return reverse(entry.name, kwargs=MAKERS[entry.name](tenant))
    kwargs = {}
    for name, converter in converters.items():
        if converter.__class__.__name__ == "UUIDConverter":
            kwargs[name] = uuid.uuid4()
        else:
            assert name in STR_SAMPLES, f"teach _url about {entry.pattern}"
            kwargs[name] = STR_SAMPLES[name]
    return reverse(entry.name, kwargs=kwargs)


def test_walk_finds_the_api():
    assert len(API_CASES) >= 17


@pytest.mark.parametrize(("entry", "pattern", "method"), API_CASES)
def test_every_view_declares_its_scopes(entry, pattern, method):
    view = entry.callback.cls
    assert any(issubclass(p, HasScope) for p in view.permission_classes), pattern
    scope = required_scope(view(), method.upper())
    assert scope, f"{method.upper()} {pattern} has no scope"
    assert scope in ALL_SCOPES or (scope == ANY_SCOPE and entry.name in SCOPE_FREE), scope


@pytest.mark.django_db
@pytest.mark.parametrize(("entry", "method"), EVERY_CASE)
def test_a_key_without_the_routes_scope_gets_no_2xx_or_3xx(entry, method, api_tenant):
    scope = required_scope(entry.callback.cls(), method)
    if scope == ANY_SCOPE:
        assert entry.name in SCOPE_FREE, f"{entry.name} is open to every key; say why"
        return
    # Every scope but the one needed; a method the view never declared gets every scope.
    client = key_client(api_tenant, scopes=[s for s in ALL_SCOPES if s != scope])
    response = client.generic(method, _url(entry, api_tenant))
    assert not 200 <= response.status_code < 400, (
        method,
        entry.name,
        response.status_code,
        response.content[:200],
    )
    assert response.status_code in (403, 405), response.status_code


@pytest.mark.django_db
@pytest.mark.parametrize(("entry", "pattern", "method"), API_CASES)
def test_key_without_scopes_gets_403(entry, pattern, method, api_tenant):
    client = key_client(api_tenant, scopes=[])
    response = getattr(client, method)(_url(entry), {}, format="json")
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


@pytest.mark.django_db
def test_head_on_a_file_needs_the_get_scope(api_tenant):
    """HEAD is routed to get(): with a styles:read key it used to return the file (or the
    redirect to its signed S3 URL) that only jobs:read may fetch."""
    url = reverse("api_file_download", kwargs=MAKERS["api_file_download"](api_tenant))
    outsider = key_client(api_tenant, scopes=["styles:read"])
    response = outsider.head(url)
    assert response.status_code == 403
    assert "Location" not in response and "Content-Disposition" not in response
    assert key_client(api_tenant, scopes=["jobs:read"]).head(url).status_code == 200


@pytest.mark.django_db
def test_options_reveals_nothing_and_undeclared_methods_are_405(api_tenant):
    full = key_client(api_tenant, scopes=list(ALL_SCOPES))
    options = full.options("/api/v1/presets/")
    assert options.status_code == 405 and "actions" not in options.content.decode()
    assert full.put("/api/v1/jobs/", {}, format="json").status_code == 405
    assert full.generic("TRACE", "/api/v1/me/").status_code == 405
    assert full.head("/api/v1/me/").status_code == 200
