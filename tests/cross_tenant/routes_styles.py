"""Presets, references, datasets, fine-tunes and adapters: made directly as rows."""

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from styles.models import (
    DatasetImage,
    DuplicatePair,
    FineTune,
    LoraAdapter,
    LoraDataset,
    ReferenceImage,
    StylePreset,
)
from tests.cross_tenant.registry import Route, register


def _png(tenant, kind="x"):
    from io import BytesIO

    from PIL import Image

    buf = BytesIO()
    Image.new("RGB", (64, 64), "red").save(buf, format="PNG")
    return default_storage.save(f"tenants/{tenant.pk}/{kind}/a.png", ContentFile(buf.getvalue()))


def _preset(tenant):
    return StylePreset.objects.create(
        tenant=tenant, slug=f"p-{StylePreset.objects.count()}", name="P"
    )


def _reference(tenant):
    return ReferenceImage.objects.create(tenant=tenant, preset=_preset(tenant), file=_png(tenant))


def _dataset(tenant):
    return LoraDataset.objects.create(tenant=tenant, name="D", trigger_word="acme")


def _dataset_image(tenant):
    return DatasetImage.objects.create(
        tenant=tenant,
        dataset=_dataset(tenant),
        original_name="a.png",
        status="accepted",
        file=_png(tenant, "datasets"),
        format="png",
    )


def _finetune(tenant, state="draft", **extra):
    return FineTune.objects.create(
        tenant=tenant, name="F", dataset=_dataset(tenant), trigger_word="acme", state=state, **extra
    )


def _adapter(tenant):
    return LoraAdapter.objects.create(
        tenant=tenant,
        name=f"A{LoraAdapter.objects.count()}",
        version=1,
        sha256="0" * 64,
        weights=default_storage.save(
            f"tenants/{tenant.pk}/adapters/a.safetensors", ContentFile(b"x")
        ),
    )


preset = lambda t: {"preset_id": _preset(t).pk}  # noqa: E731
reference = lambda t: {"reference_id": _reference(t).pk}  # noqa: E731
dataset = lambda t: {"dataset_id": _dataset(t).pk}  # noqa: E731
dataset_image = lambda t: {"image_id": _dataset_image(t).pk}  # noqa: E731
finetune = lambda t: {"finetune_id": _finetune(t).pk}  # noqa: E731


def _duplicate_pair(tenant):
    image = _dataset_image(tenant)
    other = DatasetImage.objects.create(
        tenant=tenant,
        dataset=image.dataset,
        original_name="b.png",
        status="accepted",
        file=_png(tenant, "datasets"),
        format="png",
    )
    return DuplicatePair.objects.create(
        tenant=tenant,
        dataset=image.dataset,
        image=image,
        other=other,
        phash_distance=2,
        color_distance=1,
        difference=0.01,
    )


duplicate_pair = lambda t: {"pair_id": _duplicate_pair(t).pk}  # noqa: E731


def pair_in_dataset(t):
    pair = _duplicate_pair(t)
    return {"dataset_id": pair.dataset_id, "pair_id": pair.pk}


def image_in_dataset(t):
    image = _dataset_image(t)
    return {"dataset_id": image.dataset_id, "image_id": image.pk}


adapter = lambda t: {"adapter_id": _adapter(t).pk}  # noqa: E731


def validated_finetune(t):
    ft = _finetune(t, state="ready", validation=[{"prompt": "p", "seed": 1, "image": _png(t)}])
    return {"finetune_id": ft.pk, "index": 0}


register(Route("api_preset_detail", preset, kind="api"))
register(Route("api_preset_detail", preset, method="patch", kind="api", data={"steps": 20}))
register(Route("api_preset_detail", preset, method="delete", kind="api"))
register(
    Route("api_preset_activate_adapter", preset, method="post", kind="api", data={"adapter": "x"})
)
register(Route("api_preset_rollback_adapter", preset, method="post", kind="api"))
register(Route("api_preset_references", preset, kind="api"))
register(Route("api_preset_references", preset, method="post", kind="api"))
register(Route("api_reference_detail", reference, kind="api"))
register(Route("api_reference_detail", reference, method="delete", kind="api"))
register(Route("api_reference_file", reference, kind="api"))
register(Route("api_dataset_detail", dataset, kind="api"))
register(Route("api_dataset_detail", dataset, method="delete", kind="api"))
register(Route("api_dataset_image_detail", image_in_dataset, method="delete", kind="api"))
register(Route("api_dataset_upload", dataset, method="post", kind="api"))
register(
    Route(
        "api_dataset_duplicate_resolve",
        pair_in_dataset,
        method="post",
        kind="api",
        data={"action": "keep_both"},
    )
)
register(Route("api_dataset_captions", dataset, method="patch", kind="api", data={"captions": {}}))
register(Route("api_finetune_detail", finetune, kind="api"))
register(Route("api_finetune_submit", finetune, method="post", kind="api"))
register(Route("api_finetune_cancel", finetune, method="post", kind="api"))
register(Route("api_adapter_detail", adapter, kind="api"))
register(Route("api_adapter_deprecate", adapter, method="post", kind="api"))

register(Route("preset_detail", preset))
register(Route("preset_edit", preset))
register(Route("preset_edit", preset, method="post", data={"name": "x"}))
register(Route("preset_copy", preset, method="post"))
register(Route("preset_delete", preset, method="post"))
register(Route("preset_reference_add", preset, method="post"))
register(Route("preset_activate", preset, method="post"))
register(Route("preset_rollback", preset, method="post"))
register(Route("reference_file", reference))
register(Route("reference_delete", reference, method="post"))
register(Route("dataset_detail", dataset))
register(Route("dataset_detail", dataset, method="post", data={"caption_x": "y"}))
register(Route("dataset_upload", dataset, method="post"))
register(Route("dataset_image_file", dataset_image))
register(Route("dataset_delete", dataset, method="post"))
register(Route("dataset_image_delete", dataset_image, method="post"))
register(
    Route("dataset_duplicate_resolve", duplicate_pair, method="post", data={"action": "keep_both"})
)
register(Route("finetune_detail", finetune))
register(Route("finetune_submit", finetune, method="post"))
register(Route("finetune_cancel", finetune, method="post"))
register(Route("finetune_validation_image", validated_finetune))
register(Route("adapter_deprecate", adapter, method="post"))
