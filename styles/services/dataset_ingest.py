"""Ingesting uploads into a LoRA dataset: many images, caption sidecars or zips, one at a time.

Ingestion never holds more than one image in memory (plus a 48 px thumbnail per image of the
dataset for the near-duplicate check): uploads arrive as temporary files (the views install
Django's TemporaryFileUploadHandler) and zip members are read one by one. Each file becomes a
DatasetImage row, accepted or rejected with a reason, so one bad file never costs the others.
A byte-identical copy is rejected; a near-duplicate (an edited copy) is accepted with a
warning, a `DuplicatePair` the user resolves on the dataset page or through the API. With
real CLIP weights, a GPU worker then compares the new images' CLIP embeddings too
(`clip_duplicates`); the upload never waits for it.
"""

from __future__ import annotations

import hashlib
import posixpath
import re
import struct
import zipfile
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import IO

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext

from core import storage
from core.errors import NotFound
from styles.models import DatasetImage, DuplicatePair, LoraDataset
from styles.services.clip_duplicates import request_clip_check
from styles.services.datasets import MAX_CAPTION, get_dataset
from styles.services.imaging import ImageRejected, clean_copy, open_image
from styles.services.near_duplicates import Fingerprint, FingerprintIndex, Match
from styles.services.presets import require_manage
from styles.services.zip_directory import too_many_entries
from tenants.actors import Actor
from tenants.audit import record_event
from tenants.models import Tenant

IMAGE_EXTENSIONS = {".png", ".jpg", ".jpeg", ".webp"}
_FILENAME_NOISE = re.compile(r"^(img|image|dsc|pxl|photo|scan|final|copy|\d+)$")


@dataclass(frozen=True)
class IngestLimits:
    min_side: int = 256
    max_pixels: int = 40_000_000
    max_image_bytes: int = 20 * 1024 * 1024
    max_files: int = 2000
    max_zip_bytes: int = 4 * 1024**3  # declared uncompressed total of one archive
    max_ratio: int = 200  # uncompressed/compressed of one member; images barely compress

    @classmethod
    def from_settings(cls) -> IngestLimits:
        return cls(
            min_side=int(getattr(settings, "AVATARSAAS_DATASET_MIN_SIDE", cls.min_side)),
            max_pixels=int(getattr(settings, "AVATARSAAS_DATASET_MAX_PIXELS", cls.max_pixels)),
        )


@dataclass
class IngestReport:
    accepted: int = 0
    rejected: int = 0
    errors: list[tuple[str, str, str]] = field(default_factory=list)  # (name, code, message)
    # Accepted, but they look like an edited copy of another image: (name, code, message).
    warnings: list[tuple[str, str, str]] = field(default_factory=list)


@dataclass
class _Entry:
    name: str
    data: bytes | None = None
    code: str = ""
    message: str = ""


def too_many_files_message() -> str:
    limit = settings.DATA_UPLOAD_MAX_NUMBER_FILES
    return gettext(
        "Too many files or bytes in one request (at most %(files)s files and %(mb)s MB); "
        "upload the rest in further requests (they add to this dataset) or as zips."
    ) % {
        "files": limit,
        "mb": getattr(settings, "MAX_REQUEST_BODY_BYTES", 0) // (1024 * 1024) or "-",
    }


def caption_from_filename(name: str, trigger_word: str) -> str:
    stem = posixpath.splitext(posixpath.basename(name))[0]
    words = [w for w in re.split(r"[\s_\-.]+", stem.lower()) if w and not _FILENAME_NOISE.match(w)]
    return ", ".join(p for p in (trigger_word, " ".join(words)) if p)


def ingest_uploads(
    *, tenant: Tenant, actor: Actor, dataset_id, files: Iterable, limits: IngestLimits | None = None
) -> IngestReport:
    """Validate and store every uploaded file (images, .txt caption sidecars, zips of both)."""
    require_manage(tenant, actor)
    dataset = get_dataset(tenant=tenant, dataset_id=dataset_id)
    limits = limits or IngestLimits.from_settings()
    files = list(files)
    state = _IngestState(dataset, limits)
    plain = [f for f in files if not _is_zip(f)]
    state.captions.update(_sidecars_from_uploads(plain))
    for upload in files:
        if _is_zip(upload):
            state.ingest_zip(upload)
        elif not _is_sidecar(upload.name):
            state.add(_Entry(upload.name, *_read_capped(upload, limits.max_image_bytes)))
    record_event(
        tenant=tenant,
        actor=actor,
        action="dataset.uploaded",
        target=dataset,
        metadata={
            "accepted": state.report.accepted,
            "rejected": state.report.rejected,
            "near_duplicates": len(state.report.warnings),
        },
    )
    if state.report.accepted:
        transaction.on_commit(lambda: request_clip_check(dataset.pk))
    return state.report


