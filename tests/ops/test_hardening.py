"""Production hardening: `check --deploy` clean with the production environment, security
headers and CSP, login throttling, admin allowlist, request size cap."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.cache import cache

from tests.factories import PASSWORD, make_user

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": secrets.token_urlsafe(60),
    "ALLOWED_HOSTS": "avatars.example.com",
    "SECURE_SSL_REDIRECT": "1",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "1",
    "SECURE_HSTS_PRELOAD": "1",
    "TRUST_X_FORWARDED_PROTO": "1",
}


def _manage(*args, env_extra):
    # The browser tests' conftest sets DJANGO_ALLOW_ASYNC_UNSAFE for Playwright in this
    # process; a production process would never have it, and check --deploy rejects it.
    dropped = {*PRODUCTION_ENV, "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env.update(env_extra)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_in_production_mode():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env_extra=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_names_what_is_missing_without_https_settings():
    minimal = {k: PRODUCTION_ENV[k] for k in ("DEBUG", "SECRET_KEY", "ALLOWED_HOSTS")}
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env_extra=minimal)
    assert result.returncode != 0
    assert "security.W004" in result.stderr and "security.W008" in result.stderr


@pytest.mark.django_db
def test_security_headers_and_csp_nonce(client, settings):
    settings.CSP_REPORT_ONLY = False
    response = client.get("/login/")
    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", csp).group(1)
    assert "script-src 'self' 'nonce-" in csp and "object-src 'none'" in csp
    assert "frame-ancestors 'none'" in csp and "style-src 'self'" in csp
    assert response.wsgi_request.csp_nonce == nonce
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    again = client.get("/login/")["Content-Security-Policy"]
    assert nonce not in again  # a fresh nonce per response


@pytest.mark.django_db
def test_csp_is_report_only_when_configured(client, settings):
    settings.CSP_REPORT_ONLY = True
    response = client.get("/login/")
    assert "Content-Security-Policy-Report-Only" in response
    assert "Content-Security-Policy" not in response


@pytest.mark.django_db
def test_login_is_throttled_per_username_and_cleared_on_success(client, settings):
    cache.clear()
    settings.LOGIN_THROTTLE_PER_USER = 3
    user = make_user("throttle@example.com")
    for _ in range(3):
        bad = client.post("/login/", {"username": user.username, "password": "wrong"})
        assert bad.status_code == 200
    refused = client.post("/login/", {"username": user.username, "password": PASSWORD})
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    # Another user from the same address is not locked out by someone else's failures.
    other = make_user("other@example.com")
    ok = client.post("/login/", {"username": other.username, "password": PASSWORD})
    assert ok.status_code == 302
    cache.clear()


@pytest.mark.django_db
def test_login_throttle_per_address(client, settings):
    cache.clear()
    settings.LOGIN_THROTTLE_PER_IP = 4
    for i in range(4):
        client.post("/login/", {"username": f"nobody{i}@example.com", "password": "x"})
    refused = client.post("/login/", {"username": "fresh@example.com", "password": "x"})
    assert refused.status_code == 429
    cache.clear()


@pytest.mark.django_db
def test_sign_in_still_works_when_the_cache_is_down(client, monkeypatch):
    def down(*args, **kwargs):
        raise ConnectionError("redis is down")

    for name in ("get", "add", "incr", "set", "delete"):
        monkeypatch.setattr(cache, name, down)
    user = make_user("outage@example.com")
    assert client.post("/login/", {"username": user.username, "password": "no"}).status_code == 200
    ok = client.post("/login/", {"username": user.username, "password": PASSWORD})
    assert ok.status_code == 302  # the throttle fails open, like the API rate limiter


@pytest.mark.django_db
def test_admin_allowlist_hides_the_admin_from_other_addresses(client, settings):
    settings.ADMIN_IP_ALLOWLIST = ["10.0.0.0/8"]
    assert client.get("/admin/login/", REMOTE_ADDR="203.0.113.9").status_code == 404
    assert client.get("/admin/login/", REMOTE_ADDR="10.2.3.4").status_code == 200
    settings.ADMIN_IP_ALLOWLIST = []
    assert client.get("/admin/login/", REMOTE_ADDR="203.0.113.9").status_code == 200


@pytest.mark.django_db
def test_admin_requires_staff(client):
    user = make_user("member@example.com")
    client.force_login(user)
    response = client.get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


@pytest.mark.django_db
def test_oversized_bodies_are_refused_before_parsing(client, settings):
    settings.MAX_REQUEST_BODY_BYTES = 1024
    response = client.post("/login/", data="x" * 2048, content_type="application/octet-stream")
    assert response.status_code == 413


@pytest.mark.django_db
def test_api_docs_need_no_inline_script(client, settings):
    settings.CSP_REPORT_ONLY = False
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline <script> on /api/docs/"
    script = re.search(r'<script src="([^"]*\?script[^"]*)"', html)
    assert script and client.get(script.group(1).replace("&amp;", "&")).status_code == 200
    assert "style-src 'self' 'unsafe-inline'" in response["Content-Security-Policy"]
    assert "style-src 'self';" in client.get("/login/")["Content-Security-Policy"]
