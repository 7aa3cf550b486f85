"""The whole fine-tune flow in one process, on the tiny model: submit -> staff approves in the
admin -> train (loss goes down) -> validation grid -> ready -> activate on a preset -> a job
renders with the adapter and its images record the version. Plus rejection and cancel."""

from __future__ import annotations

import json

import pytest
from django.core.files.storage import default_storage

from generation.jobs import submit as jobs
from generation.models import GenerationJob, WebhookDelivery, WebhookEndpoint
from generation.training import finetune_runner as training
from generation.worker import runner
from styles.models import FineTune, LoraAdapter, StylePreset
from styles.services import adapters, finetunes, presets
from tenants.actors import Actor
from tenants.models import CreditReservation
from tests.factories import owner_of
from tests.styles.conftest import TINY_HYPERPARAMETERS, make_dataset

pytestmark = [pytest.mark.ml, pytest.mark.slow]


def _submitted(tenant, **overrides):
    owner = Actor(user=owner_of(tenant))
    dataset = make_dataset(tenant)
    ft = finetunes.create_finetune(
        tenant=tenant,
        actor=owner,
        dataset_id=dataset.pk,
        name="Acme mascot",
        **{**TINY_HYPERPARAMETERS, **overrides},
    )
    return finetunes.submit_finetune(tenant=tenant, actor=owner, finetune_id=ft.pk)


def _admin_action(client, staff_user, ft, action, note=""):
    client.force_login(staff_user)
    return client.post(
        "/admin/styles/finetune/",
        {"action": action, "_selected_action": [str(ft.pk)], "note": note, "index": 0},
    )


def test_submit_approve_train_validate_activate_and_render(
    client,
    pro_tenant,
    staff_user,
    small_images,
    use_tiny_models,
    django_capture_on_commit_callbacks,
):
    tenant = pro_tenant
    WebhookEndpoint.objects.create(tenant=tenant, url="https://example.com/h", secret="whsec_AA")
    balance = tenant.credit_balance
    ft = _submitted(tenant)
    tenant.refresh_from_db()
    assert ft.state == "submitted"
    assert tenant.credit_balance == balance - ft.cost_credits
    assert ft.dataset_hash

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = _admin_action(client, staff_user, ft, "approve_selected", "looks good")
    assert response.status_code == 302
    ft.refresh_from_db()
    assert (ft.state, ft.reviewed_by, ft.review_note) == ("queued", staff_user, "looks good")
    assert callbacks, "approval enqueues training after commit"

    ft = training.process_finetune(ft.pk)  # what the gpu worker's task does
    assert ft.state == "ready", (ft.failure_code, ft.failure_message)
    losses = [loss for _, loss in ft.loss_curve]
    assert len(losses) == TINY_HYPERPARAMETERS["steps"]
    quarter = len(losses) // 4
    assert sum(losses[-quarter:]) / quarter < sum(losses[:quarter]) / quarter

    # Validated every 8 of the 40 steps (5 times, derived); the best-scoring step ships.
    assert [p["step"] for p in ft.validation_curve] == [8, 16, 24, 32, 40]
    assert all(-1 <= p["clip"] <= 1 and p["brand"] is None for p in ft.validation_curve)
    best = max(ft.validation_curve, key=lambda p: p["score"])
    assert ft.chosen_step == best["step"]

    cells = [c for c in ft.validation if "prompt" in c]
    assert len(cells) == 6 and all(c["clip_score"] is not None for c in cells)
    assert all(c["prompt"].startswith("acmebot") for c in cells)
    assert default_storage.exists(ft.validation[-1]["grid"])
    assert CreditReservation.objects.get(reference=ft.credit_reference).state == "settled"

    adapter = LoraAdapter.objects.get(finetune=ft)
    assert (adapter.version, adapter.status, adapter.approved_by) == (1, "ready", staff_user)
    assert adapter.size_bytes == default_storage.size(adapter.weights.name)
    assert len(adapter.sha256) == 64 and adapter.base_model_hash and adapter.dataset_hash
    assert adapter.weights.name.endswith(".safetensors")
    assert not ft.checkpoint_name  # checkpoints are cleaned up once the adapter exists

    # The published file is the diffusers export, with its LoRA config and provenance; the
    # kohya file is converted next to it, and both are offered on the fine-tune's page.
    from generation.training.export import read
    from styles.services.adapters import local_weights_path

    assert adapter.exports["diffusers"] == adapter.weights.name
    assert default_storage.exists(adapter.exports["kohya"])
    _, header = read(local_weights_path(adapter))
    assert header["avatarsaas.trigger_word"] == "acmebot"
    assert header["avatarsaas.base_model_hash"] == adapter.base_model_hash
    lora_config = json.loads(header["lora_adapter_metadata"])
    assert (lora_config["unet.r"], lora_config["unet.lora_alpha"]) == (4, 4)
    client.force_login(owner_of(tenant))
    page = client.get(f"/finetunes/{ft.pk}/").content.decode()
    assert f"/adapters/{adapter.pk}/kohya.safetensors" in page
    assert "Training recipe" in page and "never mirrored" in page
    assert 'id="validation-curve"' in page and f"step {ft.chosen_step}</strong>" in page
    assert "No real CLIP weights are configured" in page  # the tiny models' random CLIP

    owner = Actor(user=owner_of(tenant))
    cartoon = StylePreset.objects.get(tenant=None, slug="cartoon")
    preset = presets.create_preset(
        tenant=tenant, actor=owner, copy_of=cartoon.pk, name="Acme", engine="diffusers"
    )
    adapters.activate_adapter(
        tenant=tenant, actor=owner, preset_id=preset.pk, adapter_id=adapter.pk, strength=0.8
    )
    job, _ = jobs.submit_job(
        tenant=tenant,
        actor=owner,
        request=jobs.JobRequest(
            description="a friendly robot", preset_id=str(preset.pk), n=2, size=64, steps=2
        ),
    )
    assert job.adapter_version_id == str(adapter.pk) and job.adapter_strength == 0.8
    assert "acmebot" in job.prompt  # the adapter's trigger word reaches the prompt
    runner.process_one()
    job = GenerationJob.objects.get(pk=job.pk)
    assert job.status == "succeeded", (job.failure_code, job.failure_message)
    for image in job.images.all():
        assert image.adapter_version_id == str(adapter.pk)
        assert image.metadata["adapter"] == {"version_id": str(adapter.pk), "strength": 0.8}

    events = list(
        WebhookDelivery.objects.filter(tenant=tenant).values_list("event_type", flat=True)
    )
    for event in ("finetune.submitted", "finetune.approved", "finetune.ready"):
        assert event in events


