"""Webhooks, team, billing and audit pages in the browser, including a phone-sized viewport."""

import pytest
from playwright.sync_api import expect

from generation.models import WebhookDelivery, WebhookEndpoint
from tenants.models import Membership
from tests.factories import make_member, owner_of

pytestmark = pytest.mark.django_db(transaction=True)


def test_webhook_endpoint_crud_delivery_log_and_redeliver(page, login, shot, tenant):
    login(page, owner_of(tenant))
    page.goto("/settings/webhooks/")
    expect(page.locator(".empty-inline")).to_contain_text("No endpoints yet")
    page.get_by_label("Endpoint URL").fill("https://hooks.example.com/avatars")
    page.get_by_label("Description").fill("support bot backend")
    page.get_by_label("job.succeeded").check()
    page.get_by_role("button", name="Add endpoint").click()

    endpoint = WebhookEndpoint.objects.for_tenant(tenant).get()
    assert endpoint.events == ["job.succeeded"]
    page.get_by_role("button", name="Reveal").click()
    expect(page.locator("#webhook-secret")).to_have_text(endpoint.secret)

    delivery = WebhookDelivery.objects.create(
        tenant=tenant,
        endpoint=endpoint,
        event_type="job.succeeded",
        message_id="msg_browser",
        payload={"type": "job.succeeded"},
        status=WebhookDelivery.Status.GAVE_UP,
        attempts=6,
        response_code=500,
    )
    page.reload()
    row = page.locator("#deliveries tr", has_text="job.succeeded")
    expect(row).to_contain_text("Gave up")
    shot(page, "13-webhook-detail")
    row.get_by_role("button", name="Redeliver").click()
    expect(page.locator(".message.success")).to_contain_text("Redelivery of job.succeeded")
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.PENDING

    page.get_by_label("Active").uncheck()
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".message.success")).to_have_text("Endpoint saved.")
    endpoint.refresh_from_db()
    assert endpoint.is_active is False

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete endpoint").click()
    expect(page.locator(".empty-inline")).to_contain_text("No endpoints yet")
    assert not WebhookEndpoint.objects.for_tenant(tenant).exists()


def test_team_invite_and_role_change(page, login, tenant):
    make_member(tenant, role="viewer", email="vera@example.com")
    login(page, owner_of(tenant))
    page.goto("/settings/team/")
    page.get_by_label("Email").fill("mo@example.com")
    page.get_by_label("Role", exact=True).select_option("admin")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.locator(".message.success")).to_contain_text("Invitation sent to mo@example.com")
    expect(page.locator("table", has_text="mo@example.com")).to_contain_text("Admin")

    page.get_by_label("Role of vera@example.com").select_option("member")
    page.locator("tr", has_text="vera@example.com").get_by_role("button", name="Save").click()
    expect(page.locator(".message.success")).to_have_text("Role updated.")
    assert Membership.objects.get(tenant=tenant, user__email="vera@example.com").role == "member"


def test_settings_pages_render_for_owner_and_on_a_phone(page, login, shot, assert_labelled, tenant):
    make_member(tenant, role="viewer", email="vera@example.com")
    login(page, owner_of(tenant))
    for path, name, heading in [
        ("/settings/team/", "14-team", "Team"),
        ("/billing/", "15-billing", "Usage & billing"),
        ("/settings/audit/", "16-audit", "Audit log"),
        ("/jobs/", "17-jobs-empty", "Jobs"),
        ("/gallery/", "18-gallery-empty", "Gallery"),
        ("/settings/webhooks/", "18b-webhooks", "Webhooks"),
        ("/settings/api-keys/", "18c-api-keys-empty", "API keys"),
        ("/settings/workspace/", "18d-workspace-settings", "Workspace settings"),
    ]:
        page.goto(path)
        expect(page.locator("h1")).to_have_text(heading)
        assert_labelled(page)
        shot(page, name)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/generate/")
    expect(page.get_by_label("Describe your bot")).to_be_visible()
    assert_labelled(page)
    shot(page, "19-generate-phone")


def test_owner_deletes_the_workspace_after_confirming_and_restores_it(page, login, shot, tenant):
    from tenants.models import Tenant

    login(page, owner_of(tenant))
    page.goto("/settings/team/")
    page.locator("#workspace-settings-link").click()
    page.get_by_label("Type").fill(tenant.slug)
    page.once("dialog", lambda dialog: dialog.dismiss())  # a second thought: nothing happens
    page.locator("#workspace-delete").click()
    expect(page.locator("h1")).to_have_text("Workspace settings")
    assert Tenant.objects.get(pk=tenant.pk).is_active

    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#workspace-delete").click()
    expect(page.locator(".message.success")).to_contain_text("is deleted: suspended now")
    expect(page.locator("h1")).to_have_text("Your workspaces")
    assert not Tenant.objects.get(pk=tenant.pk).is_active
    shot(page, "18e-workspaces-pending-deletion")

    page.locator(f"#restore-{tenant.slug}").click()  # changed our mind within the grace period
    expect(page.locator(".message.success")).to_contain_text("is restored")
    assert Tenant.objects.get(pk=tenant.pk).is_active
