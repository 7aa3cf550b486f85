"""Structured logs: one JSON object per line with request, tenant and job ids."""

import io
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.logging_json import ContextFilter, JsonFormatter
from generation.worker import runner
from tests.factories import api_client_for

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db


@pytest.fixture
def json_lines():
    """Capture every record as the production handler would write it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(ContextFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    old_level = root.level
    root.setLevel(logging.INFO)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines() if line]
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)


def test_request_records_carry_request_and_tenant_ids(json_lines, tenant, monkeypatch):
    from tenants.api import CurrentTenantView

    original = CurrentTenantView.get

    def logging_get(self, request, *args, **kwargs):
        logging.getLogger("tests.ops").info("inside the view", extra={"answer": 42})
        return original(self, request, *args, **kwargs)

    monkeypatch.setattr(CurrentTenantView, "get", logging_get)
    response = api_client_for(tenant).get("/api/v1/me/", HTTP_X_REQUEST_ID="req-ops-12345")
    assert response.status_code == 200
    record = next(r for r in json_lines() if r["message"] == "inside the view")
    assert record["request_id"] == "req-ops-12345"
    assert record["tenant_id"] == str(tenant.pk)
    assert record["level"] == "INFO" and record["logger"] == "tests.ops"
    assert record["answer"] == 42  # `extra=` fields are kept


def test_job_records_carry_job_and_tenant_ids(json_lines, no_models, tenant):
    response = api_client_for(tenant).post(
        "/api/v1/jobs/", {"description": "a robot", "n": 1, "seed": 3}, format="json"
    )
    job_id = response.json()["id"]
    runner.process_one("log-test-worker")
    finished = next(r for r in json_lines() if r.get("event") == "job.finished")
    assert finished["job_id"] == job_id
    assert finished["tenant_id"] == str(tenant.pk)
    assert finished["status"] == "succeeded" and finished["engine_s"] >= 0


def test_exceptions_are_one_line_of_json(json_lines):
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("tests.ops").exception("it failed")
    record = next(r for r in json_lines() if r["message"] == "it failed")
    assert "ValueError: boom" in record["exception"]


def test_production_defaults_to_json_and_quiets_stripe():
    env = {k: v for k, v in os.environ.items() if k not in {"LOG_FORMAT"}}
    env.update({"DEBUG": "0", "SECRET_KEY": "s" * 60, "ALLOWED_HOSTS": "example.com"})
    code = (
        "import django, logging; django.setup(); "
        "logging.getLogger('avatarsaas.probe').warning('hello'); "
        "print('stripe', logging.getLogger('stripe').getEffectiveLevel())"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "avatarsaas.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    line = json.loads(result.stderr.strip().splitlines()[-1])
    assert line["message"] == "hello" and line["request_id"] == "-"
    assert f"stripe {logging.WARNING}" in result.stdout


def test_server_errors_logged_after_the_middleware_keep_the_request_id(json_lines, settings):
    from django.test import Client
    from django.urls import path

    def boom(request):
        raise RuntimeError("kaboom")

    settings.ROOT_URLCONF = type("urls", (), {"urlpatterns": [path("boom", boom)]})
    response = Client(raise_request_exception=False).get("/boom", HTTP_X_REQUEST_ID="req-boom-777")
    assert response.status_code == 500
    record = next(r for r in json_lines() if r["logger"] == "django.request")
    assert record["request_id"] == "req-boom-777"
    assert "RuntimeError: kaboom" in record["exception"]


def test_the_hooks_the_runner_and_webhooks_call_exist():
    from core import observe

    observe.observe_job_finished(status="succeeded", queue_wait_s=0.1, run_s=1.0, engine_s=0.5)
    observe.observe_webhook_delivery(ok=False)