def _is_zip(upload) -> bool:
    return upload.name.lower().endswith(".zip")


def _is_junk(name: str) -> bool:
    """Archive tool litter (macOS resource forks, dotfiles), skipped without a report row."""
    base = posixpath.basename(name.replace("\\", "/"))
    return name.startswith("__MACOSX/") or base.startswith(".")


def _is_sidecar(name: str) -> bool:
    return name.lower().endswith(".txt")


def _stem(name: str) -> str:
    return posixpath.splitext(name.replace("\\", "/").lower())[0]


def _read_capped(fh: IO[bytes], cap: int) -> tuple[bytes | None, str, str]:
    if hasattr(fh, "seek"):
        fh.seek(0)
    data = fh.read(cap + 1)
    if len(data) > cap:
        return None, "too_large", f"Larger than the {cap // (1024 * 1024)} MB limit per image."
    return data, "", ""


def _sidecars_from_uploads(uploads) -> dict[str, str]:
    captions = {}
    for upload in uploads:
        if _is_sidecar(upload.name):
            data, code, _ = _read_capped(upload, 8192)
            if not code:
                captions[_stem(upload.name)] = _decode_caption(data)
    return captions


def _decode_caption(data: bytes) -> str:
    return " ".join(data.decode("utf-8", errors="replace").split())[:MAX_CAPTION]


def _unsafe_member(name: str) -> bool:
    normalized = name.replace("\\", "/")
    if normalized.startswith("/") or re.match(r"^[A-Za-z]:", normalized):
        return True
    return ".." in normalized.split("/")


