import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.django_db
def test_healthz_reports_database_and_broker(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"] and body["checks"]["broker"]["ok"]
    assert response["X-Request-ID"]


def test_healthz_reports_unreachable_broker_as_degraded_but_ready(client, settings, db):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz")
    assert response.status_code == 200  # the web tier keeps serving without Redis
    body = response.json()
    assert body["status"] == "degraded" and body["checks"]["broker"]["ok"] is False


def test_healthz_is_not_ready_without_the_database(client, db, monkeypatch):
    from avatarsaas import health

    monkeypatch.setattr(health, "_check_database", lambda: (False, "OperationalError"))
    response = client.get("/healthz")
    assert response.status_code == 503 and response.json()["status"] == "unhealthy"


def test_livez_checks_no_dependency(client, monkeypatch):
    from avatarsaas import health

    def boom():
        raise AssertionError("liveness must not touch dependencies")

    monkeypatch.setattr(health, "_check_database", boom)
    monkeypatch.setattr(health, "_check_broker", boom)
    response = client.get("/livez")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def _run_check(env_extra):
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "ALLOWED_HOSTS", "DEBUG"}}
    env.update(env_extra)
    return subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True
    )


def test_production_refuses_to_start_without_secret_key_or_hosts():
    result = _run_check({"DEBUG": "0"})
    assert result.returncode != 0 and "SECRET_KEY must be set" in result.stderr
    result = _run_check({"DEBUG": "0", "SECRET_KEY": "x" * 60})
    assert result.returncode != 0 and "ALLOWED_HOSTS must be set" in result.stderr
    result = _run_check({"DEBUG": "0", "SECRET_KEY": "x" * 60, "ALLOWED_HOSTS": "example.com"})
    assert result.returncode == 0, result.stderr


def test_request_id_is_echoed_when_sane(client, db):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="abc12345-req")
    assert response["X-Request-ID"] == "abc12345-req"
    response = client.get("/healthz", HTTP_X_REQUEST_ID="bad id with spaces")
    assert response["X-Request-ID"] != "bad id with spaces"