def test_rejection_releases_credits_and_notifies(client, pro_tenant, staff_user, small_images):
    tenant = pro_tenant
    WebhookEndpoint.objects.create(tenant=tenant, url="https://example.com/h", secret="whsec_AA")
    balance = tenant.credit_balance
    ft = _submitted(tenant)

    _admin_action(client, staff_user, ft, "reject_selected", "")  # a note is required
    ft.refresh_from_db()
    assert ft.state == "submitted"

    _admin_action(client, staff_user, ft, "reject_selected", "Dataset has logos of others.")
    ft.refresh_from_db()
    assert (ft.state, ft.review_note) == ("rejected", "Dataset has logos of others.")
    tenant.refresh_from_db()
    assert tenant.credit_balance == balance
    delivery = WebhookDelivery.objects.get(tenant=tenant, event_type="finetune.rejected")
    assert delivery.payload["data"]["note"] == "Dataset has logos of others."

    response = _admin_action(client, staff_user, ft, "approve_selected")
    ft.refresh_from_db()
    assert ft.state == "rejected" and response.status_code == 302


def test_admin_review_is_staff_only(client, pro_tenant, small_images):
    ft = _submitted(pro_tenant)
    client.force_login(owner_of(pro_tenant))  # a tenant owner, not staff
    response = client.post(
        "/admin/styles/finetune/",
        {"action": "approve_selected", "_selected_action": [str(ft.pk)]},
    )
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    ft.refresh_from_db()
    assert ft.state == "submitted"


def test_state_machine_refuses_skipping_review(pro_tenant, small_images):
    from core.errors import Conflict

    ft = _submitted(pro_tenant)
    with pytest.raises(Conflict):
        finetunes.transition_finetune(FineTune.objects.get(pk=ft.pk), "training")
    canceled = finetunes.cancel_finetune(
        tenant=pro_tenant, actor=Actor(user=owner_of(pro_tenant)), finetune_id=ft.pk
    )
    assert canceled.state == "canceled"
    assert CreditReservation.objects.get(reference=ft.credit_reference).state == "released"
