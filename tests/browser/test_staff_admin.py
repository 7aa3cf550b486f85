"""The staff review screen in the browser: thumbnails, score filters, a bulk flag action."""

import pytest
from playwright.sync_api import expect

from generation.models import GeneratedImage
from tenants.models import AuditEvent
from tests.cross_tenant.routes_generation import _image
from tests.factories import make_user

pytestmark = pytest.mark.django_db(transaction=True)


def test_staff_bulk_flags_images_from_the_review_list(page, login, shot, tenant, other_tenant):
    images = [_image(tenant), _image(other_tenant)]
    GeneratedImage.objects.filter(pk=images[0].pk).update(clip_score=0.27, brand_score=0.61)
    login(page, make_user("ops@avatarsaas.local", is_staff=True, is_superuser=True))
    page.goto("/admin/generation/generatedimage/")
    expect(page.locator("img.avatar-thumb")).to_have_count(2)
    page.get_by_role("link", name="0.20 – 0.30").click()
    expect(page.locator("#result_list tbody tr")).to_have_count(1)
    page.goto("/admin/generation/generatedimage/")
    shot(page, "20-admin-image-review")

    page.locator("#action-toggle").check()
    page.locator("select[name=action]").select_option("flag")
    page.get_by_role("button", name="Go").click()
    expect(page.locator(".messagelist")).to_contain_text("2 image(s) marked flagged")
    assert set(GeneratedImage.objects.values_list("review_status", flat=True)) == {"flagged"}
    assert AuditEvent.objects.filter(action="image.flagged").count() == 2


def test_staff_open_engine_and_models_from_the_admin_index(page, login, shot, tenant, no_models):
    from django.utils import timezone

    from generation.models import GenerationJob

    job = _image(tenant).job
    now = timezone.now()
    GenerationJob.objects.filter(pk=job.pk).update(
        started_at=now, finished_at=now, engine_seconds=0.05
    )
    login(page, make_user("ops@avatarsaas.local", is_staff=True, is_superuser=True))
    page.goto("/admin/")
    page.get_by_role("link", name="Engine & models").click()
    expect(page.locator("#demo-mode")).to_contain_text("Demo mode")
    expect(page.locator("#models")).to_contain_text("vector engine only")
    expect(page.locator("#engines tbody tr")).to_have_count(1)
    expect(page.locator("#engines tbody")).to_contain_text("vector")
    shot(page, "20b-admin-engine-status")
