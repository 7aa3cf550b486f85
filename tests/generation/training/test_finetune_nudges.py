"""A queued fine-tune is never stranded: a failed queue nudge does not fail the approval, the
sweep re-sends stale nudges, and a suspended workspace's run waits instead of training."""

from datetime import timedelta

import pytest
from django.utils import timezone

from generation.training import finetune_runner as training
from styles.models import FineTune
from styles.services import finetunes
from tenants.models import Tenant
from tests.cross_tenant.routes_styles import _finetune

pytestmark = pytest.mark.django_db


def _queued(tenant, *, nudged_ago: float | None):
    ft = _finetune(tenant, state="queued")
    at = None if nudged_ago is None else timezone.now() - timedelta(seconds=nudged_ago)
    FineTune.objects.filter(pk=ft.pk).update(
        last_enqueued_at=at, reviewed_at=timezone.now() - timedelta(hours=1)
    )
    return ft


def test_a_broker_outage_does_not_fail_the_nudge(tenant, monkeypatch):
    import django_q.tasks

    def down(*args, **kwargs):
        raise ConnectionError("redis is down")

    monkeypatch.setattr(django_q.tasks, "async_task", down)
    ft = _queued(tenant, nudged_ago=None)
    finetunes.enqueue_training(ft.pk)  # logs, does not raise
    ft.refresh_from_db()
    assert ft.state == "queued" and ft.last_enqueued_at is not None


def test_sweep_renudges_stale_queued_runs_only(tenant, monkeypatch):
    sent = []
    monkeypatch.setattr(training, "enqueue_training", lambda pk: sent.append(pk))
    stale = _queued(tenant, nudged_ago=3600)
    never = _queued(tenant, nudged_ago=None)  # queued before nudges were recorded
    fresh = _queued(tenant, nudged_ago=5)
    result = training.sweep_stale_finetunes()
    assert result["nudged"] == 2 and set(sent) == {stale.pk, never.pk}
    assert fresh.pk not in sent


def test_a_suspended_workspace_run_waits(tenant):
    ft = _queued(tenant, nudged_ago=5)
    Tenant.objects.filter(pk=tenant.pk).update(is_active=False)
    assert training.claim_finetune(ft.pk, "gpu-1") is None
    ft.refresh_from_db()
    assert ft.state == "queued"
    Tenant.objects.filter(pk=tenant.pk).update(is_active=True)
    assert training.claim_finetune(ft.pk, "gpu-1").state == "training"
