"""API keys end to end, roles, and another tenant's objects answering 404 in the browser."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect
from rest_framework.test import APIClient

from tests.cross_tenant.routes_generation import _delivery, _image
from tests.factories import make_member, owner_of

pytestmark = pytest.mark.django_db(transaction=True)


def _me(plaintext):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    return client.get("/api/v1/me/").status_code


def test_create_use_and_revoke_an_api_key(page, login, shot, tenant):
    login(page, owner_of(tenant))
    page.goto("/settings/api-keys/")
    expect(page.locator(".empty-inline")).to_contain_text("No keys yet")
    page.get_by_label("Name").fill("support bot (prod)")
    page.get_by_role("button", name="Create key").click()

    secret = page.locator("#new-api-key")
    expect(secret).to_have_text(__import__("re").compile(r"^ask_"))
    shot(page, "10-api-key-created")
    plaintext = secret.inner_text().strip()
    assert _me(plaintext) == 200

    page.get_by_role("link", name="Done").click()
    row = page.locator("#api-keys tr", has_text="support bot (prod)")
    expect(row).not_to_contain_text(plaintext)  # shown once, never again
    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Revoke").click()
    expect(row.locator(".badge")).to_have_text("revoked")
    shot(page, "11-api-keys")
    assert _me(plaintext) == 401


def test_another_tenants_objects_are_not_found(page, login, shot, tenant, other_tenant):
    image = _image(other_tenant)
    delivery = _delivery(other_tenant)
    login(page, owner_of(tenant))
    urls = [
        reverse("job_detail", args=[image.job_id]),
        reverse("image_detail", args=[image.pk]),
        reverse("image_pack", args=[image.pk]),
        reverse("file_download", args=[image.files.first().pk]),
        reverse("webhook_detail", args=[delivery.endpoint_id]),
    ]
    for url in urls:
        response = page.goto(url)
        assert response.status == 404, url
        expect(page.locator("h1")).to_have_text("Not found")
    shot(page, "12-not-found")
    page.goto("/gallery/")
    expect(page.locator(".gallery-grid .tile")).to_have_count(0)


def test_viewer_sees_no_generate_controls_and_is_refused(page, login, shot, tenant):
    image = _image(tenant)
    login(page, make_member(tenant, role="viewer"))
    page.goto("/dashboard/")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Generate", exact=True)).to_have_count(0)
    expect(nav.get_by_role("link", name="API keys")).to_have_count(0)
    page.goto(reverse("job_detail", args=[image.job_id]))
    expect(page.locator(".candidate")).to_have_count(1)
    expect(page.get_by_role("button", name="Pick")).to_have_count(0)
    expect(page.get_by_role("button", name="Re-render")).to_have_count(0)
    assert page.goto("/generate/").status == 403
    expect(page.locator("h1")).to_have_text("Not allowed")


def test_workspace_switcher_changes_the_active_tenant(page, login, tenant, other_tenant):
    from tenants.models import Membership

    owner = owner_of(tenant)
    Membership.objects.create(tenant=other_tenant, user=owner, role="viewer")
    login(page, owner)
    page.goto("/dashboard/")
    expect(page.locator("h1")).to_have_text(tenant.name)
    page.get_by_label("Workspace").select_option(label=other_tenant.name)
    expect(page.locator("h1")).to_have_text(other_tenant.name)
    expect(page.locator(".account .role")).to_have_text("Viewer")
