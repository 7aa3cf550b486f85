"""A training run whose worker dies resumes from its last checkpoint: in process (a simulated
crash, runs everywhere; the resumed adapter is bit-identical to an uninterrupted run) and with
a real `qcluster` killed by SIGKILL (PostgreSQL only)."""

from __future__ import annotations

import os
import signal
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from generation.training import finetune_runner as training
from styles.models import FineTune
from styles.services import finetunes
from tenants.actors import Actor
from tenants.models import CreditReservation
from tests.factories import owner_of
from tests.generation.worker.test_worker_e2e import qcluster, wait_for
from tests.generation.worker.test_worker_e2e import server_db as server_db  # noqa: F401 (fixture)
from tests.styles.conftest import TINY_HYPERPARAMETERS, make_dataset

pytestmark = [pytest.mark.ml, pytest.mark.slow]


class WorkerDied(BaseException):
    """Stands in for SIGKILL: not an Exception, so nothing in the worker catches it."""


def _approved(tenant, staff_user, **overrides) -> FineTune:
    owner = Actor(user=owner_of(tenant))
    dataset = make_dataset(tenant)
    ft = finetunes.create_finetune(
        tenant=tenant,
        actor=owner,
        dataset_id=dataset.pk,
        name="Resumable",
        **{**TINY_HYPERPARAMETERS, **overrides},
    )
    finetunes.submit_finetune(tenant=tenant, actor=owner, finetune_id=ft.pk)
    return finetunes.approve_finetune(finetune_id=ft.pk, staff_user=staff_user)


@pytest.mark.django_db
def test_crashed_run_resumes_from_checkpoint_in_process(
    pro_tenant, staff_user, small_images, use_tiny_models, monkeypatch, tmp_path
):
    ft = _approved(pro_tenant, staff_user, steps=30, checkpoint_every=10)
    original = training._Progress.on_step

    def dying(self, step, total, loss):
        original(self, step, total, loss)
        if step == 25:
            raise WorkerDied

    monkeypatch.setattr(training._Progress, "on_step", dying)
    with pytest.raises(WorkerDied):
        training.process_finetune(ft.pk)
    ft.refresh_from_db()
    assert (ft.state, ft.checkpoint_step) == ("training", 20)
    assert ft.progress_step >= 20

    assert training.sweep_stale_finetunes(timezone.now() + timedelta(hours=1)) == {
        "requeued": 1,
        "failed": 0,
        "nudged": 0,
    }
    ft.refresh_from_db()
    assert ft.state == "queued" and "step 20" in ft.failure_message

    steps_seen = []
    monkeypatch.setattr(
        training._Progress,
        "on_step",
        lambda self, step, total, loss: (
            steps_seen.append(step),
            original(self, step, total, loss),
        ),
    )
    ft = training.process_finetune(ft.pk)
    assert ft.state == "ready", (ft.failure_code, ft.failure_message)
    assert steps_seen[0] == 21, "resumed after the step-20 checkpoint, not from scratch"
    assert ft.attempts == 2
    assert [s for s, _ in ft.loss_curve] == list(range(1, 31))
    assert CreditReservation.objects.get(reference=ft.credit_reference).state == "settled"

    # The same run without the crash: LoRA weights, optimizer, schedule, RNG and data order
    # all came back from the checkpoint, so the weights match bit for bit.
    import torch
    from safetensors.torch import load_file

    from generation.training.lora import LORA_WEIGHTS_NAME, train_lora
    from styles.services.adapters import local_weights_path

    whole = train_lora(
        use_tiny_models.sd_model_dir,
        training._examples(ft),
        training.train_config(ft),
        device="cpu",
        output_dir=tmp_path / "whole",
        validator=training.checkpoint_validator(ft),
    )
    # Validation scores and the best step's weights travel in the checkpoint too.
    assert whole.validation_curve == ft.validation_curve and whole.best_step == ft.chosen_step
    assert [p["step"] for p in ft.validation_curve] == [6, 12, 18, 24, 30]
    resumed = load_file(local_weights_path(ft.adapter))
    uninterrupted = load_file(tmp_path / "whole" / LORA_WEIGHTS_NAME)
    assert resumed.keys() == uninterrupted.keys()
    assert all(torch.equal(resumed[k], uninterrupted[k]) for k in resumed)
    assert [round(x, 6) for x in whole.losses] == [loss for _, loss in ft.loss_curve]


@pytest.mark.django_db(transaction=True)
def test_sigkilled_qcluster_resumes_training(
    server_db,  # noqa: F811
    tiny_models,
    use_tiny_models,
    small_images,
    tmp_path,  # noqa: F811
):
    from tests.factories import make_tenant, make_user

    tenant = make_tenant("Resume Co", credits_amount=1000, plan="pro")
    staff = make_user("staff-resume@example.com", is_staff=True)
    log = tmp_path / "worker.log"
    env = {
        "AVATARSAAS_JOB_LEASE_SECONDS": "3",
        "AVATARSAAS_VALIDATION_STEPS": "2",
    }
    with qcluster(server_db, tiny_models, log, **env) as first:
        ft = _approved(tenant, staff, steps=80, checkpoint_every=5)  # on_commit: enqueued
        wait_for(
            lambda: FineTune.objects.get(pk=ft.pk).checkpoint_step >= 10,
            240,
            "a checkpoint mid-training",
            log,
        )
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(10)
    ft.refresh_from_db()
    assert ft.state == "training" and ft.checkpoint_step < ft.steps
    killed_at = ft.checkpoint_step
    time.sleep(3.5)  # the dead worker's lease runs out
    assert training.sweep_stale_finetunes()["requeued"] == 1  # and re-enqueues the run
    with qcluster(server_db, tiny_models, log, **env):
        wait_for(
            lambda: FineTune.objects.get(pk=ft.pk).state in ("ready", "failed"),
            300,
            "the resumed run to finish",
            log,
        )
    ft.refresh_from_db()
    assert ft.state == "ready", (ft.failure_code, ft.failure_message)
    assert ft.attempts == 2
    assert f"step {killed_at}" in ft.failure_message or ft.failure_message == ""
    assert [s for s, _ in ft.loss_curve] == list(range(1, 81))
    assert ft.adapter.version == 1
