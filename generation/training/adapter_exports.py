"""Downloadable adapter files: written on the worker when an adapter is published, served from
storage by the API and the dashboard (web processes have no torch; they never convert).

The diffusers export is the published weights file itself: the trainer writes it with the
LoRA config and the provenance below in its header. The kohya/A1111 file is converted from it
(`generation.training.export`). Adapters published before exports existed get both files from
`manage.py build_adapter_exports`, run where the worker runs.
"""

from __future__ import annotations

import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from django.utils.text import slugify
from django.utils.translation import gettext

from core import storage
from core.errors import Conflict, InvalidInput
from generation.training.config import TrainConfig
from generation.training.export import (
    FORMATS,
    export_metadata,
    read,
    write_diffusers,
    write_kohya,
)
from styles.models import FineTune, LoraAdapter
from styles.services.adapters import get_adapter, local_weights_path
from tenants.models import Tenant

CONTENT_TYPE = "application/octet-stream"


@dataclass(frozen=True)
class AdapterExport:
    name: str  # storage name
    filename: str  # what the download is saved as
    format: str


def provenance(
    ft: FineTune,
    config: TrainConfig,
    *,
    base_model_hash: str,
    n_images: int,
    kind: str = "sd1",
) -> dict[str, str]:
    """Header metadata of a fine-tune's adapter: trigger, base model (`kind`: "sd1", "sdxl"),
    dataset, settings."""
    training = {**asdict(config), "steps": config.steps_for(n_images), "images": n_images}
    return export_metadata(
        trigger_word=ft.trigger_word,
        base_model_hash=base_model_hash,
        dataset_hash=ft.dataset_hash,
        training=training,
        rank=config.rank,
        alpha=config.alpha,
        title=ft.name,
        kind=kind,
    )


def write_kohya_export(tenant_id, weights: Path, metadata: dict[str, str], *, rank, alpha) -> str:
    """Convert the published diffusers file to kohya format and store it; its storage name."""
    with tempfile.TemporaryDirectory(prefix="kohya-") as tmp:
        target = write_kohya(
            weights, Path(tmp) / "kohya.safetensors", metadata, rank=rank, alpha=alpha
        )
        return storage.save_bytes(tenant_id, "adapters", "safetensors", target.read_bytes())


def get_export(*, tenant: Tenant, adapter_id, fmt: str | None) -> AdapterExport:
    """The stored file of one of the tenant's adapters in `fmt` (default diffusers)."""
    fmt = fmt or "diffusers"
    adapter = get_adapter(tenant=tenant, adapter_id=adapter_id)
    if fmt not in FORMATS:
        raise InvalidInput(
            gettext("format must be one of %(formats)s.") % {"formats": ", ".join(FORMATS)},
            field="format",
        )
    name = (adapter.exports or {}).get(fmt)
    if not name:
        raise Conflict(
            gettext(
                "%(adapter)s has no %(fmt)s export yet: it was published before exports "
                "existed. An operator can build it with `manage.py "
                "build_adapter_exports`."
            )
            % {"adapter": adapter, "fmt": fmt},
            code="export_unavailable",
        )
    base = slugify(adapter.name) or "adapter"
    return AdapterExport(name, f"{base}-v{adapter.version}-{fmt}.safetensors", fmt)


def build_exports(adapter: LoraAdapter) -> dict[str, str]:
    """Both export files for an adapter published without them (worker side: needs torch).

    Rank and alpha come from its fine-tune; the weights file is left as it is (jobs keep
    rendering exactly as before), the exports carry the alpha it was trained with.
    """
    ft = adapter.finetune
    rank = ft.rank if ft else None
    alpha = ft.alpha if ft else None
    source = local_weights_path(adapter)
    if rank is None:  # fine-tune deleted: what the file's shapes say, at alpha = rank
        rank = alpha = _rank_of(source)
    metadata = export_metadata(
        trigger_word=adapter.trigger_word,
        base_model_hash=adapter.base_model_hash,
        dataset_hash=adapter.dataset_hash,
        training=_row_settings(ft),
        rank=rank,
        alpha=alpha,
        title=adapter.name,
    )
    exports = {}
    with tempfile.TemporaryDirectory(prefix="exports-") as tmp:
        for fmt, write in (("diffusers", write_diffusers), ("kohya", write_kohya)):
            target = write(
                source, Path(tmp) / f"{fmt}.safetensors", metadata, rank=rank, alpha=alpha
            )
            exports[fmt] = storage.save_bytes(
                adapter.tenant_id, "adapters", "safetensors", target.read_bytes()
            )
    LoraAdapter.objects.filter(pk=adapter.pk).update(exports=exports)
    return exports


def _row_settings(ft: FineTune | None) -> dict:
    if ft is None:
        return {}
    names = ("rank", "alpha", "steps", "learning_rate", "resolution", "batch_size", "seed")
    return {
        **{n: getattr(ft, n) for n in names},
        "train_text_encoder": ft.train_text_encoder,
        "recipe": ft.recipe,
    }


def _rank_of(path: Path) -> int:
    tensors, _ = read(path)
    return min(int(t.shape[0]) for k, t in tensors.items() if "down" in k or "lora_A" in k)
