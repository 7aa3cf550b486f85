import importlib
import pkgutil

import pytest
from django.urls import get_resolver, reverse
from django.urls.resolvers import URLPattern, URLResolver

import tests.cross_tenant as package
from tests.cross_tenant.registry import EXEMPT, REGISTRY
from tests.factories import api_client_for, make_tenant, owner_of

for module in pkgutil.iter_modules(package.__path__):
    if module.name.startswith("routes_"):
        importlib.import_module(f"tests.cross_tenant.{module.name}")


def _id_route_names(resolver=None, prefix="") -> set[str]:
    resolver = resolver or get_resolver()
    names = set()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            if "admin" in str(entry.pattern):
                continue  # the Django admin is staff-only and tested separately
            names |= _id_route_names(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            pattern = prefix + str(entry.pattern)
            if "<" in pattern and entry.name:
                names.add(entry.name)
    return names


def test_every_id_route_is_registered():
    registered = {route.name for route in REGISTRY.values()}
    missing = _id_route_names() - registered - set(EXEMPT)
    assert not missing, f"Register these URL names in tests/cross_tenant/routes_*.py: {missing}"


def _call(route, caller_tenant, url):
    if route.kind == "api":
        client = api_client_for(caller_tenant)
        return getattr(client, route.method)(url, route.data, format="json")
    from django.test import Client

    client = Client()
    client.force_login(owner_of(caller_tenant))
    return getattr(client, route.method)(url, route.data)


@pytest.mark.django_db
@pytest.mark.parametrize("route", sorted(REGISTRY.values(), key=lambda r: r.id), ids=lambda r: r.id)
def test_other_tenants_objects_answer_404(route):
    tenant_a = make_tenant("Tenant A", credits_amount=1000)
    tenant_b = make_tenant("Tenant B", credits_amount=1000)

    foreign = reverse(route.name, kwargs=route.make(tenant_b))
    response = _call(route, tenant_a, foreign)
    assert response.status_code == 404, (
        f"{route.id} leaked tenant B's object: {response.status_code}"
    )

    # Positive control: the same route finds tenant A's own object.
    own = reverse(route.name, kwargs=route.make(tenant_a))
    response = _call(route, tenant_a, own)
    allowed = route.ok_statuses or tuple(s for s in range(200, 500) if s != 404)
    assert response.status_code in allowed, f"{route.id} on own object: {response.status_code}"
