"""Issue 20: an API submit costs at most 8 SQL statements, and the shortcuts that get it there
(the cached key lookup, the one-statement credit hold, the combined reads) change nothing a
client can observe: idempotent replays, credits, revocation, suspension and plan limits."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from generation.models import GenerationJob
from tenants import services
from tenants.actors import Actor
from tenants.models import CreditEntry, CreditReservation, Plan, Tenant
from tests.api.conftest import key_client
from tests.factories import owner_of

JOBS = "/api/v1/jobs/"
BODY = {"description": "a friendly blue robot", "engine": "vector", "n": 1, "size": 256}


def _warm(client, submit=False):
    """The first request of a key reads it from the database (and stamps last_used_at); the
    workspace's first submit reads its brand-kit switch. Both are cached afterwards."""
    assert client.get("/api/v1/me/").status_code == 200
    if submit:
        assert client.post(JOBS, {**BODY, "seed": 99}, format="json").status_code == 201


@pytest.mark.django_db
def test_a_submit_takes_at_most_8_statements(api_tenant, django_assert_max_num_queries):
    client = key_client(api_tenant)
    _warm(client, submit=True)
    with django_assert_max_num_queries(8):
        response = client.post(JOBS, {**BODY, "seed": 1}, format="json", HTTP_IDEMPOTENCY_KEY="a")
    assert response.status_code == 201, response.json()
    assert response.json()["queue_position"] == 2 and response.json()["images"] == []
    with django_assert_max_num_queries(8):
        second = client.post(JOBS, {**BODY, "seed": 2}, format="json")
    assert second.status_code == 201 and second.json()["queue_position"] == 3


@pytest.mark.django_db(transaction=True)
def test_the_whole_submit_with_commit_and_nudges_stays_within_8(api_tenant):
    """As in production: a real transaction (BEGIN/COMMIT count) and the after-commit work.
    Only the embedded ORM broker's own queue INSERT is left out (with Redis there is none)."""
    client = key_client(api_tenant)
    _warm(client, submit=True)
    with CaptureQueriesContext(connection) as ctx:
        response = client.post(JOBS, {**BODY, "seed": 3}, format="json", HTTP_IDEMPOTENCY_KEY="b")
    assert response.status_code == 201
    ours = [q["sql"] for q in ctx.captured_queries if "django_q_ormq" not in q["sql"]]
    assert len(ours) <= 8, "\n".join(ours)
    job = GenerationJob.objects.get(pk=response.json()["id"])
    assert job.last_enqueued_at is not None  # stamped at insert, no UPDATE after commit


@pytest.mark.django_db
def test_replays_and_credits_behave_as_before(api_tenant):
    client = key_client(api_tenant)
    before = Tenant.objects.get(pk=api_tenant.pk).credit_balance
    body = {**BODY, "seed": 4}
    first = client.post(JOBS, body, format="json", HTTP_IDEMPOTENCY_KEY="same")
    again = client.post(JOBS, body, format="json", HTTP_IDEMPOTENCY_KEY="same")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    job = GenerationJob.objects.get(pk=first.json()["id"])
    assert CreditReservation.objects.filter(reference=f"job:{job.pk}").count() == 1
    entries = CreditEntry.objects.filter(tenant=api_tenant, reference=f"job:{job.pk}")
    assert [e.amount for e in entries] == [-job.cost_credits]
    api_tenant.refresh_from_db()
    assert entries.get().balance_after == api_tenant.credit_balance == before - job.cost_credits
    other_body = client.post(JOBS, {**body, "n": 2}, format="json", HTTP_IDEMPOTENCY_KEY="same")
    assert other_body.status_code == 409

    # Spent credits: a new submit is 402 naming the balance, the replay still answers 200.
    Tenant.objects.filter(pk=api_tenant.pk).update(credit_balance=0)
    broke = client.post(JOBS, {**BODY, "seed": 5}, format="json")
    assert broke.status_code == 402 and broke.json()["error"]["balance"] == 0
    assert client.post(JOBS, body, format="json", HTTP_IDEMPOTENCY_KEY="same").status_code == 200
    assert GenerationJob.objects.filter(tenant=api_tenant).count() == 1


@pytest.mark.django_db
def test_a_suspended_workspace_cannot_submit_even_with_a_cached_key(api_tenant):
    client = key_client(api_tenant)
    _warm(client)
    # Behind the ORM's back (no signal): the conditional UPDATE still refuses the hold.
    Tenant.objects.filter(pk=api_tenant.pk).update(is_active=False)
    response = client.post(JOBS, {**BODY, "seed": 6}, format="json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "workspace_suspended"
    assert not GenerationJob.objects.filter(tenant=api_tenant).exists()


@pytest.mark.django_db
def test_the_cached_key_forgets_revocation_suspension_and_plan_changes(api_tenant):
    client = key_client(api_tenant)
    _warm(client)
    owner = owner_of(api_tenant)
    services.revoke_api_key(tenant=api_tenant, actor=Actor(user=owner), key_id=client.key.pk)
    assert client.get("/api/v1/me/").status_code == 401

    client = key_client(api_tenant)
    _warm(client)
    api_tenant.is_active = False
    api_tenant.save(update_fields=["is_active"])  # as the staff admin's suspend action does
    assert client.get("/api/v1/me/").status_code == 401
    api_tenant.is_active = True
    api_tenant.save(update_fields=["is_active"])

    client = key_client(api_tenant)
    _warm(client)
    plan = Plan.objects.get(pk=api_tenant.plan_id)
    plan.requests_per_minute = 7
    plan.save()
    assert client.get("/api/v1/me/")["X-RateLimit-Limit"] == "7"


@pytest.mark.django_db
def test_a_key_is_read_from_the_database_once_then_from_the_cache(
    api_tenant, django_assert_num_queries
):
    client = key_client(api_tenant)
    _warm(client)
    with django_assert_num_queries(0):
        assert client.get("/api/v1/me/").status_code == 200
