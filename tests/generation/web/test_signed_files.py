"""Serving results: content-addressed names, immutable cache headers, ETag/304, and signed
URLs whose signature carries the expiry (tampered, expired or foreign answers 403)."""

import hashlib
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client

from core import signed_files, storage
from generation.models import GenerationJob
from generation.worker import runner
from tests.factories import api_client_for, owner_of

pytestmark = pytest.mark.django_db


def _job_with_files(tenant, seed=3):
    client = api_client_for(tenant)
    job_id = client.post(
        "/api/v1/jobs/", {"description": "a robot", "n": 1, "seed": seed, "size": 128}
    ).json()["id"]
    runner.process_one("w")
    detail = client.get(f"/api/v1/jobs/{job_id}/").json()
    assert detail["status"] == "succeeded"
    return job_id, detail["images"][0]["files"]


def _path_and_query(url):
    parts = urlsplit(url)
    return parts.path, {k: v[0] for k, v in parse_qs(parts.query).items()}


# --- content-addressed names ----------------------------------------------------------------


def test_same_bytes_in_one_workspace_share_one_name_and_one_write(tenant, other_tenant):
    data = b"\x89PNG pretend pixels"
    first = storage.save_content_addressed(tenant.pk, "images", "png", data)
    again = storage.save_content_addressed(tenant.pk, "images", "png", data)
    assert first == again and first.startswith(f"tenants/{tenant.pk}/images/")
    _, listed = default_storage.listdir(f"tenants/{tenant.pk}/images")
    assert listed == [first.rsplit("/", 1)[1]]  # written once
    other = storage.save_content_addressed(tenant.pk, "images", "png", data + b"!")
    assert other != first
    # Another workspace's name for the same bytes is different, and neither is the bare
    # content hash (nobody holding the pixels can derive a stored name).
    foreign = storage.save_content_addressed(other_tenant.pk, "images", "png", data)
    assert (
        foreign.startswith(f"tenants/{other_tenant.pk}/")
        and foreign.rsplit("/")[-1] != (first.rsplit("/")[-1])
    )
    assert hashlib.sha256(data).hexdigest()[:16] not in first + foreign


def test_a_re_render_of_the_same_seed_reuses_the_stored_files(no_models, tenant):
    _, files = _job_with_files(tenant, seed=9)
    GenerationJob.objects.update(cache_key="")  # no result-cache hit: really render again
    _, again = _job_with_files(tenant, seed=9)
    names = {_path_and_query(f["url"])[0] for f in files}
    assert names == {_path_and_query(f["url"])[0] for f in again}


# --- signed URLs ----------------------------------------------------------------------------


def test_api_file_urls_are_signed_and_served_immutable_without_a_key(no_models, tenant):
    _, files = _job_with_files(tenant)
    url = files[0]["url"]
    path, query = _path_and_query(url)
    assert path.startswith(f"/files/tenants/{tenant.pk}/images/") and set(query) == {"e", "s"}
    response = Client().get(url)  # no session, no key: the signature is the grant
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert len(body) == files[0]["bytes"] and response["Content-Type"] == files[0]["content_type"]
    cache = response["Cache-Control"]
    assert "max-age=31536000" in cache and "immutable" in cache and "public" in cache
    remaining = int(query["e"]) - time.time()
    s_maxage = int(cache.split("s-maxage=")[1].split(",")[0])
    assert 0 < s_maxage <= remaining + 1  # a CDN keeps it only while the signature holds
    etag = response["ETag"]
    assert etag == f'"{path.rsplit("/", 1)[1].split(".")[0]}"'
    not_modified = Client().get(url, HTTP_IF_NONE_MATCH=etag)
    assert not_modified.status_code == 304 and not_modified["ETag"] == etag
    assert Client().get(url, HTTP_IF_NONE_MATCH='"other"').status_code == 200


def test_signed_urls_are_stable_within_a_window(tenant, settings):
    settings.AVATARSAAS_FILE_URL_TTL = 3600
    name = f"tenants/{tenant.pk}/images/a.png"
    start = 7200 * 1000
    assert signed_files.signed_path(name, now=start) == signed_files.signed_path(
        name, now=start + 3599
    )
    assert signed_files.signed_path(name, now=start) != signed_files.signed_path(
        name, now=start + 3600
    )
    expiry = signed_files.expiry_for(start + 10)
    assert 3600 <= expiry - (start + 10) <= 7200


def test_expired_tampered_or_foreign_signatures_answer_403(tenant, other_tenant, settings):
    mine = default_storage.save(f"tenants/{tenant.pk}/images/mine.png", ContentFile(b"m"))
    theirs = default_storage.save(f"tenants/{other_tenant.pk}/images/x.png", ContentFile(b"t"))
    good = signed_files.signed_path(mine)
    path, query = _path_and_query(good)
    client = Client()
    assert client.get(good).status_code == 200

    def get(p=path, **q):
        return client.get(p, {**query, **q})

    assert get(s=query["s"][:-1] + ("0" if query["s"][-1] != "0" else "1")).status_code == 403
    assert get(e=str(int(query["e"]) + 3600)).status_code == 403  # a longer life: not signed
    assert client.get(path).status_code == 403  # unsigned
    assert get(e="soon").status_code == 403
    # My signature does not open another workspace's file (nor another of mine).
    assert get(p=f"/files/{theirs}").status_code == 403
    # Past its expiry the same URL is refused.
    settings.AVATARSAAS_FILE_URL_TTL = 60
    old_expiry = signed_files.expiry_for(time.time() - 1000)
    expired = {"e": str(old_expiry), "s": signed_files.signature(mine, old_expiry)}
    response = client.get(path, expired)
    assert response.status_code == 403 and b"expired" in response.content
    # A valid signature for a file no longer in storage: 404.
    default_storage.delete(mine)
    assert client.get(good).status_code == 404


def test_signed_route_only_answers_reads(tenant):
    name = default_storage.save(f"tenants/{tenant.pk}/images/r.png", ContentFile(b"r"))
    assert Client().post(signed_files.signed_path(name)).status_code == 405


# --- behind a permission check ------------------------------------------------------------


def test_dashboard_file_download_is_private_immutable_with_etag(no_models, tenant):
    job_id, _ = _job_with_files(tenant)
    f = GenerationJob.objects.get(pk=job_id).images.get().files.first()
    client = Client()
    client.force_login(owner_of(tenant))
    response = client.get(f"/files/{f.pk}/")
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, max-age=31536000, immutable"
    assert client.get(f"/files/{f.pk}/", HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304
    # The ETag is no shortcut around the permission check.
    assert Client().get(f"/files/{f.pk}/", HTTP_IF_NONE_MATCH=response["ETag"]).status_code in (
        302,
        403,
        404,
    )


def test_files_stored_under_random_names_stay_readable(tenant):
    """Files written before content addressing (uuid names) are served the same way."""
    legacy = storage.save_bytes(tenant.pk, "images", "png", b"legacy bytes")
    response = Client().get(signed_files.signed_path(legacy))
    assert response.status_code == 200 and b"".join(response.streaming_content) == b"legacy bytes"
    assert response["ETag"] == f'"{legacy.rsplit("/", 1)[1].split(".")[0]}"'
