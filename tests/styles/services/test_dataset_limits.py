"""Per-plan count limits on presets and datasets (issue 18, finding 5): a workspace cannot
create rows without bound, concurrent creates cannot overshoot, and the refusal is a clear
409 `limit_reached` naming the plan field."""

import threading

import pytest
from django.db import connection

from styles.models import LoraDataset, StylePreset
from styles.services import datasets, presets
from tenants.actors import Actor
from tenants.models import Plan
from tests.factories import api_client_for, make_tenant, owner_of

pytestmark = pytest.mark.django_db


def _limit(tenant, **limits):
    Plan.objects.filter(pk=tenant.plan_id).update(**limits)


def test_builtin_plans_carry_count_limits(db):
    limits = dict(Plan.objects.values_list("slug", "max_presets"))
    assert limits["free"] == 10
    assert Plan.objects.get(slug="free").max_datasets == 3


def test_presets_past_the_plan_limit_are_refused_over_the_api(tenant):
    _limit(tenant, max_presets=2)
    client = api_client_for(tenant, ["styles:read", "styles:write"])
    made = [client.post("/api/v1/presets/", {"name": f"P{i}"}, format="json") for i in range(2)]
    assert [r.status_code for r in made] == [201, 201]
    clay = StylePreset.objects.get(tenant=None, slug="clay")
    for body in ({"name": "One more"}, {"copy_of": str(clay.pk)}):
        response = client.post("/api/v1/presets/", body, format="json")
        assert response.status_code == 409, response.json()
        error = response.json()["error"]
        assert (error["code"], error["field"], error["limit"]) == (
            "limit_reached",
            "max_presets",
            2,
        )
        assert "at most 2 presets" in error["message"]
    assert StylePreset.objects.filter(tenant=tenant).count() == 2

    client.delete(f"/api/v1/presets/{made[0].json()['id']}/")  # room again
    assert client.post("/api/v1/presets/", {"name": "Again"}, format="json").status_code == 201


def test_datasets_past_the_plan_limit_are_refused_over_the_api_and_the_dashboard(
    tenant, owner_client
):
    _limit(tenant, max_datasets=1)
    client = api_client_for(tenant, ["styles:read", "styles:write"])
    assert client.post("/api/v1/datasets/", {"name": "One"}, format="json").status_code == 201
    response = client.post("/api/v1/datasets/", {"name": "Two"}, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "limit_reached"
    assert response.json()["error"]["field"] == "max_datasets"

    page = owner_client.post("/datasets/", {"name": "Three", "trigger_word": ""}, follow=True)
    assert "keeps at most 1 datasets" in page.content.decode()
    assert LoraDataset.objects.filter(tenant=tenant).count() == 1


def test_limits_are_per_workspace(tenant, other_tenant):
    _limit(tenant, max_datasets=1)  # both are on the free plan: 1 each
    for t in (tenant, other_tenant):
        datasets.create_dataset(tenant=t, actor=Actor.system(), name="Only")
    assert LoraDataset.objects.count() == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_creates_cannot_overshoot_the_limit():
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL; CI runs this on PostgreSQL")
    tenant = make_tenant("Racers")
    _limit(tenant, max_presets=3, max_datasets=3)
    owner = Actor(user=owner_of(tenant))
    racers = 8
    barrier = threading.Barrier(racers * 2)
    outcomes: list[str] = []

    def create(kind, i):
        try:
            barrier.wait(timeout=30)
            if kind == "preset":
                presets.create_preset(tenant=tenant, actor=owner, name=f"Racer {i}")
            else:
                datasets.create_dataset(tenant=tenant, actor=owner, name=f"Racer {i}")
            outcomes.append(f"{kind}:ok")
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            outcomes.append(f"{kind}:{getattr(exc, 'code', type(exc).__name__)}")
        finally:
            connection.close()

    threads = [
        threading.Thread(target=create, args=(kind, i))
        for kind in ("preset", "dataset")
        for i in range(racers)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    for kind in ("preset", "dataset"):
        assert sorted(o for o in outcomes if o.startswith(kind)) == sorted(
            [f"{kind}:ok"] * 3 + [f"{kind}:limit_reached"] * 5
        )
    assert StylePreset.objects.filter(tenant=tenant).count() == 3
    assert LoraDataset.objects.filter(tenant=tenant).count() == 3
