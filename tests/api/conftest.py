import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from tests.factories import make_api_key, make_tenant


@pytest.fixture(autouse=True)
def _fresh_rate_limits(settings):
    """Rate-limit counters live in the cache: start every test from zero, in a fixed window."""
    settings.API_RATE_LIMIT_WINDOW_SECONDS = 3600  # no window boundary inside a test
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _vector_only(no_models):
    """The embedded default (vector engine, no CLIP): jobs queue without any model."""


def key_client(tenant, scopes=None, **restrictions):
    """An API client for a fresh key of `tenant` with these scopes and key restrictions."""
    key, plaintext = make_api_key(tenant, scopes or None)
    if scopes is not None and not scopes:
        restrictions["scopes"] = []  # the factory treats "no scopes" as "all scopes"
    if restrictions:
        for name, value in restrictions.items():
            setattr(key, name, value)
        key.save(update_fields=list(restrictions))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    client.key = key
    return client


@pytest.fixture
def api_tenant(db):
    return make_tenant("API Bots", credits_amount=1000)
