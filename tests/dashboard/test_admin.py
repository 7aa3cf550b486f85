"""The staff admin: image review with scores, job retries and webhook redelivery, all audited
and staff-only."""

import pytest
from django.test import Client

from generation.models import GeneratedImage, GenerationJob, WebhookDelivery
from tenants.models import AuditEvent, Tenant
from tests.cross_tenant.routes_generation import _delivery, _image
from tests.factories import make_user, owner_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client():
    client = Client()
    client.force_login(make_user("ops@avatarsaas.local", is_staff=True, is_superuser=True))
    return client


def _action(client, model, action, pks, **extra):
    return client.post(
        f"/admin/{model}/",
        {"action": action, "_selected_action": [str(pk) for pk in pks], **extra},
        follow=True,
    )


def test_image_review_list_shows_thumbnails_scores_and_filters(staff_client, tenant):
    image = _image(tenant)
    GeneratedImage.objects.filter(pk=image.pk).update(clip_score=0.25, brand_score=0.7)
    page = staff_client.get("/admin/generation/generatedimage/").content.decode()
    assert 'class="avatar-thumb"' in page and "0.25" in page
    banded = staff_client.get("/admin/generation/generatedimage/?clip_band=mid&brand=high")
    assert list(banded.context["cl"].queryset) == [image]
    assert (
        not staff_client.get("/admin/generation/generatedimage/?clip_band=high")
        .context["cl"]
        .queryset.exists()
    )


def test_bulk_flag_and_approve_are_audited_per_tenant(staff_client, tenant, other_tenant):
    mine, theirs = _image(tenant), _image(other_tenant)
    _action(staff_client, "generation/generatedimage", "flag", [mine.pk, theirs.pk])
    assert set(GeneratedImage.objects.values_list("review_status", flat=True)) == {"flagged"}
    events = AuditEvent.objects.filter(action="image.flagged")
    assert {e.tenant_id for e in events} == {tenant.pk, other_tenant.pk}
    assert all(e.actor_user.email == "ops@avatarsaas.local" for e in events)
    _action(staff_client, "generation/generatedimage", "approve", [mine.pk])
    mine.refresh_from_db()
    assert mine.review_status == "approved"
    assert AuditEvent.objects.filter(action="image.approved", target_id=str(mine.pk)).exists()


def test_retry_failed_job_submits_a_new_charged_job_and_audits(staff_client, tenant, no_models):
    failed = _image(tenant).job
    GenerationJob.objects.filter(pk=failed.pk).update(status="failed", failure_code="worker_lost")
    balance = Tenant.objects.get(pk=tenant.pk).credit_balance
    response = _action(staff_client, "generation/generationjob", "retry_failed", [failed.pk])
    assert "1 job(s) re-submitted" in response.content.decode()
    new = GenerationJob.objects.exclude(pk=failed.pk).get()
    assert new.status == "queued" and new.seeds == failed.seeds
    assert Tenant.objects.get(pk=tenant.pk).credit_balance == balance - new.cost_credits
    event = AuditEvent.objects.get(action="job.retried_by_staff")
    assert event.target_id == str(new.pk) and event.metadata["from"] == str(failed.pk)
    _action(staff_client, "generation/generationjob", "retry_failed", [failed.pk])  # again
    assert GenerationJob.objects.exclude(pk=failed.pk).count() == 1  # still one job
    assert Tenant.objects.get(pk=tenant.pk).credit_balance == balance - new.cost_credits


def test_retry_refuses_jobs_that_did_not_fail(staff_client, tenant):
    job = _image(tenant).job  # succeeded
    response = _action(staff_client, "generation/generationjob", "retry_failed", [job.pk])
    assert "Only failed jobs can be retried" in response.content.decode()
    assert GenerationJob.objects.count() == 1


def test_staff_redeliver_is_audited(staff_client, tenant):
    delivery = _delivery(tenant)
    _action(staff_client, "generation/webhookdelivery", "redeliver", [delivery.pk])
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.PENDING
    event = AuditEvent.objects.get(action="webhook.redelivered_by_staff")
    assert event.tenant_id == tenant.pk


def test_suspend_and_reactivate_are_audited(staff_client, tenant):
    _action(staff_client, "tenants/tenant", "suspend", [tenant.pk])
    assert not Tenant.objects.get(pk=tenant.pk).is_active
    _action(staff_client, "tenants/tenant", "reactivate", [tenant.pk])
    assert Tenant.objects.get(pk=tenant.pk).is_active
    actions = list(AuditEvent.objects.filter(tenant=tenant).values_list("action", flat=True))
    assert "tenant.suspended_by_staff" in actions and "tenant.reactivated_by_staff" in actions


@pytest.mark.parametrize(
    "path",
    [
        "/admin/generation/generatedimage/",
        "/admin/generation/generationjob/",
        "/admin/generation/webhookdelivery/",
    ],
)
def test_admin_is_staff_only(client, tenant, path):
    client.force_login(owner_of(tenant))
    response = client.get(path)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
