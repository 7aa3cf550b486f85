"""Server-rendered dashboard pages: roles enforced server-side, honest weight banners, the
gallery's filters, pack choices, and templates ready for a strict CSP."""

import io
import re
import zipfile
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from generation.models import GeneratedImage, GenerationJob, WebhookEndpoint
from styles.models import StylePreset
from tests.cross_tenant.routes_generation import _delivery, _image
from tests.factories import make_member, owner_of

pytestmark = pytest.mark.django_db


def _client(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    "role,method,name,kwargs,expected",
    [
        ("viewer", "get", "generate", None, 403),
        ("viewer", "post", "image_select", "image", 403),
        ("viewer", "post", "image_rerender", "image", 403),
        ("viewer", "post", "job_vary", "job", 403),
        ("viewer", "get", "gallery", None, 200),
        ("viewer", "get", "image_detail", "image", 200),
        ("member", "get", "generate", None, 200),
        ("member", "get", "api_keys", None, 403),
        ("member", "get", "webhook_list", None, 403),
        ("member", "post", "webhook_redeliver", "delivery", 403),
        ("member", "get", "billing", None, 403),
        ("admin", "get", "webhook_list", None, 200),
        ("admin", "get", "api_keys", None, 200),
    ],
)
def test_roles_are_enforced_server_side(tenant, role, method, name, kwargs, expected):
    image = _image(tenant)
    objects = {
        "image": {"image_id": image.pk},
        "job": {"job_id": image.job_id},
        "delivery": {"delivery_id": _delivery(tenant).pk},
    }
    client = _client(make_member(tenant, role=role))
    url = reverse(name, kwargs=objects.get(kwargs))
    assert getattr(client, method)(url).status_code == expected


def test_controls_are_hidden_from_roles_that_cannot_use_them(tenant):
    image = _image(tenant)
    viewer = _client(make_member(tenant, role="viewer"))
    page = viewer.get(reverse("job_detail", args=[image.job_id])).content.decode()
    assert reverse("image_select", args=[image.pk]) not in page
    assert reverse("image_rerender", args=[image.pk]) not in page
    assert 'href="/generate/"' not in viewer.get("/dashboard/").content.decode()
    member_page = _client(make_member(tenant, role="member")).get("/dashboard/").content.decode()
    assert 'href="/settings/api-keys/"' not in member_page
    assert 'href="/settings/webhooks/"' not in member_page


def test_overview_banner_tracks_configured_weights(owner_client, settings, no_models):
    page = owner_client.get("/dashboard/").content.decode()
    assert 'id="weights-banner"' in page and "vector engine" in page
    settings.AVATARSAAS_SD_MODEL = "/models/sd"
    settings.AVATARSAAS_CLIP_CHECKPOINT = "/models/clip.pt"
    page = owner_client.get("/dashboard/").content.decode()
    assert "not a measure of quality" in page  # configured, but not marked as real
    settings.AVATARSAAS_WEIGHTS_ARE_REAL = True
    assert 'id="weights-banner"' not in owner_client.get("/dashboard/").content.decode()


def test_untrusted_clip_scores_are_labelled_not_as_quality(owner_client, tenant, settings):
    image = _image(tenant)
    GeneratedImage.objects.filter(pk=image.pk).update(clip_score=0.31, final_score=0.31)
    settings.AVATARSAAS_CLIP_CHECKPOINT = "/models/clip.pt"
    page = owner_client.get(reverse("job_detail", args=[image.job_id])).content.decode()
    assert "CLIP 0.310" in page and "test weights, not quality" in page
    settings.AVATARSAAS_WEIGHTS_ARE_REAL = True
    page = owner_client.get(reverse("job_detail", args=[image.job_id])).content.decode()
    assert "CLIP 0.310" in page and "test weights" not in page


