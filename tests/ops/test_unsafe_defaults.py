"""Safe defaults: DEBUG is off unless asked for, compose ships no secrets and stays on
loopback, and no `next` parameter can send a user off the site."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tenants.models import Membership
from tests.factories import owner_of

ROOT = Path(__file__).resolve().parents[2]
SHOW_DEBUG = "from django.conf import settings; print('DEBUG', settings.DEBUG)"


def _shell(env_extra: dict) -> subprocess.CompletedProcess:
    # A process started the way an operator starts one: no test-suite markers in its env.
    dropped = {"DEBUG", "AVATARSAAS_TESTING", "SECRET_KEY", "ALLOWED_HOSTS"}
    env = {k: v for k, v in os.environ.items() if k not in dropped and not k.startswith("DJANGO_")}
    env.update(env_extra)
    return subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", SHOW_DEBUG],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_debug_is_off_unless_asked_for():
    result = _shell({"SECRET_KEY": "k" * 50, "ALLOWED_HOSTS": "avatars.example.com"})
    assert result.returncode == 0, result.stderr
    assert "DEBUG False" in result.stdout


def test_a_process_without_debug_refuses_the_dev_secret_key():
    result = _shell({})
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_dev_run_asks_for_debug_explicitly():
    assert re.search(r"^export DEBUG=1$", (ROOT / "bin" / "dev-run").read_text(), re.M)


def test_compose_requires_secrets_and_publishes_on_loopback():
    spec = yaml.safe_load((ROOT / "docker" / "compose.yaml").read_text())
    web = spec["services"]["web"]
    for name in ("SECRET_KEY", "METRICS_TOKEN"):
        value = web["environment"][name]
        # ${NAME:?message}: compose stops with the message when it is unset; no default.
        assert value.startswith(f"${{{name}:?"), f"{name} has a default: {value}"
    for service in spec["services"].values():
        for port in service.get("ports", []):
            assert re.match(r"^(127\.0\.0\.1|\$\{WEB_BIND:-127\.0\.0\.1\}):", port), port


@pytest.mark.django_db
@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/login",
        "//evil.example/login",
        "/\\evil.example",
        "javascript:alert(1)",
    ],
)
def test_switching_workspace_never_redirects_off_site(client, tenant, other_tenant, target):
    user = owner_of(tenant)
    Membership.objects.create(tenant=other_tenant, user=user, role="viewer")
    client.force_login(user)
    response = client.post(
        "/workspaces/switch/", {"tenant_id": str(other_tenant.pk), "next": target}
    )
    assert response.status_code == 302 and response["Location"] == "/dashboard/"


@pytest.mark.django_db
def test_switching_workspace_keeps_a_local_next(client, tenant, other_tenant):
    user = owner_of(tenant)
    Membership.objects.create(tenant=other_tenant, user=user, role="viewer")
    client.force_login(user)
    response = client.post(
        "/workspaces/switch/", {"tenant_id": str(other_tenant.pk), "next": "/jobs/?page=2"}
    )
    assert response["Location"] == "/jobs/?page=2"
