"""The per-account sign-in limit: guessing one named account from many addresses is slowed by
a growing delay, never turned into a lock, and the owner's own browser is not slowed at all."""

import time

import pytest
from django.core.cache import cache
from django.test import Client

from avatarsaas.auth_throttle import DEVICE_COOKIE
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db


class Clock:
    """time.time() under the test's control; the local-memory cache expires keys by it too
    (Redis would expire them in real time, so these tests use a local cache)."""

    def __init__(self):
        self.now = time.time()

    def __call__(self):
        return self.now

    def advance(self, seconds):
        self.now += seconds


@pytest.fixture(autouse=True)
def clock(settings, monkeypatch):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.TRUSTED_PROXY_HOPS = 1
    settings.LOGIN_THROTTLE_PER_ACCOUNT = 3
    settings.LOGIN_ACCOUNT_MAX_DELAY_SECONDS = 300
    cache.clear()
    frozen = Clock()
    monkeypatch.setattr(time, "time", frozen)
    yield frozen
    cache.clear()


def _attempt(client, username, password, address):
    return client.post(
        "/login/",
        {"username": username, "password": password},
        REMOTE_ADDR="10.42.0.7",
        HTTP_X_FORWARDED_FOR=address,
    )


def test_distributed_guessing_against_one_account_is_slowed(client):
    user = make_user("ceo@example.com")
    # A botnet: every guess from another address, so no per-address limit ever trips.
    for i in range(3):
        assert _attempt(client, user.username, f"guess{i}", f"203.0.113.{i}").status_code == 200
    assert _attempt(client, user.username, "guess3", "203.0.113.3").status_code == 200
    waited = _attempt(client, user.username, "guess4", "203.0.113.4")
    assert waited.status_code == 429 and int(waited["Retry-After"]) >= 1
    assert "wait" in waited.content.decode()
    # Other accounts are not affected.
    other = make_user("cfo@example.com")
    assert _attempt(client, other.username, PASSWORD, "203.0.113.5").status_code == 302


def test_the_delay_is_progressive_and_never_a_lock(client, clock):
    user = make_user("owner@example.com")
    for i in range(4):
        _attempt(client, user.username, "wrong", f"203.0.113.{i}")
    # Each failure beyond the limit doubles the wait before the next attempt.
    waits = []
    for _ in range(3):
        refused = _attempt(client, user.username, "wrong", "198.51.100.1")
        assert refused.status_code == 429
        waits.append(int(refused["Retry-After"]))
        clock.advance(waits[-1] + 0.5)
        assert _attempt(client, user.username, "wrong", "198.51.100.2").status_code == 200
    assert waits == [1, 2, 4]
    # The wait stops growing at the maximum ...
    for i in range(10):
        clock.advance(301)
        assert _attempt(client, user.username, "wrong", f"198.51.100.{20 + i}").status_code == 200
    assert int(_attempt(client, user.username, "x", "198.51.100.4")["Retry-After"]) <= 300
    # ... and once it is over the right password still works: no lock-out.
    clock.advance(301)
    assert _attempt(client, user.username, PASSWORD, "198.51.100.3").status_code == 302


def test_the_owners_known_browser_is_not_slowed_by_an_attack(client):
    user = make_user("founder@example.com")
    owner_browser = Client()
    assert _attempt(owner_browser, user.username, PASSWORD, "198.51.100.9").status_code == 302
    assert owner_browser.cookies[DEVICE_COOKIE].value
    owner_browser.post("/logout/")
    for i in range(6):
        _attempt(client, user.username, "wrong", f"203.0.113.{i}")
    assert _attempt(client, user.username, "wrong", "203.0.113.99").status_code == 429
    # The owner, from the browser that signed in before, goes straight through.
    assert _attempt(owner_browser, user.username, PASSWORD, "198.51.100.9").status_code == 302


def test_a_device_cookie_for_another_account_does_not_exempt(client):
    mine = make_user("mine@example.com")
    target = make_user("target@example.com")
    assert _attempt(client, mine.username, PASSWORD, "203.0.113.1").status_code == 302
    client.post("/logout/")
    for i in range(5):
        _attempt(client, target.username, "wrong", f"203.0.113.{i + 10}")
    assert _attempt(client, target.username, "wrong", "203.0.113.50").status_code == 429