def test_overview_lists_recent_jobs_and_next_steps(owner_client, tenant):
    page = owner_client.get("/dashboard/").content.decode()
    assert "Describe your first bot" in page and "Create an API key" in page
    image = _image(tenant)
    GeneratedImage.objects.filter(pk=image.pk).update(selected=True)
    page = owner_client.get("/dashboard/").content.decode()
    assert reverse("job_detail", args=[image.job_id]) in page
    assert "Describe your first bot and render it" not in page


def test_gallery_filters_by_preset_score_date_adapter_and_pick(owner_client, tenant):
    preset = StylePreset.objects.create(tenant=tenant, slug="brand", name="Brand")
    plain, branded, old = _image(tenant), _image(tenant), _image(tenant)
    branded.job.preset = preset
    branded.job.save()
    GeneratedImage.objects.filter(pk=branded.pk).update(
        final_score=0.4, adapter_version_id="v-1", selected=True
    )
    GeneratedImage.objects.filter(pk=plain.pk).update(final_score=0.1)
    GeneratedImage.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=40))

    def ids(**query):
        response = owner_client.get(reverse("gallery"), query)
        assert response.status_code == 200
        return {str(i.pk) for i in response.context["images"]}

    everything = {str(plain.pk), str(branded.pk), str(old.pk)}
    assert ids() == everything
    assert ids(preset=str(preset.pk)) == {str(branded.pk)}
    assert ids(preset="none") == {str(plain.pk), str(old.pk)}
    assert ids(min_score="0.3") == {str(branded.pk)}
    assert ids(adapter="v-1") == {str(branded.pk)}
    assert ids(picked="1") == {str(branded.pk)}
    since = (timezone.now() - timedelta(days=7)).date().isoformat()
    assert ids(since=since) == {str(plain.pk), str(branded.pk)}
    assert ids(preset="not-a-uuid", min_score="abc", since="never") == set()


def test_lineage_panel_names_prompt_seed_model_maker_and_job(owner_client, tenant):
    image = _image(tenant)
    image.job.requested_by_user = owner_of(tenant)
    image.job.model_hash = "abc123"
    image.job.save()
    page = owner_client.get(reverse("image_detail", args=[image.pk])).content.decode()
    for fact in (image.job.prompt, str(image.seed), "abc123", owner_of(tenant).email):
        assert fact in page
    assert str(image.job_id) in page


def test_pack_download_honours_sizes_shapes_and_formats(owner_client, tenant):
    image = _image(tenant)
    response = owner_client.get(
        reverse("image_pack", args=[image.pk]),
        {"size": ["64", "9999"], "shape": ["square", "circle"], "format": ["webp"]},
    )
    names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    assert sorted(names) == ["avatar-64-circle.webp", "avatar-64-square.webp"]


def test_preset_thumbnail_is_a_png_for_builtin_and_own_presets(owner_client, tenant):
    own = StylePreset.objects.create(tenant=tenant, slug="mine", name="Mine", palette=["#ff0000"])
    builtin = StylePreset.objects.create(tenant=None, slug="test-builtin", name="Built-in")
    for preset in (own, builtin):
        response = owner_client.get(reverse("preset_thumbnail", args=[preset.pk]))
        assert response.status_code == 200 and response.content[:4] == b"\x89PNG"


def test_preset_thumbnail_prefers_the_brands_reference_image(owner_client, tenant):
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from PIL import Image

    from styles.models import ReferenceImage

    preset = StylePreset.objects.create(tenant=tenant, slug="ref", name="Ref")
    buf = io.BytesIO()
    Image.new("RGB", (200, 120), (220, 20, 20)).save(buf, format="PNG")
    name = default_storage.save(
        f"tenants/{tenant.pk}/references/r.png", ContentFile(buf.getvalue())
    )
    ReferenceImage.objects.create(tenant=tenant, preset=preset, file=name)
    response = owner_client.get(reverse("preset_thumbnail", args=[preset.pk]))
    thumb = Image.open(io.BytesIO(response.content))
    assert thumb.size == (96, 96) and thumb.convert("RGB").getpixel((48, 48)) == (220, 20, 20)


