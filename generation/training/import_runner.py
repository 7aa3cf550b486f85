"""Validating an uploaded LoRA on a GPU worker: keys and shapes against the configured base
model (`lora_import.inspect_lora`), then a preview grid rendered with the file loaded through
the real engine, so staff review what the adapter actually does, and a file diffusers cannot
attach never reaches a preset.
"""

from __future__ import annotations

import io
import logging
import shutil
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage, default_storage

from core import storage
from generation.engines import registry as engine_registry
from generation.engines.base import AdapterRef, EngineError
from generation.engines.loading import model_hash, resolve_model_path
from generation.training.lora_import import LoraImportError, inspect_lora
from generation.training.validation import VALIDATION_SEEDS, grid_image, render_grid
from styles.models import AdapterImport, AdapterImportState
from styles.services import adapter_imports

logger = logging.getLogger(__name__)
PREVIEW_PROMPTS = ("{trigger}, avatar of a friendly robot", "{trigger}, portrait of a mascot")


def validate_import(import_id) -> str | None:
    """Check one import still validating; returns its new state (None when not due)."""
    item = AdapterImport.objects.filter(pk=import_id, state=AdapterImportState.VALIDATING).first()
    if item is None:
        return None
    with _local_copy(item.file.name) as path:
        try:
            model_dir = resolve_model_path(
                settings.AVATARSAAS_SD_MODEL,
                what="Stable Diffusion model",
                setting="AVATARSAAS_SD_MODEL",
            )
            report = inspect_lora(path, model_dir)
            validation = _preview(item, path)
        except LoraImportError as exc:
            adapter_imports.fail_validation(item.pk, code=exc.code, message=str(exc))
            return AdapterImportState.INVALID
        except EngineError as exc:
            message = f"the file could not be loaded and rendered by the engine: {exc}"
            adapter_imports.fail_validation(item.pk, code=exc.code, message=message)
            return AdapterImportState.INVALID
    adapter_imports.finish_validation(
        item.pk,
        report=report.to_dict(),
        validation=validation,
        base_model_hash=model_hash(model_dir),
    )
    return AdapterImportState.PENDING_REVIEW


class _local_copy:
    """A local path for the stored file (diffusers and safetensors read local files only)."""

    def __init__(self, name: str):
        self.name, self.tmp = name, None

    def __enter__(self) -> Path:
        if isinstance(default_storage, FileSystemStorage):
            return Path(default_storage.path(self.name))
        self.tmp = tempfile.mkdtemp(prefix="lora-import-")
        target = Path(self.tmp) / "import.safetensors"
        with default_storage.open(self.name, "rb") as src, target.open("wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
        return target

    def __exit__(self, *exc) -> None:
        if self.tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)


def _preview(item: AdapterImport, path: Path) -> list[dict]:
    cells = render_grid(
        engine_registry.get_engine("diffusers"),
        AdapterRef(f"import-{item.pk}", str(path), 1.0),
        trigger_word=item.trigger_word or item.name,
        size=int(getattr(settings, "AVATARSAAS_IMPORT_PREVIEW_SIZE", 512)),
        steps=int(getattr(settings, "AVATARSAAS_VALIDATION_STEPS", 25)),
        scorer=engine_registry.get_scorer(),
        prompts=PREVIEW_PROMPTS,
    )
    out = []
    for cell in cells:
        buf = io.BytesIO()
        cell.image.save(buf, format="PNG")
        name = storage.save_bytes(item.tenant_id, "adapter-imports", "png", buf.getvalue())
        out.append(
            {"prompt": cell.prompt, "seed": cell.seed, "clip_score": cell.clip_score, "image": name}
        )
    sheet = io.BytesIO()
    grid_image(cells, columns=len(VALIDATION_SEEDS)).save(sheet, format="PNG")
    out.append(
        {"grid": storage.save_bytes(item.tenant_id, "adapter-imports", "png", sheet.getvalue())}
    )
    return out


def sweep_stale_imports() -> int:
    """Re-send nudges of imports still validating long after upload (broker outage)."""
    stale = adapter_imports.stale_validations()
    for pk in stale:
        adapter_imports.enqueue_import_validation(pk)
    return len(stale)
