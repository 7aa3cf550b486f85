"""Migrating a database that holds rows keeps them: from the last release before the layered
layout (every app at its migration of that release) up to now, with real rows in the tables the
refactor and later migrations touch."""

import uuid

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils.module_loading import import_string

pytestmark = pytest.mark.django_db(transaction=True)

# The graph's leaves at the commit before the refactor (fadeeaa).
BEFORE = [
    ("tenants", "0007_workspace_deletion"),
    ("styles", "0007_finetune_last_enqueued_at"),
    ("generation", "0004_verbose_plurals"),
]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _latest():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


def _rows(apps):
    Plan = apps.get_model("tenants", "Plan")
    Tenant = apps.get_model("tenants", "Tenant")
    CreditEntry = apps.get_model("tenants", "CreditEntry")
    StylePreset = apps.get_model("styles", "StylePreset")
    GenerationJob = apps.get_model("generation", "GenerationJob")
    WebhookEndpoint = apps.get_model("generation", "WebhookEndpoint")
    plan, _ = Plan.objects.get_or_create(slug="free", defaults={"name": "Free"})
    tenant = Tenant.objects.create(name="Keep Me", slug=f"keep-{uuid.uuid4().hex[:8]}", plan=plan)
    CreditEntry.objects.create(tenant=tenant, kind="grant", amount=42, balance_after=42)
    preset = StylePreset.objects.create(tenant=tenant, name="House", slug="house")
    job = GenerationJob.objects.create(
        tenant=tenant, preset=preset, description="a friendly blue robot", engine="vector"
    )
    endpoint = WebhookEndpoint.objects.create(
        tenant=tenant, url="https://hooks.example.com/a", secret="whsec_x", events=["job.succeeded"]
    )
    return tenant.pk, job.pk, preset.pk, endpoint.pk


def test_rows_survive_every_migration_since_the_layered_layout():
    before = _migrate(BEFORE)
    tenant_id, job_id, preset_id, endpoint_id = _rows(before)
    # As the old release's migration left it (another test's flush may have emptied the table).
    before.get_model("django_q", "Schedule").objects.update_or_create(
        name="avatarsaas: sweep fine-tunes",
        defaults={"func": "styles.tasks.sweep_finetunes", "schedule_type": "I", "minutes": 1},
    )

    after = _migrate(_latest())

    Tenant = after.get_model("tenants", "Tenant")
    tenant = Tenant.objects.get(pk=tenant_id)
    assert tenant.name == "Keep Me"
    entries = after.get_model("tenants", "CreditEntry").objects.filter(tenant_id=tenant_id)
    assert [e.amount for e in entries] == [42]
    job = after.get_model("generation", "GenerationJob").objects.get(pk=job_id)
    assert job.description == "a friendly blue robot" and job.preset_id == preset_id
    assert after.get_model("styles", "StylePreset").objects.filter(pk=preset_id).exists()
    endpoint = after.get_model("generation", "WebhookEndpoint").objects.get(pk=endpoint_id)
    assert endpoint.url == "https://hooks.example.com/a"

    # The fine-tune sweep moved with fine-tune execution: the schedule follows, and resolves.
    schedules = after.get_model("django_q", "Schedule").objects
    assert not schedules.filter(func__startswith="styles.tasks.").exists()
    sweep = schedules.get(name="avatarsaas: sweep fine-tunes")
    assert sweep.func == "generation.tasks.sweep_finetunes"
    assert callable(import_string(sweep.func))
    for schedule in schedules.all():
        assert callable(import_string(schedule.func)), schedule.func