class _IngestState:
    def __init__(self, dataset: LoraDataset, limits: IngestLimits):
        self.dataset, self.limits = dataset, limits
        self.report = IngestReport()
        self.captions: dict[str, str] = {}
        existing = DatasetImage.objects.filter(
            dataset=dataset, status=DatasetImage.Status.ACCEPTED
        ).values_list("pk", "sha256", "phash", "colorhash", "thumbnail")
        self.shas: dict[str, object] = {}
        self.index = FingerprintIndex()
        for pk, sha, phash, color, thumbnail in existing.iterator():
            self.shas.setdefault(sha, pk)
            fingerprint = Fingerprint.stored(phash, color, thumbnail)
            if fingerprint is not None:
                self.index.add(pk, fingerprint)
        self.count = DatasetImage.objects.filter(dataset=dataset).count()

    def ingest_zip(self, upload) -> None:
        # Before zipfile parses the directory (memory grows with its entries): room for every
        # file plus a directory entry each.
        max_entries = 2 * self.limits.max_files
        try:
            too_many = too_many_entries(upload, max_entries=max_entries)
            upload.seek(0)
            archive = None if too_many else zipfile.ZipFile(upload)
        except (zipfile.BadZipFile, OSError, struct.error) as exc:
            self._reject(upload.name, "bad_zip", f"Not a readable zip archive ({exc}).")
            return
        if archive is None:
            self._reject(
                upload.name,
                "zip_bomb",
                f"Zip bomb guard: {too_many}; upload at most {self.limits.max_files} files per "
                "archive. Nothing was extracted.",
            )
            return
        with archive:
            members = [m for m in archive.infolist() if not m.is_dir()]
            declared = sum(m.file_size for m in members)
            if declared > self.limits.max_zip_bytes or len(members) > self.limits.max_files:
                self._reject(
                    upload.name,
                    "zip_bomb",
                    f"Zip bomb guard: the archive declares {len(members)} files and "
                    f"{declared:,} bytes uncompressed (limits {self.limits.max_files} files, "
                    f"{self.limits.max_zip_bytes:,} bytes). Nothing was extracted.",
                )
                return
            for m in members:
                sidecar = _is_sidecar(m.filename) and not _unsafe_member(m.filename)
                if sidecar and m.file_size <= 8192:
                    self.captions[_stem(m.filename)] = _decode_caption(archive.read(m))
            for m in members:
                if _is_junk(m.filename) or _is_sidecar(m.filename):
                    continue
                self.add(self._member_entry(archive, m))

    def _member_entry(self, archive: zipfile.ZipFile, m: zipfile.ZipInfo) -> _Entry:
        if _unsafe_member(m.filename):
            return _Entry(
                m.filename,
                code="unsafe_path",
                message="Zip slip: this path points outside the archive; the file was skipped.",
            )
        if m.flag_bits & 0x1:
            return _Entry(
                m.filename, code="encrypted", message="Encrypted zip entries are not read."
            )
        if m.compress_size and m.file_size / m.compress_size > self.limits.max_ratio:
            return _Entry(
                m.filename,
                code="zip_bomb",
                message=f"Zip bomb guard: compresses {m.file_size // m.compress_size}:1 "
                f"(images do not; limit {self.limits.max_ratio}:1); not extracted.",
            )
        if m.file_size > self.limits.max_image_bytes:
            return _Entry(m.filename, code="too_large", message="Larger than the per-image limit.")
        try:
            with archive.open(m) as fh:
                data, code, message = _read_capped(fh, self.limits.max_image_bytes)
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            return _Entry(m.filename, code="corrupt", message=f"Could not extract: {exc}.")
        return _Entry(m.filename, data, code, message)

    def add(self, entry: _Entry) -> None:
        if self.count >= self.limits.max_files:
            self._reject(entry.name, "too_many_files", "The dataset already holds the maximum.")
            return
        if entry.code:
            self._reject(entry.name, entry.code, entry.message)
            return
        try:
            image = open_image(
                entry.data, min_side=self.limits.min_side, max_pixels=self.limits.max_pixels
            )
        except ImageRejected as exc:
            self._reject(entry.name, exc.code, exc.message)
            return
        self._accept(entry.name, entry.data, image)

    def _accept(self, name: str, raw: bytes, image) -> None:
        sha = hashlib.sha256(raw).hexdigest()
        if sha in self.shas:
            pk = self.shas[sha]
            self._reject(
                name,
                "duplicate",
                f"an exact duplicate of {self._name_of(pk)}; it would over-weight that picture.",
                duplicate_of_id=pk,
            )
            return
        fingerprint = Fingerprint.of(image)
        match = self.index.nearest(fingerprint)
        data, ext, fmt = clean_copy(image)
        stored = storage.save_bytes(self.dataset.tenant_id, "datasets", ext, data)
        caption = self.captions.get(_stem(name)) or caption_from_filename(
            name, self.dataset.trigger_word
        )
        with _dataset_must_exist(stored):
            row = self._create_accepted(name, stored, fmt, image, data, sha, fingerprint, caption)
        if match is not None:
            self._warn(name, row, match)
        self.index.add(row.pk, fingerprint)
        self.shas[sha] = row.pk
        self.count += 1
        self.report.accepted += 1

    def _warn(self, name: str, row: DatasetImage, match: Match) -> None:
        DuplicatePair.objects.create(
            tenant_id=self.dataset.tenant_id,
            dataset=self.dataset,
            image=row,
            other_id=match.key,
            phash_distance=match.phash_distance,
            color_distance=match.color_distance,
            difference=match.difference,
        )
        self.report.warnings.append(
            (
                name,
                "near_duplicate",
                gettext(
                    "Accepted, but it looks like an edited copy of %(name)s: "
                    "keep both or drop one on the dataset page."
                )
                % {"name": self._name_of(match.key)},
            )
        )

    def _create_accepted(self, name, stored, fmt, image, data, sha, fingerprint, caption):
        # atomic: the foreign key is checked at the end of this block (PostgreSQL defers it)
        # rather than at some later commit, so a deleted dataset surfaces here.
        with transaction.atomic():
            return DatasetImage.objects.create(
                tenant_id=self.dataset.tenant_id,
                dataset=self.dataset,
                original_name=name[:255],
                status=DatasetImage.Status.ACCEPTED,
                file=stored,
                format=fmt.lower(),
                width=image.width,
                height=image.height,
                bytes=len(data),
                sha256=sha,
                phash=fingerprint.phash.hex(),
                colorhash=fingerprint.color.hex(),
                thumbnail=fingerprint.thumbnail,
                caption=caption[:MAX_CAPTION],
            )

    def _name_of(self, pk) -> str:
        return (
            DatasetImage.objects.filter(pk=pk).values_list("original_name", flat=True).first()
            or "another image"
        )

    def _reject(self, name: str, code: str, message: str, duplicate_of_id=None) -> None:
        with _dataset_must_exist(), transaction.atomic():
            DatasetImage.objects.create(
                tenant_id=self.dataset.tenant_id,
                dataset=self.dataset,
                original_name=name[:255],
                status=DatasetImage.Status.REJECTED,
                error_code=code,
                error_message=message[:300],
                duplicate_of_id=duplicate_of_id,
            )
        self.count += 1
        self.report.rejected += 1
        self.report.errors.append((name, code, message))


@contextmanager
def _dataset_must_exist(stored: str = ""):
    """Turn the foreign-key failure of a dataset deleted mid-upload into a clear 404, and
    delete the file stored for the row that could not be written."""
    try:
        yield
    except IntegrityError as exc:
        storage.delete_after_commit([stored])
        raise NotFound(gettext("The dataset was deleted during the upload.")) from exc
