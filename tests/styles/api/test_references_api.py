"""Brand reference images and the brand-kit policy over the API."""

import io

import pytest
from PIL import Image

from styles.models import BrandKitSettings, ReferenceImage, StylePreset
from tenants.models import AuditEvent
from tests.factories import api_client_for
from tests.styles.conftest import png_bytes, upload

pytestmark = pytest.mark.django_db
RW = ["styles:read", "styles:write"]


def _preset(tenant, slug="acme"):
    return StylePreset.objects.create(tenant=tenant, slug=slug, name=slug.title())


def _refs_url(preset):
    return f"/api/v1/presets/{preset.pk}/references/"


def _jpeg_with_exif() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    buf = io.BytesIO()
    Image.new("RGB", (96, 96), "navy").save(buf, format="JPEG", exif=exif)
    return buf.getvalue()


def test_add_list_download_and_remove_a_reference(tenant):
    client, preset = api_client_for(tenant, RW), _preset(tenant)

    response = client.post(_refs_url(preset), {"file": upload("mascot.jpg", _jpeg_with_exif())})
    assert response.status_code == 201, response.content
    ref = response.json()
    assert ref["preset"] == str(preset.pk) and ref["original_name"] == "mascot.jpg"

    listed = client.get(_refs_url(preset)).json()
    assert [r["id"] for r in listed] == [ref["id"]]
    assert client.get(f"/api/v1/presets/{preset.pk}/").json()["reference_images"] == [ref["id"]]
    assert client.get(f"/api/v1/references/{ref['id']}/").json()["url"] == ref["url"]

    download = client.get(ref["url"])
    assert download.status_code == 200 and download["Content-Type"] == "image/png"
    stored = Image.open(io.BytesIO(b"".join(download.streaming_content)))
    assert stored.format == "PNG" and stored.size == (96, 96)
    assert not stored.getexif() and "exif" not in stored.info  # camera metadata is gone
    assert AuditEvent.objects.filter(tenant=tenant, action="preset.reference_added").count() == 1

    assert client.delete(f"/api/v1/references/{ref['id']}/").status_code == 204
    assert client.get(f"/api/v1/references/{ref['id']}/").status_code == 404
    assert client.get(_refs_url(preset)).json() == []
    assert AuditEvent.objects.filter(tenant=tenant, action="preset.reference_removed").exists()


@pytest.mark.parametrize(
    "body, words",
    [
        ({"file": upload("notes.png", b"this is a text file, not a picture")}, "image"),
        ({"file": upload("tiny.png", png_bytes(1, size=16))}, "64"),
        ({}, "file"),
    ],
    ids=["text-named-png", "too-small", "missing"],
)
def test_bad_uploads_name_the_field_and_store_nothing(tenant, body, words):
    preset = _preset(tenant)
    response = api_client_for(tenant, RW).post(_refs_url(preset), body)
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["field"] == "file" and words in error["message"].lower(), error
    assert not ReferenceImage.objects.exists()


def test_limit_builtins_and_scopes(tenant):
    from styles.services.presets import MAX_REFERENCES

    preset = _preset(tenant)
    client = api_client_for(tenant, RW)
    for i in range(MAX_REFERENCES):
        added = client.post(_refs_url(preset), {"file": upload(f"{i}.png", png_bytes(i))})
        assert added.status_code == 201
    over = client.post(_refs_url(preset), {"file": upload("x.png", png_bytes(99))})
    assert over.status_code == 400 and str(MAX_REFERENCES) in over.json()["error"]["message"]

    builtin = StylePreset.objects.get(tenant=None, slug="clay")
    assert client.get(_refs_url(builtin)).json() == []
    refused = client.post(_refs_url(builtin), {"file": upload("a.png", png_bytes(1))})
    assert refused.status_code == 403 and "copy" in refused.json()["error"]["message"]

    reader = api_client_for(tenant, ["styles:read"])
    assert reader.get(_refs_url(preset)).status_code == 200
    denied = reader.post(_refs_url(preset), {"file": upload("b.png", png_bytes(2))})
    assert denied.status_code == 403
    ref = ReferenceImage.objects.filter(preset=preset).first()
    assert reader.delete(f"/api/v1/references/{ref.pk}/").status_code == 403
    assert ReferenceImage.objects.filter(preset=preset).count() == MAX_REFERENCES


def test_json_body_is_415_not_a_crash(tenant):
    response = api_client_for(tenant, RW).post(
        _refs_url(_preset(tenant)), {"file": "x"}, format="json"
    )
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"


def test_brand_kit_policy_is_readable_but_not_writable_by_keys(tenant, other_tenant):
    client = api_client_for(tenant, RW)
    assert client.get("/api/v1/brand-kit/").json() == {
        "locked_presets_only": False,
        "updated_at": None,
    }
    BrandKitSettings.objects.create(tenant=tenant, locked_presets_only=True)
    assert client.get("/api/v1/brand-kit/").json()["locked_presets_only"] is True
    # Another workspace's policy is its own.
    other = api_client_for(other_tenant, RW).get("/api/v1/brand-kit/").json()
    assert other["locked_presets_only"] is False
    # The policy restrains keys, so a key cannot lift it.
    lift = client.patch("/api/v1/brand-kit/", {"locked_presets_only": False}, format="json")
    assert lift.status_code == 405
    assert BrandKitSettings.objects.get(tenant=tenant).locked_presets_only is True
