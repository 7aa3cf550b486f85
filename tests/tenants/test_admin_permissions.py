"""Sensitive staff actions need Django permissions, not just a staff login: view-only staff
can look at workspaces, purchases, fine-tunes and jobs but cannot mint credits, suspend a
workspace, refund, approve a fine-tune or spend a tenant's credits on a retry."""

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from generation.models import GenerationJob
from styles.models import FineTune
from tenants.billing.catalog import ensure_builtin_packs
from tenants.models import CreditEntry, CreditPack, CreditPurchase, Tenant
from tests.cross_tenant.routes_generation import _job
from tests.factories import make_user
from tests.styles.admin.test_admin_review import _submitted

pytestmark = pytest.mark.django_db

VIEW_ONLY = [
    "tenants.view_tenant",
    "tenants.view_creditpurchase",
    "styles.view_finetune",
    "generation.view_generationjob",
]


def _staff(*perms: str) -> Client:
    user = make_user(is_staff=True)
    for perm in perms:
        app_label, codename = perm.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    client = Client()
    client.force_login(user)
    return client


def _action(client, model, action, pks, **extra):
    return client.post(
        f"/admin/{model}/",
        {"action": action, "_selected_action": [str(pk) for pk in pks], **extra},
    )


@pytest.fixture
def small_images(settings):
    settings.AVATARSAAS_DATASET_MIN_SIDE = 32
    settings.AVATARSAAS_FINETUNE_MIN_IMAGES = 4
    settings.AVATARSAAS_VALIDATION_STEPS = 2


def test_view_only_staff_cannot_mint_credits(tenant):
    before = tenant.credit_balance
    viewer = _staff(*VIEW_ONLY)
    assert viewer.get("/admin/tenants/tenant/").status_code == 200  # looking is fine
    _action(viewer, "tenants/tenant", "adjust_credits", [tenant.pk], amount="1000000", reason="x")
    tenant.refresh_from_db()
    assert tenant.credit_balance == before
    assert not CreditEntry.objects.filter(tenant=tenant, kind="adjustment").exists()

    adjuster = _staff(*VIEW_ONLY, "tenants.adjust_credits")
    _action(adjuster, "tenants/tenant", "adjust_credits", [tenant.pk], amount="25", reason="ok")
    tenant.refresh_from_db()
    assert tenant.credit_balance == before + 25


def test_view_only_staff_cannot_suspend_a_workspace(tenant):
    _action(_staff(*VIEW_ONLY), "tenants/tenant", "suspend", [tenant.pk])
    assert Tenant.objects.get(pk=tenant.pk).is_active
    # Nor through the change form's is_active box with a plain change permission.
    editor = _staff(*VIEW_ONLY, "tenants.change_tenant")
    page = editor.get(f"/admin/tenants/tenant/{tenant.pk}/change/").content.decode()
    assert 'name="is_active"' not in page
    _action(editor, "tenants/tenant", "suspend", [tenant.pk])
    assert Tenant.objects.get(pk=tenant.pk).is_active

    _action(_staff(*VIEW_ONLY, "tenants.suspend_tenant"), "tenants/tenant", "suspend", [tenant.pk])
    assert not Tenant.objects.get(pk=tenant.pk).is_active


def test_view_only_staff_cannot_approve_a_fine_tune(pro_tenant, small_images):
    ft = _submitted(pro_tenant)
    viewer = _staff(*VIEW_ONLY)
    page = viewer.get(f"/admin/styles/finetune/{ft.pk}/change/").content.decode()
    assert 'id="review-form"' not in page
    response = viewer.post(f"/admin/styles/finetune/{ft.pk}/review/", {"decision": "approve"})
    assert response.status_code == 403
    _action(viewer, "styles/finetune", "approve_selected", [ft.pk])
    assert FineTune.objects.get(pk=ft.pk).state == "submitted"

    reviewer = _staff(*VIEW_ONLY, "styles.review_finetune")
    reviewer.post(f"/admin/styles/finetune/{ft.pk}/review/", {"decision": "approve"})
    assert FineTune.objects.get(pk=ft.pk).state == "queued"


def test_view_only_staff_cannot_retry_jobs_on_a_tenants_credits(tenant):
    failed = _job(tenant, status="failed")
    _action(_staff(*VIEW_ONLY), "generation/generationjob", "retry_failed", [failed.pk])
    assert GenerationJob.objects.filter(tenant=tenant).count() == 1


def test_view_only_staff_cannot_refund(tenant):
    ensure_builtin_packs(CreditPack)
    pack = CreditPack.objects.first()
    CreditPurchase.objects.create(
        tenant=tenant,
        pack=pack,
        credits=pack.credits,
        amount_cents=pack.price_cents,
        currency=pack.currency,
        stripe_payment_id="pi_paid",
        status=CreditPurchase.Status.PAID,
    )
    viewer = _staff(*VIEW_ONLY)
    page = viewer.get("/admin/tenants/creditpurchase/").content.decode()
    assert "pi_paid" in page and "refund_at_stripe" not in page
    refunder = _staff(*VIEW_ONLY, "tenants.refund_purchase")
    assert "refund_at_stripe" in refunder.get("/admin/tenants/creditpurchase/").content.decode()


@pytest.fixture
def pro_tenant(db):
    from tests.factories import make_tenant

    return make_tenant("Acme Pro", credits_amount=1000, plan="pro")


def test_view_only_staff_cannot_approve_a_lora_import(tenant):
    from styles.models import AdapterImport, LoraAdapter

    item = AdapterImport.objects.create(
        tenant=tenant,
        name="Imported",
        file="x.safetensors",
        sha256="0" * 64,
        format="kohya",
        state="pending_review",
    )
    viewer = _staff("styles.view_adapterimport")
    assert viewer.get(f"/admin/styles/adapterimport/{item.pk}/change/").status_code == 200
    _action(viewer, "styles/adapterimport", "approve_selected", [item.pk])
    assert AdapterImport.objects.get(pk=item.pk).state == "pending_review"
    assert not LoraAdapter.objects.exists()

    reviewer = _staff("styles.view_adapterimport", "styles.review_adapterimport")
    _action(reviewer, "styles/adapterimport", "approve_selected", [item.pk])
    assert AdapterImport.objects.get(pk=item.pk).state == "approved"
    adapter = LoraAdapter.objects.get(source_import=item)
    assert adapter.lineage == "imported" and adapter.exports == {"kohya": "x.safetensors"}
