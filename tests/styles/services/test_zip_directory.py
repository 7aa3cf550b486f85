"""A zip's central directory is measured before zipfile parses it (issue 18, finding 5).

zipfile builds a ZipInfo per directory entry (~555 bytes each) when the archive is opened, and
parses by the directory's byte size whatever count the archive claims. The old code opened the
archive first and counted afterwards: a 4 MB upload of 50,000 empty entries cost ~30 MB of
memory per zip (a 50 MB one, ~0.6 GB). These archives are now refused from their end records
and fixed-size headers, before `zipfile.ZipFile` is constructed.
"""

import io
import struct
import tracemalloc
import zipfile

import pytest

from styles.models import DatasetImage
from styles.services import dataset_ingest, datasets
from styles.services.dataset_ingest import IngestLimits
from styles.services.zip_directory import find_directory
from tenants.actors import Actor
from tests.styles.conftest import png_bytes, upload, zip_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def many_entries() -> bytes:
    """50,000 empty entries with short names: ~4.5 MB, a 2.6 MB central directory."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        for i in range(50_000):
            zf.writestr(f"{i:05d}", b"")
    return buf.getvalue()


def _understating(data: bytes, claimed: int) -> bytes:
    """The same archive with its end record claiming only `claimed` entries."""
    at = data.rfind(b"PK\x05\x06")
    record = bytearray(data[at : at + 22])
    struct.pack_into("<HH", record, 8, claimed, claimed)
    return data[:at] + bytes(record) + data[at + 22 :]


@pytest.fixture
def dataset(tenant, small_images):
    return datasets.create_dataset(tenant=tenant, actor=Actor.system(), name="Zips")


@pytest.fixture
def zipfile_opened(monkeypatch):
    """Counts every zipfile.ZipFile opened for reading (the ingest's; the test's own writers
    are not counted)."""
    opened = []
    real = zipfile.ZipFile

    def spy(file, mode="r", *args, **kwargs):
        if mode == "r":
            opened.append(file)
        return real(file, mode, *args, **kwargs)

    monkeypatch.setattr(dataset_ingest.zipfile, "ZipFile", spy)
    return opened


def _ingest_measured(tenant, dataset, payload: bytes, limits=None):
    files = [upload("many.zip", payload), upload("ok.png", png_bytes(7))]
    tracemalloc.start()
    try:
        report = dataset_ingest.ingest_uploads(
            tenant=tenant, actor=Actor.system(), dataset_id=dataset.pk, files=files, limits=limits
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return report, peak


def test_a_zip_listing_fifty_thousand_entries_is_refused_before_it_is_parsed(
    tenant, dataset, many_entries, zipfile_opened
):
    report, peak = _ingest_measured(tenant, dataset, many_entries)
    assert not zipfile_opened
    assert peak < 3 * 1024 * 1024, f"peak {peak:,} bytes: the directory was parsed"
    assert report.accepted == 1  # the good file in the same upload is kept
    [(name, code, message)] = report.errors
    assert (name, code) == ("many.zip", "zip_bomb")
    assert "50,000 entries" in message and "Nothing was extracted" in message
    assert DatasetImage.objects.filter(dataset=dataset, status="rejected").count() == 1


def test_a_zip_that_understates_its_entry_count_is_still_refused_before_parsing(
    tenant, dataset, many_entries, zipfile_opened
):
    lying = _understating(many_entries, claimed=3)
    assert find_directory(io.BytesIO(lying)).entries == 3
    report, peak = _ingest_measured(tenant, dataset, lying)
    assert not zipfile_opened
    assert peak < 3 * 1024 * 1024, f"peak {peak:,} bytes: the directory was parsed"
    [(_, code, message)] = report.errors
    assert code == "zip_bomb" and "claims 3 entries" in message


def test_a_zip_with_an_oversized_directory_is_refused(tenant, dataset, zipfile_opened):
    limits = IngestLimits(min_side=32, max_files=5)  # 10 entries, 10 KB of directory
    long_names = zip_bytes({f"{'n' * 4000}{i}.png": b"" for i in range(4)})
    report = dataset_ingest.ingest_uploads(
        tenant=tenant,
        actor=Actor.system(),
        dataset_id=dataset.pk,
        files=[upload("long.zip", long_names)],
        limits=limits,
    )
    [(_, code, message)] = report.errors
    assert code == "zip_bomb" and "directory takes" in message
    assert not zipfile_opened


def test_ordinary_zips_are_still_read_including_zip64_and_prefixed_ones(
    tenant, dataset, zipfile_opened
):
    files = {f"set/img_{i}.png": png_bytes(300 + i, size=32) for i in range(4)}
    plain = zip_bytes(files)
    zip64 = io.BytesIO()
    with zipfile.ZipFile(zip64, "w") as zf:
        for name, data in files.items():
            with zf.open(name.replace("img", "big"), "w", force_zip64=True) as fh:
                fh.write(data)
    prefixed = b"#!/bin/sh\nexit 0\n" + zip_bytes({"x/y.png": png_bytes(400, size=32)})
    report = dataset_ingest.ingest_uploads(
        tenant=tenant,
        actor=Actor.system(),
        dataset_id=dataset.pk,
        files=[upload("a.zip", plain), upload("b.zip", zip64.getvalue())],
    )
    assert (report.accepted, report.rejected) == (4, 4), report.errors  # b.zip: duplicates
    assert {code for _, code, _ in report.errors} == {"duplicate"}
    report = dataset_ingest.ingest_uploads(
        tenant=tenant,
        actor=Actor.system(),
        dataset_id=dataset.pk,
        files=[upload("c.zip", prefixed), upload("d.zip", b"PK\x05\x06 not a zip")],
    )
    assert report.accepted == 1
    assert [code for _, code, _ in report.errors] == ["bad_zip"]
    assert len(zipfile_opened) == 4
