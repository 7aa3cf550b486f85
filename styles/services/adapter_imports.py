"""LoRA files made elsewhere: upload, worker validation, staff review, publish as an adapter.

validating -> invalid | pending_review -> approved (a `LoraAdapter` with lineage "imported")
| rejected. The web process reads only the safetensors header (`core.safetensors_header`): a
pickle, a truncated file, a file that is not safetensors or one over the size cap is refused
at upload. Whether the keys and shapes fit the configured base model needs the model, so a
GPU worker checks that (`generation.training.import_runner`) and renders a preview grid with
the file loaded through the real engine, which staff look at before approving.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from core import storage
from core.errors import Conflict, InvalidInput, NotFound
from core.queue import GPU_CLUSTER, nudge
from core.safetensors_header import HeaderError, read_header
from styles.models import AdapterImport, AdapterImportState, LoraAdapter
from styles.services.datasets import check_trigger_word
from styles.services.finetunes import require_train
from tenants.actors import Actor
from tenants.audit import record_event
from tenants.models import Tenant

PICKLE_SUFFIXES = (".ckpt", ".pt", ".pth", ".bin", ".pkl", ".pickle")
STORAGE_KIND = "adapter-imports"


def max_bytes() -> int:
    return int(getattr(settings, "AVATARSAAS_LORA_IMPORT_MAX_MB", 96)) * 1024 * 1024


def _size(upload) -> int:
    size = getattr(upload, "size", None)
    if size is None:
        upload.seek(0, 2)
        size = upload.tell()
    return int(size)


def check_upload(upload, original_name: str) -> tuple[str, int, str]:
    """(format guess, size, trigger phrase in its header) of an uploaded LoRA file, or
    InvalidInput naming the problem."""
    name = (original_name or "").lower()
    if name.endswith(PICKLE_SUFFIXES):
        raise InvalidInput(
            gettext(
                "not a safetensors file (pickle): %(suffix)s checkpoints can run code "
                "when loaded; upload the .safetensors version"
            )
            % {"suffix": Path(name).suffix},
            field="file",
            code="pickle",
        )
    size = _size(upload)
    limit = max_bytes()
    if size > limit:
        raise InvalidInput(
            gettext("file too large (max %(max_mb)s MB); this one is %(size_mb)s MB")
            % {"max_mb": limit // (1024 * 1024), "size_mb": f"{size / (1024 * 1024):.1f}"},
            field="file",
            code="too_large",
        )
    try:
        header = read_header(upload, size)
    except HeaderError as exc:
        raise InvalidInput(str(exc), field="file", code=exc.code) from exc
    finally:
        upload.seek(0)
    keys = list(header.tensors)
    if not any("lora" in k.lower() for k in keys):
        raise InvalidInput(
            gettext(
                "the file holds no LoRA weights (no lora_down/lora_up or lora_A/lora_B tensors)"
            ),
            field="file",
            code="not_lora",
        )
    kohya = any(k.startswith(("lora_unet_", "lora_te")) for k in keys)
    trigger = (header.metadata.get("modelspec.trigger_phrase") or "").strip()
    return ("kohya" if kohya else "diffusers"), size, trigger


def _sha256(upload) -> str:
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in iter(lambda: upload.read(1 << 20), b""):
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


def import_adapter(
    *, tenant: Tenant, actor: Actor, upload, name: str, trigger_word: str = ""
) -> AdapterImport:
    """Store an uploaded LoRA file and queue its validation; it is usable once staff approve."""
    require_train(tenant, actor)
    original = getattr(upload, "name", "") or ""
    fmt, size, file_trigger = check_upload(upload, original)
    trigger = check_trigger_word(trigger_word) or _safe_trigger(file_trigger)
    title = (name or "").strip()[:100] or Path(original).stem[:100] or "Imported LoRA"
    digest = _sha256(upload)
    stored = default_storage.save(
        storage.tenant_path(tenant.pk, STORAGE_KIND, "safetensors"), File(upload)
    )
    with transaction.atomic():
        item = AdapterImport.objects.create(
            tenant=tenant,
            name=title,
            trigger_word=trigger,
            original_name=original[:255],
            file=stored,
            size_bytes=size,
            sha256=digest,
            format=fmt,
            created_by=actor.user,
        )
        record_event(
            tenant=tenant,
            actor=actor,
            action="adapter_import.uploaded",
            target=item,
            metadata={"format": fmt, "size_bytes": size, "sha256": digest},
        )
        transaction.on_commit(lambda: enqueue_import_validation(item.pk))
    return item


def _safe_trigger(word: str) -> str:
    try:
        return check_trigger_word(word)
    except InvalidInput:
        return ""  # a free-text trigger phrase from another tool: the user can name one


def get_import(*, tenant: Tenant, import_id) -> AdapterImport:
    try:
        return AdapterImport.objects.for_tenant(tenant).get(pk=import_id)
    except (AdapterImport.DoesNotExist, ValidationError, ValueError) as exc:
        raise NotFound(gettext("No such LoRA import in this workspace.")) from exc


def enqueue_import_validation(import_id) -> None:
    AdapterImport.objects.filter(pk=import_id).update(last_enqueued_at=timezone.now())
    nudge(
        "generation.tasks.validate_adapter_import",
        str(import_id),
        what=f"LoRA import {import_id}",
        cluster=GPU_CLUSTER,
        task_name=f"lora-import-{import_id}",
    )


def stale_validations(older_than_seconds: int = 600) -> list:
    """Imports still validating whose nudge may have been lost (the sweep sends it again)."""
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    return list(
        AdapterImport.objects.filter(
            state=AdapterImportState.VALIDATING, last_enqueued_at__lt=cutoff
        ).values_list("pk", flat=True)[:100]
    )


def finish_validation(
    import_id, *, report: dict[str, Any], validation: list[dict], base_model_hash: str
) -> bool:
    """The worker found the file fits the base model: on to staff review. False when another
    worker got there first (the task is safe to run twice)."""
    fields = {
        "report": report,
        "validation": validation,
        "base_model_hash": base_model_hash,
        "validated_at": timezone.now(),
    }
    if report.get("format"):
        fields["format"] = report["format"]
    return bool(
        AdapterImport.objects.filter(pk=import_id, state=AdapterImportState.VALIDATING).update(
            state=AdapterImportState.PENDING_REVIEW, **fields
        )
    )


def fail_validation(import_id, *, code: str, message: str) -> bool:
    """The file does not fit: the tenant sees why; the stored bytes are of no further use."""
    with transaction.atomic():
        failed = AdapterImport.objects.filter(
            pk=import_id, state=AdapterImportState.VALIDATING
        ).update(
            state=AdapterImportState.INVALID,
            error_code=code[:64],
            error_message=message[:2000],
            validated_at=timezone.now(),
        )
        if failed:
            name = AdapterImport.objects.filter(pk=import_id).values_list("file", flat=True)
            storage.delete_after_commit(list(name))
    return bool(failed)


def _locked(import_id) -> AdapterImport:
    try:
        return AdapterImport.objects.select_for_update().select_related("tenant").get(pk=import_id)
    except (AdapterImport.DoesNotExist, ValidationError, ValueError) as exc:
        raise NotFound(gettext("No such LoRA import.")) from exc


def approve_import(*, import_id, staff_user, note: str = "") -> LoraAdapter:
    """Staff approval: the file becomes the next version of the adapter named like the import."""
    with transaction.atomic():
        item = _locked(import_id)
        if item.state != AdapterImportState.PENDING_REVIEW:
            raise Conflict(
                gettext("Only imports awaiting review can be approved; this one is %(state)s.")
                % {"state": item.state}
            )
        version = (
            LoraAdapter.objects.select_for_update()
            .filter(tenant_id=item.tenant_id, name=item.name)
            .order_by("-version")
            .values_list("version", flat=True)
            .first()
            or 0
        ) + 1
        adapter = LoraAdapter.objects.create(
            tenant_id=item.tenant_id,
            name=item.name,
            version=version,
            source_import=item,
            lineage=LoraAdapter.Lineage.IMPORTED,
            weights=item.file.name,
            size_bytes=item.size_bytes,
            sha256=item.sha256,
            base_model_hash=item.base_model_hash,
            trigger_word=item.trigger_word,
            approved_by=staff_user,
            # The file as uploaded is the download: it is already in the format it came in.
            exports={item.format or "diffusers": item.file.name},
        )
        item.state = AdapterImportState.APPROVED
        item.reviewed_by, item.reviewed_at, item.review_note = (
            staff_user,
            timezone.now(),
            note[:500],
        )
        item.save(update_fields=["state", "reviewed_by", "reviewed_at", "review_note"])
        record_event(
            tenant=item.tenant,
            actor=Actor(user=staff_user),
            action="adapter_import.approved",
            target=item,
            metadata={"adapter": str(adapter.pk), "version": version},
        )
    return adapter


def reject_import(*, import_id, staff_user, note: str) -> AdapterImport:
    note = (note or "").strip()
    if not note:
        raise InvalidInput(
            gettext("Say why the import is rejected; the tenant sees the note."), field="note"
        )
    with transaction.atomic():
        item = _locked(import_id)
        if item.state != AdapterImportState.PENDING_REVIEW:
            raise Conflict(
                gettext("Only imports awaiting review can be rejected; this one is %(state)s.")
                % {"state": item.state}
            )
        item.state = AdapterImportState.REJECTED
        item.reviewed_by, item.reviewed_at, item.review_note = (
            staff_user,
            timezone.now(),
            note[:500],
        )
        item.save(update_fields=["state", "reviewed_by", "reviewed_at", "review_note"])
        record_event(
            tenant=item.tenant,
            actor=Actor(user=staff_user),
            action="adapter_import.rejected",
            target=item,
            metadata={"note": note[:500]},
        )
        storage.delete_after_commit([item.file.name])
    return item
