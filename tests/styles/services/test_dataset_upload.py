"""Dataset ingestion against a corpus of bad inputs: each file gets a clear reason, and the
good files in the same upload are all kept. Plus captions, EXIF stripping and 500 images."""

import io
import struct
import zipfile
import zlib

import pytest
from django.core.files.storage import default_storage
from PIL import Image

from styles.models import DatasetImage
from styles.services import dataset_ingest, datasets
from tenants.actors import Actor
from tests.factories import api_client_for
from tests.styles.conftest import png_bytes, upload, zip_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def dataset(tenant, small_images):
    return datasets.create_dataset(
        tenant=tenant, actor=Actor.system(), name="Corpus", trigger_word="acmebot"
    )


def _ingest(tenant, dataset, files):
    return dataset_ingest.ingest_uploads(
        tenant=tenant, actor=Actor.system(), dataset_id=dataset.pk, files=files
    )


def _bomb_png(width: int, height: int) -> bytes:
    """A valid PNG header claiming width×height pixels, with one compressed row of data."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit greyscale
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 16))
        + chunk(b"IEND", b"")
    )


def _zip_with_bomb_member(good: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in good.items():
            zf.writestr(name, data)
        zf.writestr("bomb.png", b"\x00" * (30 * 1024 * 1024))  # 30 MB of zeros: ~1000:1
        zf.writestr("../../etc/evil.png", png_bytes(99))
        zf.writestr("/abs/evil2.png", png_bytes(98))
    return buf.getvalue()


def test_bad_input_corpus_each_gets_a_clear_error_and_nothing_else_is_lost(tenant, dataset):
    good = {f"good_{i}.png": png_bytes(i) for i in range(4)}
    truncated = png_bytes(50)[:-200]
    files = [
        upload("bundle.zip", _zip_with_bomb_member({k: good[k] for k in list(good)[:2]})),
        *[upload(k, good[k]) for k in list(good)[2:]],
        upload("truncated.png", truncated),
        upload("notes.png", b"this is a text file pretending to be a png\n" * 20),
        upload("huge.png", _bomb_png(9000, 9000)),
        upload("dupe_of_good_0.png", png_bytes(0)),  # identical pixels, new name
        upload("tiny.png", png_bytes(7, size=16)),
    ]
    report = _ingest(tenant, dataset, files)

    accepted = set(
        DatasetImage.objects.filter(dataset=dataset, status="accepted").values_list(
            "original_name", flat=True
        )
    )
    assert accepted == set(good)
    errors = {name: (code, message) for name, code, message in report.errors}
    expected = {
        "bomb.png": "zip_bomb",
        "../../etc/evil.png": "unsafe_path",
        "/abs/evil2.png": "unsafe_path",
        "truncated.png": "corrupt",
        "notes.png": "not_an_image",
        "huge.png": "decompression_bomb",
        "dupe_of_good_0.png": "duplicate",
        "tiny.png": "too_small",
    }
    assert {name: code for name, (code, _) in errors.items()} == expected
    assert "Zip slip" in errors["../../etc/evil.png"][1]
    assert "Zip bomb" in errors["bomb.png"][1]
    assert "decompression bomb" in errors["huge.png"][1]
    assert "truncated" in errors["truncated.png"][1]
    assert "good_0.png" in errors["dupe_of_good_0.png"][1]
    assert (report.accepted, report.rejected) == (4, len(expected))
    rejected = DatasetImage.objects.filter(dataset=dataset, status="rejected")
    assert all(r.error_message and not r.file for r in rejected)


def test_whole_archive_zip_bomb_is_refused_before_extraction(tenant, dataset, settings):
    from styles.services.dataset_ingest import IngestLimits

    limits = IngestLimits(min_side=32, max_zip_bytes=10 * 1024 * 1024)
    payload = zip_bytes({f"z{i}.png": b"\x00" * (6 * 1024 * 1024) for i in range(3)})
    report = dataset_ingest.ingest_uploads(
        tenant=tenant,
        actor=Actor.system(),
        dataset_id=dataset.pk,
        files=[upload("bomb.zip", payload), upload("ok.png", png_bytes(3))],
        limits=limits,
    )
    assert report.accepted == 1
    [(name, code, message)] = report.errors
    assert (name, code) == ("bomb.zip", "zip_bomb") and "Nothing was extracted" in message


def test_captions_from_sidecars_or_trigger_plus_filename_and_editable(tenant, dataset):
    files = {
        "shots/blue_robot_waving.png": png_bytes(1),
        "shots/IMG_0042.png": png_bytes(2),
        "shots/hero.png": png_bytes(3),
        "shots/hero.txt": b"acmebot hero pose,  arms crossed\n",
    }
    _ingest(tenant, dataset, [upload("set.zip", zip_bytes(files))])
    captions = dict(
        DatasetImage.objects.filter(dataset=dataset).values_list("original_name", "caption")
    )
    assert captions["shots/blue_robot_waving.png"] == "acmebot, blue robot waving"
    assert captions["shots/IMG_0042.png"] == "acmebot"
    assert captions["shots/hero.png"] == "acmebot hero pose, arms crossed"

    client = api_client_for(tenant, ["styles:read", "styles:write"])
    image = DatasetImage.objects.get(original_name="shots/IMG_0042.png")
    response = client.patch(
        f"/api/v1/datasets/{dataset.pk}/captions/",
        {"captions": {str(image.pk): "acmebot close-up"}},
        format="json",
    )
    assert response.status_code == 200
    image.refresh_from_db()
    assert image.caption == "acmebot close-up"


def test_stored_copy_has_no_exif(tenant, dataset):
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    exif[0x0112] = 6  # Orientation: rotate 90°
    buf = io.BytesIO()
    Image.open(io.BytesIO(png_bytes(5, size=96))).resize((96, 64)).save(
        buf, format="JPEG", exif=exif
    )
    _ingest(tenant, dataset, [upload("photo.jpg", buf.getvalue())])
    row = DatasetImage.objects.get(dataset=dataset)
    assert row.status == "accepted" and row.format == "jpeg"
    with default_storage.open(row.file.name) as fh:
        stored = Image.open(fh)
        stored.load()
    assert not stored.getexif() and b"SecretCam" not in default_storage.open(row.file.name).read()
    assert stored.size == (64, 96)  # orientation applied before stripping


def test_five_hundred_images_in_one_zip_over_the_api(tenant, dataset):
    files = {f"img_{i:04d}.png": png_bytes(1000 + i, size=32) for i in range(500)}
    client = api_client_for(tenant, ["styles:read", "styles:write"])
    response = client.post(
        f"/api/v1/datasets/{dataset.pk}/images/",
        {"files": [upload("big.zip", zip_bytes(files, zipfile.ZIP_STORED))]},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["accepted"] + body["rejected"] == 500
    # Random blocky noise can collide in 64 bits only by astronomic chance.
    assert body["accepted"] >= 498, body["errors"][:3]


def test_a_thousand_files_over_several_requests_and_a_clear_error_past_the_limit(
    tenant, dataset, settings
):
    client = api_client_for(tenant, ["styles:read", "styles:write"])
    url = f"/api/v1/datasets/{dataset.pk}/images/"
    per_request = settings.DATA_UPLOAD_MAX_NUMBER_FILES
    too_many = [upload(f"x{i}.png", b"x") for i in range(per_request + 1)]
    response = client.post(url, {"files": too_many}, format="multipart")
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "files"
    assert "further requests" in response.json()["error"]["message"]

    files = [upload(f"f{i}.png", png_bytes(2000 + i, size=32)) for i in range(1000)]
    accepted = 0
    for start in range(0, len(files), per_request):
        response = client.post(
            url, {"files": files[start : start + per_request]}, format="multipart"
        )
        assert response.status_code == 201, response.content
        accepted += response.json()["accepted"]
    assert accepted >= 995
    assert DatasetImage.objects.filter(dataset=dataset, status="accepted").count() == accepted
