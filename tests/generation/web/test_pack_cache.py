"""Avatar pack downloads (issue 18, finding 5): a GET never writes, never encodes what was built
at job end, encodes a missing shape once (then serves it from the cache), and is throttled per
workspace with 429 + Retry-After.

The old view called `ensure_pack` on every GET: it re-encoded the whole pack (about 1.3 CPU-s
at 1024 px) each time and stored new files and rows on a GET (e.g. `?shape=circle`).
"""

import io
import zipfile
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse
from PIL import Image

from generation.models import GeneratedImage, ImageFile
from generation.worker import packs, postprocess
from tests.cross_tenant.routes_generation import _job
from tests.factories import make_tenant, owner_of

pytestmark = pytest.mark.django_db
SIDE = 256  # pack sizes 256, 128 and 64 fit; 1024 and 512 are never upscaled


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def encodes(monkeypatch):
    """Counts every image encode of the avatar pipeline."""
    calls = []
    real = postprocess._encode

    def counting(image, fmt):
        calls.append((image.size[0], fmt))
        return real(image, fmt)

    monkeypatch.setattr(postprocess, "_encode", counting)
    return calls


def _image(tenant, *, built: bool) -> GeneratedImage:
    buf = io.BytesIO()
    Image.radial_gradient("L").resize((SIDE, SIDE)).convert("RGB").save(buf, format="PNG")
    name = default_storage.save(f"tenants/{tenant.pk}/images/o.png", ContentFile(buf.getvalue()))
    image = GeneratedImage.objects.create(
        tenant=tenant, job=_job(tenant), index=0, seed=1, engine="vector", original=name
    )
    if built:  # what the worker does at job end for the winner (square; circle if asked)
        packs.ensure_pack(image, circle=False)
    return image


def _stored_files(settings) -> set[Path]:
    root = Path(settings.MEDIA_ROOT)
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def _get(client, image, **query):
    return client.get(reverse("image_pack", args=[image.pk]), query)


def _names(response) -> list[str]:
    assert response.status_code == 200, response.content[:200]
    return sorted(zipfile.ZipFile(io.BytesIO(response.content)).namelist())


def test_repeated_circle_downloads_encode_once_and_write_nothing(
    owner_client, tenant, settings, encodes
):
    image = _image(tenant, built=True)
    files_before, rows_before = _stored_files(settings), ImageFile.objects.count()
    encodes.clear()

    first = _names(_get(owner_client, image, shape="circle"))
    assert first == sorted(
        f"avatar-{s}-circle.{f}" for s in (256, 128, 64) for f in ("png", "webp")
    )
    assert len(encodes) == 6  # the circle shape, rendered once in memory
    for query in ({"shape": "circle"}, {"shape": ["circle", "square"], "size": "64"}):
        encodes.clear()
        assert _names(_get(owner_client, image, **query))
        assert encodes == [], query  # served from the cache and the stored square pack

    assert _stored_files(settings) == files_before  # no files written by GETs
    assert ImageFile.objects.count() == rows_before  # and no rows


def test_downloading_a_built_pack_encodes_nothing(owner_client, tenant, encodes):
    image = _image(tenant, built=True)
    encodes.clear()
    for _ in range(3):
        names = _names(_get(owner_client, image))
        assert names == sorted(
            f"avatar-{s}-square.{f}" for s in (256, 128, 64) for f in ("png", "webp")
        )
    assert encodes == []


def test_a_candidate_that_was_not_picked_is_zipped_from_memory_without_writes(
    owner_client, tenant, settings, encodes
):
    image = _image(tenant, built=False)
    files_before = _stored_files(settings)
    assert len(_names(_get(owner_client, image, format="png"))) == 3
    assert _names(_get(owner_client, image, format="webp"))  # same cached render
    assert len(encodes) == 6
    assert _stored_files(settings) == files_before and not image.files.exists()


def test_pack_downloads_are_throttled_per_workspace_with_retry_after(
    owner_client, tenant, settings
):
    settings.AVATARSAAS_PACK_DOWNLOADS_PER_MINUTE = 2
    image = _image(tenant, built=True)
    assert [_get(owner_client, image).status_code for _ in range(2)] == [200, 200]
    refused = _get(owner_client, image)
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert "Too many pack downloads" in refused.content.decode()

    other = make_tenant("Other Bots")
    other_client = Client()
    other_client.force_login(owner_of(other))
    assert _get(other_client, _image(other, built=True)).status_code == 200  # per workspace


def test_renders_are_throttled_and_cache_hits_do_not_count(owner_client, tenant, settings):
    settings.AVATARSAAS_PACK_RENDERS_PER_MINUTE = 1
    first, second = _image(tenant, built=True), _image(tenant, built=True)
    assert _get(owner_client, first, shape="circle").status_code == 200  # one render
    assert _get(owner_client, first, shape="circle").status_code == 200  # cached: not counted
    refused = _get(owner_client, second, shape="circle")
    assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1
    assert "Too many pack renders" in refused.content.decode()
    assert _get(owner_client, second).status_code == 200  # stored shapes need no render


def test_renders_over_the_cache_size_cap_are_not_cached(owner_client, tenant, settings, encodes):
    settings.AVATARSAAS_PACK_CACHE_MAX_BYTES = 1
    image = _image(tenant, built=True)
    encodes.clear()
    _get(owner_client, image, shape="circle")
    _get(owner_client, image, shape="circle")
    assert len(encodes) == 12  # rendered twice: the render limit is what bounds this
