"""Schemathesis against the live schema, in-process through the WSGI app with a real API key.

Every operation is fuzzed with schema-valid data (positive) and with invalid data (negative),
both with random ids and with ids of real objects of the key's workspace. Fails on any 5xx,
any undocumented status code or content type, and any response that violates its schema.
Bounded: SCHEMATHESIS_MAX_EXAMPLES (default 60) per operation, mode and id set.
"""

import os

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tenants.models import Plan, Tenant
from tests.api.conftest import key_client
from tests.cross_tenant.routes_generation import _delivery, _image, _job

pytestmark = [pytest.mark.slow, pytest.mark.django_db, pytest.mark.timeout(300)]
MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "60"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture(autouse=True)
def _short_waits(settings):
    """Fuzzed `Prefer: wait` and event streams of the real (queued) job end in a second."""
    settings.AVATARSAAS_MAX_WAIT_SECONDS = 1
    settings.AVATARSAAS_EVENTS_MAX_SECONDS = 1
    settings.AVATARSAAS_EVENTS_HEARTBEAT_SECONDS = 0.5


@pytest.fixture
def fuzz_key(api_tenant):
    plan, _ = Plan.objects.update_or_create(
        slug="fuzz", defaults={"name": "Fuzz", "requests_per_minute": 1_000_000}
    )
    Tenant.objects.filter(pk=api_tenant.pk).update(plan=plan, credit_balance=10**9)
    api_tenant.refresh_from_db()
    client = key_client(api_tenant)
    return client._credentials["HTTP_AUTHORIZATION"]


def _real_ids(tenant) -> dict[str, str]:
    image = _image(tenant)
    delivery = _delivery(tenant)
    return {
        "job_id": str(_job(tenant, status="queued").pk),
        "image_id": str(image.pk),
        "file_id": str(image.files.first().pk),
        "endpoint_id": str(delivery.endpoint_id),
        "delivery_id": str(delivery.pk),
    }


@pytest.fixture
def keep_test_connection():
    """The WSGI handler closes DB connections at request boundaries; the test's transaction
    must survive them (Django's own test client does the same)."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def test_api_conforms_to_its_schema(fuzz_key, api_tenant, keep_test_connection):
    app = get_wsgi_application()
    schema = schemathesis.openapi.from_wsgi("/api/schema/", app)
    headers = {"Authorization": fuzz_key}
    ids = _real_ids(api_tenant)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 17
    failures = []

    for operation in operations:
        path_ids = {name: ids[name] for name in ids if "{" + name + "}" in operation.path}
        variants = [
            operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
            operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
        ]
        if path_ids:
            variants.append(
                operation.as_strategy(
                    generation_mode=GenerationMode.POSITIVE, path_parameters=path_ids
                )
            )

        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=st.one_of(*variants))
        def fuzz(case):
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            fuzz()
        except Exception as exc:  # collect every operation's failure, then fail once
            failures.append(f"{operation.label}: {exc}")

    assert not failures, "\n\n".join(failures)
