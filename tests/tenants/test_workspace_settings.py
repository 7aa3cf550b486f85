"""The owner's workspace settings: rename, transfer ownership, and two-phase deletion
(suspend now, purge rows and files after the grace period, undoable by staff)."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.files.storage import default_storage
from django.test import Client
from django.utils import timezone

from generation.models import GenerationJob
from styles.models import FineTune, StylePreset
from styles.services import finetunes
from tenants import workspace
from tenants.actors import Actor
from tenants.billing.models import StripeSubscription
from tenants.models import AuditEvent, CreditReservation, Membership, Tenant
from tests.cross_tenant.routes_styles import _adapter, _png, _preset
from tests.factories import api_client_for, make_member, make_tenant, make_user, owner_of
from tests.styles.conftest import TINY_HYPERPARAMETERS, make_dataset

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner_client(client, tenant):
    client.force_login(owner_of(tenant))
    return client


@pytest.mark.parametrize("role", ["admin", "member", "viewer"])
def test_only_the_owner_reaches_workspace_settings(client, tenant, role):
    client.force_login(make_member(tenant, role=role))
    assert client.get("/settings/workspace/").status_code == 403
    for action in ("rename", "transfer", "delete"):
        assert client.post(f"/settings/workspace/{action}/").status_code == 403
    assert Tenant.objects.get(pk=tenant.pk).is_active


def test_rename_validates_and_is_audited(owner_client, tenant):
    response = owner_client.post("/settings/workspace/rename/", {"name": "  "}, follow=True)
    assert "name: Give the workspace a name." in response.content.decode()
    owner_client.post("/settings/workspace/rename/", {"name": "Acme Robots"})
    assert Tenant.objects.get(pk=tenant.pk).name == "Acme Robots"
    event = AuditEvent.objects.get(action="tenant.renamed")
    assert event.metadata == {"from": "Acme Bots", "to": "Acme Robots"}


def test_transfer_ownership_swaps_roles_within_the_workspace(owner_client, tenant, other_tenant):
    owner = owner_of(tenant)
    member = make_member(tenant, role="member")
    theirs = Membership.objects.get(tenant=other_tenant, role="owner")
    response = owner_client.post("/settings/workspace/transfer/", {"member": theirs.pk})
    assert response.status_code == 404  # another workspace's membership id
    mine = Membership.objects.get(tenant=tenant, user=owner)
    response = owner_client.post("/settings/workspace/transfer/", {"member": mine.pk}, follow=True)
    assert "already own" in response.content.decode()

    response = owner_client.post("/settings/workspace/transfer/", {"member": "not-a-uuid"})
    assert response.status_code == 404
    owner_client.post(
        "/settings/workspace/transfer/",
        {"member": Membership.objects.get(tenant=tenant, user=member).pk},
    )
    roles = dict(Membership.objects.filter(tenant=tenant).values_list("user__email", "role"))
    assert roles == {owner.email: "admin", member.email: "owner"}
    assert owner_client.get("/settings/workspace/").status_code == 403  # no longer the owner
    assert Membership.objects.get(tenant=other_tenant, role="owner") == theirs


def test_delete_needs_the_slug_and_no_active_subscription(owner_client, tenant):
    response = owner_client.post(
        "/settings/workspace/delete/", {"confirm_slug": "nope"}, follow=True
    )
    assert f"Type the workspace id &#x27;{tenant.slug}&#x27;" in response.content.decode()
    StripeSubscription.objects.create(
        tenant=tenant, stripe_subscription_id="sub_1", plan_id="free", status="active"
    )
    response = owner_client.post(
        "/settings/workspace/delete/", {"confirm_slug": tenant.slug}, follow=True
    )
    assert "Cancel the subscription" in response.content.decode()
    assert Tenant.objects.get(pk=tenant.pk).is_active


def test_delete_suspends_cancels_work_and_purges_after_the_grace_period(
    owner_client, settings, django_capture_on_commit_callbacks
):
    settings.AVATARSAAS_DATASET_MIN_SIDE = 32
    settings.AVATARSAAS_FINETUNE_MIN_IMAGES = 4
    tenant = make_tenant("Doomed", credits_amount=1000, plan="pro")
    kept = make_tenant("Kept", credits_amount=100)
    owner = owner_of(tenant)
    owner_client.force_login(owner)
    api = api_client_for(tenant)
    job = api.post(
        "/api/v1/jobs/",
        {"description": "a robot", "engine": "vector", "n": 1, "size": 256},
        format="json",
    ).json()
    dataset = make_dataset(tenant)
    ft = finetunes.create_finetune(
        tenant=tenant,
        actor=Actor(user=owner),
        dataset_id=dataset.pk,
        name="F",
        **TINY_HYPERPARAMETERS,
    )
    finetunes.submit_finetune(tenant=tenant, actor=Actor(user=owner), finetune_id=ft.pk)
    preset, adapter = _preset(tenant), _adapter(tenant)
    StylePreset.objects.filter(pk=preset.pk).update(active_adapter=adapter)  # protected FK
    kept_file = _png(kept)
    doomed_files = [
        _png(tenant),
        adapter.weights.name,
        *dataset.images.values_list("file", flat=True),
    ]

    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(
            "/settings/workspace/delete/", {"confirm_slug": tenant.slug}, follow=True
        )
    page = response.content.decode()
    assert "is deleted: suspended now" in page and "Scheduled for deletion" in page
    assert f'id="restore-{tenant.slug}"' in page  # the owner can still undo it
    tenant.refresh_from_db()
    assert not tenant.is_active and tenant.deletion_scheduled_at > timezone.now()
    assert GenerationJob.objects.get(pk=job["id"]).status == "canceled"
    assert FineTune.objects.get(pk=ft.pk).state == "canceled"
    held = CreditReservation.objects.filter(tenant=tenant, state="held")
    assert not held.exists()  # every reservation released
    assert api.get("/api/v1/me/").status_code in (401, 403)  # keys stop working at once
    assert "will be deleted on" in mail.outbox[-1].subject
    assert "/workspaces/" in mail.outbox[-1].body  # where to restore it

    assert workspace.purge_due() == []  # still in the grace period
    later = tenant.deletion_scheduled_at + timedelta(seconds=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert workspace.purge_due(later) == [tenant.slug]
    assert not Tenant.objects.filter(pk=tenant.pk).exists()
    assert not GenerationJob.objects.filter(pk=job["id"]).exists()
    assert not any(default_storage.exists(name) for name in doomed_files)
    assert default_storage.exists(kept_file) and Tenant.objects.filter(pk=kept.pk).exists()
    record = AuditEvent.objects.get(action="tenant.purged")
    assert record.tenant is None and record.metadata["slug"] == "doomed"
    assert record.metadata["files"] >= len(doomed_files)


def test_staff_reactivation_undoes_a_scheduled_deletion(owner_client, tenant):
    owner_client.post("/settings/workspace/delete/", {"confirm_slug": tenant.slug})
    assert Tenant.objects.get(pk=tenant.pk).deletion_scheduled_at is not None
    staff = Client()
    staff.force_login(make_user("ops@avatarsaas.local", is_staff=True, is_superuser=True))
    staff.post(
        "/admin/tenants/tenant/",
        {"action": "reactivate", "_selected_action": [str(tenant.pk)]},
    )
    tenant.refresh_from_db()
    assert tenant.is_active and tenant.deletion_scheduled_at is None
    assert AuditEvent.objects.filter(action="tenant.deletion_canceled").exists()
    assert workspace.purge_due(timezone.now() + timedelta(days=365)) == []


def test_purge_command_dry_run_lists_due_workspaces(tenant):
    from io import StringIO

    from django.core.management import call_command

    Tenant.objects.filter(pk=tenant.pk).update(
        is_active=False, deletion_scheduled_at=timezone.now() - timedelta(minutes=1)
    )
    out = StringIO()
    call_command("purge_workspaces", "--dry-run", stdout=out)
    assert out.getvalue().strip() == f"due: {tenant.slug}"
    call_command("purge_workspaces", stdout=out)
    assert not Tenant.objects.filter(pk=tenant.pk).exists()


def test_team_page_links_settings_for_the_owner_only(owner_client, client, tenant):
    assert 'id="workspace-settings-link"' in owner_client.get("/settings/team/").content.decode()
    other = Client()
    other.force_login(make_member(tenant, role="admin"))
    assert 'id="workspace-settings-link"' not in other.get("/settings/team/").content.decode()


def test_switcher_offers_active_workspaces_only(client, tenant, other_tenant):
    user = owner_of(tenant)
    Membership.objects.create(tenant=other_tenant, user=user, role="member")
    client.force_login(user)
    page = client.get("/dashboard/").content.decode()
    assert 'id="tenant-switch"' in page and other_tenant.name in page
    Tenant.objects.filter(pk=other_tenant.pk).update(is_active=False)
    page = client.get("/dashboard/").content.decode()
    assert 'id="tenant-switch"' not in page and other_tenant.name not in page


def test_a_submit_racing_the_deletion_cannot_start_new_work(tenant):
    from core.errors import NotAllowed
    from tenants import credits

    Tenant.objects.filter(pk=tenant.pk).update(is_active=False)  # what the deletion commits
    with pytest.raises(NotAllowed, match="suspended"):
        credits.reserve_credits(tenant=tenant, amount=1, reference="job:late", actor=Actor.system())
    assert not CreditReservation.objects.filter(reference="job:late").exists()


def test_a_signed_in_user_creates_another_workspace_without_welcome_credits(
    owner_client, tenant, settings
):
    owner = owner_of(tenant)
    response = owner_client.post("/workspaces/new/", {"name": "  "})
    assert "Give your workspace a name." in response.content.decode()
    response = owner_client.post("/workspaces/new/", {"name": "Second Brand"}, follow=True)
    assert "Workspace Second Brand is ready." in response.content.decode()
    second = Tenant.objects.get(name="Second Brand")
    assert Membership.objects.get(tenant=second, user=owner).role == "owner"
    assert second.credit_balance == 0  # welcome credits come with signing up only
    assert response.context["tenant"] == second  # switched to it
    assert 'id="tenant-switch"' in response.content.decode()

    settings.AVATARSAAS_MAX_OWNED_WORKSPACES = 2
    response = owner_client.post("/workspaces/new/", {"name": "Third"})
    assert "You already own 2 workspaces" in response.content.decode()
    assert not Tenant.objects.filter(name="Third").exists()


def test_after_deleting_its_only_workspace_a_user_can_start_again(owner_client, tenant):
    owner_client.post("/settings/workspace/delete/", {"confirm_slug": tenant.slug})
    page = owner_client.get("/dashboard/").content.decode()
    assert 'id="create-workspace"' in page and 'id="your-workspaces"' in page
    owner_client.post("/workspaces/new/", {"name": "Fresh Start"})
    assert owner_client.get("/dashboard/").context["tenant"].name == "Fresh Start"


def test_new_workspace_needs_a_sign_in(client):
    response = client.get("/workspaces/new/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_owner_restores_a_deleted_workspace_during_the_grace_period(owner_client, tenant):
    owner_client.post("/settings/workspace/delete/", {"confirm_slug": tenant.slug})
    assert owner_client.get(f"/workspaces/{tenant.pk}/restore/").status_code == 405
    response = owner_client.post(f"/workspaces/{tenant.pk}/restore/", follow=True)
    assert "is restored; nothing was deleted." in response.content.decode()
    tenant.refresh_from_db()
    assert tenant.is_active and tenant.deletion_scheduled_at is None
    assert response.context["tenant"] == tenant
    assert AuditEvent.objects.filter(tenant=tenant, action="tenant.deletion_canceled").exists()
    assert workspace.purge_due(timezone.now() + timedelta(days=365)) == []


def test_only_the_owner_of_a_pending_deletion_can_restore_it(client, tenant):
    Tenant.objects.filter(pk=tenant.pk).update(is_active=False)  # suspended by staff only
    client.force_login(owner_of(tenant))
    assert client.post(f"/workspaces/{tenant.pk}/restore/").status_code == 404
    Tenant.objects.filter(pk=tenant.pk).update(
        deletion_scheduled_at=timezone.now() + timedelta(days=3)
    )
    admin = make_member(tenant, role="admin")
    client.force_login(admin)
    assert client.post(f"/workspaces/{tenant.pk}/restore/").status_code == 404
    assert client.post("/workspaces/not-a-uuid/restore/").status_code == 404
    assert not Tenant.objects.get(pk=tenant.pk).is_active


def test_a_user_without_a_workspace_can_still_sign_out(owner_client, tenant):
    owner_client.post("/settings/workspace/delete/", {"confirm_slug": tenant.slug})
    page = owner_client.get("/workspaces/").content.decode()
    assert "Sign out" in page and owner_of(tenant).email in page