def test_webhook_form_errors_name_the_field(owner_client, tenant):
    response = owner_client.post(reverse("webhook_list"), {"url": "ftp://nope"})
    assert response.status_code == 200
    assert response.context["form"].errors["url"]
    assert not WebhookEndpoint.objects.for_tenant(tenant).exists()


INLINE = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|\sstyle=\"|\son[a-z]+=\"", re.I)


def _main_pages(tenant) -> list[str]:
    image = _image(tenant)
    delivery = _delivery(tenant)
    return [
        "/dashboard/",
        "/generate/",
        "/jobs/",
        reverse("job_detail", args=[image.job_id]),
        "/gallery/",
        reverse("image_detail", args=[image.pk]),
        "/settings/api-keys/",
        "/settings/webhooks/",
        reverse("webhook_detail", args=[delivery.endpoint_id]),
        "/settings/team/",
        "/settings/audit/",
        "/billing/",
    ]


def test_pages_have_no_inline_script_style_or_handlers(owner_client, tenant):
    """Keeps the dashboard compatible with a strict Content-Security-Policy."""
    for url in _main_pages(tenant):
        response = owner_client.get(url)
        assert response.status_code == 200, url
        found = INLINE.findall(response.content.decode())
        assert not found, f"{url}: {found}"


def test_help_texts_are_announced_with_their_fields(owner_client, tenant):
    """Every aria-describedby points at an element that exists (Django adds them for help)."""
    for url in _main_pages(tenant):
        html = owner_client.get(url).content.decode()
        ids = set(re.findall(r'\sid="([^"]+)"', html))
        described = set(re.findall(r'aria-describedby="([^"]+)"', html))
        assert described <= ids, f"{url}: dangling {described - ids}"


def test_gallery_paginates_and_keeps_filters_in_page_links(owner_client, tenant):
    job = _image(tenant).job
    first = job.images.get()
    for index in range(1, 25):
        GeneratedImage.objects.create(
            tenant=tenant,
            job=job,
            index=index,
            seed=index,
            engine="vector",
            original=first.original.name,
        )
    response = owner_client.get(reverse("gallery"), {"preset": "none"})
    assert len(response.context["images"]) == 24
    assert 'href="?preset=none&amp;page=2"' in response.content.decode()
    second = owner_client.get(reverse("gallery"), {"preset": "none", "page": 2})
    assert len(second.context["images"]) == 1


def test_vary_submits_the_same_request_with_new_seeds(owner_client, tenant, no_models):
    source = _image(tenant).job
    response = owner_client.post(reverse("job_vary", args=[source.pk]))
    new = GenerationJob.objects.for_tenant(tenant).exclude(pk=source.pk).get()
    assert response["Location"] == reverse("job_detail", args=[new.pk])
    assert (new.description, new.engine, new.n, new.size) == (
        source.description,
        source.engine,
        source.n,
        source.size,
    )
    assert new.seeds != source.seeds and not new.cache_hit


def test_job_list_filters_by_status_and_keeps_it_in_page_links(owner_client, tenant):
    for _ in range(26):
        _image(tenant)
    response = owner_client.get(reverse("job_list"), {"status": "succeeded"})
    assert 'href="?status=succeeded&amp;page=2"' in response.content.decode()
    assert not owner_client.get(reverse("job_list"), {"status": "failed"}).context["jobs"]


def test_generate_page_states_prices_before_any_script_runs(owner_client, tenant):
    from generation.jobs.pricing import quote_cost

    page = owner_client.get("/generate/").content.decode()
    note = page.split('id="pricing-note">', 1)[1].split("</p>", 1)[0]
    assert f"{quote_cost(engine='vector', n=1, size=512)} credit per candidate" in note
    assert f"{quote_cost(engine='diffusers', n=1, size=512)} with diffusion" in note
    tenant.refresh_from_db()
    assert f"Balance: {tenant.credit_balance} credits" in note
