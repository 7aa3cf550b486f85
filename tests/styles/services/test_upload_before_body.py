"""Dataset uploads are refused before their body is read unless the caller may upload into
that dataset (issue 18, finding 5).

The old dashboard view parsed (spooled to disk) the whole multipart body before it checked
sign-in, so anyone could make the server write ~100 MB per request; the API's session sign-in
parsed it during DRF's CSRF check, before role and dataset. Each attack below sends a ~100 MB
body that is produced on demand (never held in memory) and counts the bytes the server reads.
"""

import pytest
from django.conf import settings
from django.test import Client
from rest_framework.test import APIClient

from styles.models import DatasetImage, LoraDataset
from tests.factories import api_client_for, make_member, make_tenant, owner_of
from tests.styles.conftest import png_bytes, upload

pytestmark = pytest.mark.django_db
BOUNDARY = "upload-attack-boundary"
NEAR_LIMIT = settings.MAX_REQUEST_BODY_BYTES - 4096  # under the body-size middleware's cap
READ_ALLOWANCE = 64 * 1024  # headers and a first chunk at most


class LazyMultipart:
    """A multipart body of `size` bytes (one file part of zeros), produced on demand and
    counting what the server reads."""

    def __init__(self, size: int):
        self.head = (
            f"--{BOUNDARY}\r\n"
            'Content-Disposition: form-data; name="files"; filename="big.zip"\r\n'
            "Content-Type: application/zip\r\n\r\n"
        ).encode()
        self.tail = f"\r\n--{BOUNDARY}--\r\n".encode()
        self.size = size
        self.read_bytes = 0

    def _byte_range(self, start: int, end: int) -> bytes:
        body_end = self.size - len(self.tail)
        out = bytearray()
        if start < len(self.head):
            out += self.head[start : min(end, len(self.head))]
        zeros = max(0, min(end, body_end) - max(start, len(self.head)))
        out += b"\0" * zeros
        if end > body_end:
            out += self.tail[max(0, start - body_end) : end - body_end]
        return bytes(out)

    def read(self, size: int = -1) -> bytes:
        end = self.size if size is None or size < 0 else min(self.size, self.read_bytes + size)
        data = self._byte_range(self.read_bytes, end)
        self.read_bytes = end
        return data

    def readline(self, size: int = -1) -> bytes:
        return self.read(size if size and size > 0 else 65536)


def _post(client, url, body: LazyMultipart, **headers):
    return client.generic(
        "POST",
        url,
        b"",
        **{
            "CONTENT_TYPE": f"multipart/form-data; boundary={BOUNDARY}",
            "CONTENT_LENGTH": str(body.size),
            "wsgi.input": body,
            **headers,
        },
    )


def _web(user=None, csrf_cookie=True):
    client = Client(enforce_csrf_checks=True)
    if user is not None:
        client.force_login(user)
    if csrf_cookie:
        client.cookies["csrftoken"] = "x" * 32  # any cookie: attackers set their own
    return client


def _api_session(user):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)
    client.cookies["csrftoken"] = "x" * 32
    return client


@pytest.fixture
def dataset(tenant):
    return LoraDataset.objects.create(tenant=tenant, name="Target", trigger_word="acme")


def _web_url(dataset):
    return f"/datasets/{dataset.pk}/upload/"


def _api_url(dataset):
    return f"/api/v1/datasets/{dataset.pk}/images/"


def test_the_lazy_body_counts_what_a_parser_reads(owner_client, dataset):
    """Control: the counter sees a body that the server does read."""
    body = LazyMultipart(2 * 1024 * 1024)
    _post(owner_client, _web_url(dataset), body)
    assert body.read_bytes == body.size


@pytest.mark.parametrize("signed_out_limit", [None, 0], ids=["middleware", "view"])
def test_anonymous_dashboard_upload_is_refused_without_reading_the_body(
    dataset, settings, signed_out_limit
):
    """Refused by the signed-out body limit, and (with it off) by the view's own sign-in check."""
    if signed_out_limit is not None:
        settings.MAX_SIGNED_OUT_BODY_BYTES = signed_out_limit
    body = LazyMultipart(NEAR_LIMIT)
    response = _post(_web(), _web_url(dataset), body)
    if signed_out_limit is None:
        assert response.status_code == 413
    else:
        assert response.status_code == 302 and "/login" in response["Location"]
    assert body.read_bytes <= READ_ALLOWANCE, f"read {body.read_bytes:,} bytes"


