"""The S3 path (django-storages) against a local moto server: files land under the tenant
prefix in the bucket and the API hands out short-lived signed URLs that work."""

import socket

import boto3
import pytest
import requests

from generation.models import ImageFile
from generation.worker import runner
from tests.factories import api_client_for

pytestmark = pytest.mark.django_db


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def moto_endpoint():
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3_storage(settings, moto_endpoint, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    bucket = "avatarsaas-test"
    boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1").create_bucket(
        Bucket=bucket
    )
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": bucket,
                "endpoint_url": moto_endpoint,
                "region_name": "us-east-1",
                "access_key": "testing",
                "secret_key": "testing",
                "querystring_auth": True,
                "querystring_expire": 120,
                "file_overwrite": False,
                "default_acl": None,
                "signature_version": "s3v4",
            },
        },
    }
    return boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1"), bucket


def test_job_files_go_to_s3_and_are_served_by_signed_urls(no_models, tenant, s3_storage):
    s3, bucket = s3_storage
    client = api_client_for(tenant)
    job_id = client.post(
        "/api/v1/jobs/", {"description": "a robot", "n": 1, "seed": 3}, format="json"
    ).json()["id"]
    runner.process_one("w")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert keys and all(k.startswith(f"tenants/{tenant.pk}/images/") for k in keys)

    detail = client.get(f"/api/v1/jobs/{job_id}/").json()
    assert detail["status"] == "succeeded"
    url = detail["images"][0]["files"][0]["url"]
    assert "X-Amz-Signature" in url and "X-Amz-Expires=120" in url
    fetched = requests.get(url, timeout=10)
    assert fetched.status_code == 200 and len(fetched.content) > 100
    # The same object without a signature is refused: URLs are not guessable or public.
    assert requests.get(url.split("?")[0], timeout=10).status_code == 403
    # The API download endpoint redirects to a signed URL too.
    f = ImageFile.objects.filter(image__job_id=job_id).first()
    redirect = client.get(f"/api/v1/files/{f.pk}/")
    assert redirect.status_code == 302 and "X-Amz-Signature" in redirect["Location"]


def test_workspace_purge_empties_the_tenant_prefix_in_the_bucket(
    s3_storage, tenant, other_tenant, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from django.utils import timezone

    from core import storage
    from tenants import workspace
    from tenants.models import Tenant

    client, bucket = s3_storage
    for kind in ("images", "datasets", "adapters"):
        storage.save_bytes(tenant.pk, kind, "bin", b"brand data")
    theirs = storage.save_bytes(other_tenant.pk, "images", "png", b"kept")
    Tenant.objects.filter(pk=tenant.pk).update(
        is_active=False, deletion_scheduled_at=timezone.now() - timedelta(minutes=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert workspace.purge_due() == [tenant.slug]
    keys = {o["Key"] for o in client.list_objects_v2(Bucket=bucket).get("Contents", [])}
    assert not any(k.startswith(f"tenants/{tenant.pk}/") for k in keys)
    assert theirs in keys