def test_viewer_dashboard_upload_is_refused_without_reading_the_body(tenant, dataset):
    body = LazyMultipart(NEAR_LIMIT)
    response = _post(_web(make_member(tenant, "viewer")), _web_url(dataset), body)
    assert response.status_code == 403
    assert body.read_bytes <= READ_ALLOWANCE, f"read {body.read_bytes:,} bytes"


def test_upload_into_another_workspaces_dataset_is_refused_without_reading_the_body(dataset):
    stranger = owner_of(make_tenant("Stranger"))
    body = LazyMultipart(NEAR_LIMIT)
    assert _post(_web(stranger), _web_url(dataset), body).status_code == 404
    assert body.read_bytes <= READ_ALLOWANCE, f"read {body.read_bytes:,} bytes"
    body = LazyMultipart(NEAR_LIMIT)
    assert _post(_api_session(stranger), _api_url(dataset), body).status_code == 404
    assert body.read_bytes <= READ_ALLOWANCE, f"read {body.read_bytes:,} bytes"


def test_cross_site_dashboard_upload_is_refused_before_the_body(tenant, dataset):
    body = LazyMultipart(NEAR_LIMIT)
    response = _post(
        _web(owner_of(tenant)), _web_url(dataset), body, HTTP_ORIGIN="https://evil.example"
    )
    assert response.status_code == 403
    assert body.read_bytes <= READ_ALLOWANCE, f"read {body.read_bytes:,} bytes"


def test_api_uploads_without_rights_are_refused_without_reading_the_body(tenant, dataset):
    attempts = [
        (APIClient(), 401),  # no credentials
        (api_client_for(tenant, ["styles:read"]), 403),  # key without styles:write
        (_api_session(make_member(tenant, "viewer")), 403),  # signed-in viewer
    ]
    cross_site = _api_session(owner_of(tenant))
    for client, expected in attempts:
        body = LazyMultipart(NEAR_LIMIT)
        response = _post(client, _api_url(dataset), body)
        assert response.status_code == expected, response.content[:200]
        assert body.read_bytes <= READ_ALLOWANCE, f"{expected}: read {body.read_bytes:,} bytes"
    body = LazyMultipart(NEAR_LIMIT)
    response = _post(cross_site, _api_url(dataset), body, HTTP_ORIGIN="https://evil.example")
    assert response.status_code == 403
    assert body.read_bytes <= READ_ALLOWANCE, f"read {body.read_bytes:,} bytes"


def _files():
    return {"files": [upload("a.png", png_bytes(1))]}


def test_api_session_upload_still_needs_its_csrf_token(tenant, dataset, small_images):
    client = _api_session(owner_of(tenant))
    refused = client.post(_api_url(dataset), _files(), format="multipart")
    assert refused.status_code == 403 and "CSRF" in refused.json()["error"]["message"]
    client.cookies["csrftoken"] = token = "t" * 32
    ok = client.post(_api_url(dataset), _files(), format="multipart", HTTP_X_CSRFTOKEN=token)
    assert ok.status_code == 201, ok.content
    assert DatasetImage.objects.filter(dataset=dataset, status="accepted").count() == 1


def test_signed_out_posts_to_any_form_are_refused_before_the_csrf_check_reads_them():
    """Django's CSRF check reads a POST body (for the token field) before any view checks
    sign-in: without the signed-out limit, any form URL spooled a ~100 MB upload."""
    for url in ("/login/", "/signup/", "/presets/"):
        body = LazyMultipart(NEAR_LIMIT)
        response = _post(_web(), url, body)
        assert response.status_code == 413, (url, response.status_code)
        assert body.read_bytes <= READ_ALLOWANCE, f"{url}: read {body.read_bytes:,} bytes"


def test_a_404_answer_to_a_large_post_does_not_read_its_body(tenant):
    """Django's error pages run the CSRF check (to render a token), which parsed the body."""
    body = LazyMultipart(NEAR_LIMIT)
    response = _post(_web(owner_of(tenant)), "/no-such-page/", body)
    assert response.status_code == 404
    assert body.read_bytes <= READ_ALLOWANCE, f"read {body.read_bytes:,} bytes"


def test_small_signed_out_forms_still_work(client, tenant):
    page = client.post("/login/", {"username": "nobody@example.com", "password": "wrong"})
    assert page.status_code == 200 and b"password" in page.content.lower()
