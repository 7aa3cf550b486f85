"""Importing a LoRA made elsewhere: a valid diffusers or kohya file passes the worker's checks,
is approved by staff into an adapter (lineage "imported") and renders through the real engine
like the adapter it came from; each bad file is refused with an error naming the problem."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from generation import tasks
from generation.training.export import export_metadata, read, write, write_kohya
from generation.training.lora_import import LoraImportError, inspect_lora
from styles.models import AdapterImport, AdapterImportState, LoraAdapter
from styles.services import adapter_imports
from tests.factories import api_client_for, make_user

pytestmark = [pytest.mark.ml, pytest.mark.slow]

RANK, ALPHA = 4, 2
META = export_metadata(
    trigger_word="acmebot",
    base_model_hash="b" * 64,
    training={"rank": RANK, "alpha": ALPHA},
    rank=RANK,
    alpha=ALPHA,
)


@pytest.fixture(scope="module")
def lora_files(tiny_models, tmp_path_factory) -> dict[str, Path]:
    """A LoRA trained and saved here (diffusers), and the same converted to kohya format."""
    import numpy as np
    from PIL import Image

    from core.training_recipe import TrainingRecipe
    from generation.training.config import TrainConfig, TrainExample
    from generation.training.lora import LoraRun

    def picture(seed):
        blocks = np.random.default_rng(seed).integers(0, 256, (6, 6, 3), dtype=np.uint8)
        return Image.fromarray(blocks).resize((48, 48), Image.Resampling.NEAREST)

    root = tmp_path_factory.mktemp("import")
    config = TrainConfig(
        rank=RANK,
        alpha=ALPHA,
        steps=2,
        learning_rate=5e-2,
        resolution=32,
        batch_size=2,
        checkpoint_every=0,
        recipe=TrainingRecipe(min_snr_gamma=None),
    )
    examples = [TrainExample(lambda i=i: picture(i), f"mascot {i}") for i in range(2)]
    run = LoraRun(tiny_models.sd_model_dir, examples, config, device="cpu", cache_dir=root / "c")
    run.train()
    diffusers_file = run.save(root / "lora", META)
    kohya = write_kohya(diffusers_file, root / "kohya.safetensors", META, rank=RANK, alpha=ALPHA)
    return {"diffusers": diffusers_file, "kohya": kohya}


def _variant(source: Path, target: Path, change) -> Path:
    tensors, metadata = read(source)
    return write(target, change(dict(tensors)), metadata)


# -- the worker's checks, on the files themselves --------------------------------------------


@pytest.mark.parametrize("fmt", ["diffusers", "kohya"])
def test_files_made_for_the_base_model_pass(tiny_models, lora_files, fmt):
    report = inspect_lora(lora_files[fmt], tiny_models.sd_model_dir)
    assert report.format == fmt
    assert report.ranks == [RANK]
    assert report.alphas == [float(ALPHA)]  # kohya: .alpha tensors; diffusers: its LoRA config
    assert report.modules["unet"] > 0
    assert report.trigger_word == "acmebot"


def test_a_file_for_another_base_model_names_the_layer(tiny_models, lora_files, tmp_path):
    import torch

    def wider(tensors):  # what a LoRA for a model with 768-wide attention looks like
        for key, value in list(tensors.items()):
            if key.endswith("lora_down.weight"):
                tensors[key] = torch.zeros(value.shape[0], 768)
        return tensors

    bad = _variant(lora_files["kohya"], tmp_path / "wide.safetensors", wider)
    with pytest.raises(LoraImportError, match="trained for a different base model") as info:
        inspect_lora(bad, tiny_models.sd_model_dir)
    assert info.value.code == "wrong_base"
    assert "input features, file has 768" in str(info.value)
    assert "layer unet.down_blocks." in str(info.value)


def test_an_sdxl_kohya_file_is_another_base_model(tiny_models, lora_files, tmp_path):
    import torch

    def sdxl(tensors):
        tensors["lora_te2_text_model_encoder_layers_0_self_attn_q_proj.lora_down.weight"] = (
            torch.zeros(RANK, 32)
        )
        return tensors

    bad = _variant(lora_files["kohya"], tmp_path / "xl.safetensors", sdxl)
    with pytest.raises(LoraImportError, match="second text encoder") as info:
        inspect_lora(bad, tiny_models.sd_model_dir)
    assert info.value.code == "wrong_base"


@pytest.mark.parametrize(
    ("fmt", "extra", "named"),
    [
        ("kohya", {"lora_unet_mid_block_foo.lora_down.weight": (RANK, 8)}, "unet.mid_block.foo"),
        ("kohya", {"lora_vae_decoder_x.lora_down.weight": (RANK, 8)}, "lora_vae_decoder_x"),
        ("diffusers", {"vae.decoder.conv_in.lora.down.weight": (RANK, 8)}, "vae"),
        (
            "diffusers",
            {"unet.down_blocks.9.attn.to_q.lora.down.weight": (RANK, 8)},
            "unet.down_blocks.9.attn.to_q",
        ),
    ],
    ids=["kohya-unet", "kohya-prefix", "diffusers-vae", "diffusers-unet"],
)
def test_unknown_modules_are_named(tiny_models, lora_files, tmp_path, fmt, extra, named):
    import torch

    def add(tensors):
        for key, shape in extra.items():
            tensors[key] = torch.zeros(shape)
            up = key.replace("lora_down", "lora_up").replace("lora.down", "lora.up")
            tensors[up] = torch.zeros(shape[::-1])
        return tensors

    bad = _variant(lora_files[fmt], tmp_path / "unknown.safetensors", add)
    with pytest.raises(LoraImportError, match="unknown modules") as info:
        inspect_lora(bad, tiny_models.sd_model_dir)
    assert info.value.code == "unknown_modules"
    assert named in str(info.value)


def test_a_lora_without_its_up_matrices_is_incomplete(tiny_models, lora_files, tmp_path):
    def halve(tensors):
        return {k: v for k, v in tensors.items() if ".up." not in k}

    bad = _variant(lora_files["diffusers"], tmp_path / "half.safetensors", halve)
    with pytest.raises(LoraImportError, match="lack a down or up matrix"):
        inspect_lora(bad, tiny_models.sd_model_dir)


# -- upload, worker, staff review, render ------------------------------------------------------


@pytest.fixture
def import_settings(settings, use_tiny_models):
    settings.AVATARSAAS_VALIDATION_STEPS = 2
    settings.AVATARSAAS_IMPORT_PREVIEW_SIZE = 64
    return settings


def _upload(client, filename: str, data: bytes, **fields):
    return client.post(
        reverse("api_adapter_import"),
        {"file": SimpleUploadedFile(filename, data), **fields},
        format="multipart",
    )


def _render(engine, adapter_path: Path | None, version_id: str = ""):
    from generation.engines.base import AdapterRef, RenderRequest

    adapter = AdapterRef(version_id, str(adapter_path), 1.0) if adapter_path else None
    request = RenderRequest(
        prompt="acmebot, a robot", seeds=(7,), width=64, height=64, steps=2, adapter=adapter
    )
    import numpy as np

    return np.asarray(engine.generate(request)[0].image, dtype=np.int16)


@pytest.mark.django_db
def test_a_kohya_file_is_validated_approved_and_renders_like_the_trained_adapter(
    tenant, import_settings, lora_files, client
):
    from generation.engines import registry as engine_registry
    from styles.models import StylePreset
    from styles.services.adapters import activate_adapter, local_weights_path
    from tenants.actors import Actor

    api = api_client_for(tenant)
    response = _upload(
        api, "acme_kohya.safetensors", lora_files["kohya"].read_bytes(), name="Acme (kohya)"
    )
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["state"] == "validating" and body["format"] == "kohya"
    assert body["trigger_word"] == "acmebot"  # from the file's modelspec.trigger_phrase
    item = AdapterImport.objects.get(pk=body["id"])
    assert not LoraAdapter.objects.filter(tenant=tenant).exists()  # nothing usable before review

    assert tasks.validate_adapter_import(str(item.pk)) == AdapterImportState.PENDING_REVIEW
    assert tasks.validate_adapter_import(str(item.pk)) is None  # safe to run twice
    item.refresh_from_db()
    assert item.report["modules"]["unet"] > 0 and item.report["alphas"] == [float(ALPHA)]
    assert len([c for c in item.validation if "prompt" in c]) == 4  # 2 prompts x 2 seeds
    assert item.base_model_hash

    # Staff approve from the admin changelist (the review permission is required).
    staff = make_user("reviewer@example.com", is_staff=True, is_superuser=True)
    client.force_login(staff)
    page = client.get(reverse("admin:styles_adapterimport_change", args=[item.pk]))
    assert page.status_code == 200 and b"import-preview" in page.content
    preview = client.get(reverse("admin_import_preview", args=[item.pk, 0]))
    assert preview.status_code == 200
    response = client.post(
        reverse("admin:styles_adapterimport_changelist"),
        {"action": "approve_selected", "_selected_action": [str(item.pk)], "note": "looks right"},
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.state == AdapterImportState.APPROVED and item.reviewed_by == staff
    adapter = LoraAdapter.objects.get(tenant=tenant, source_import=item)
    assert adapter.lineage == "imported" and adapter.version == 1
    assert adapter.trigger_word == "acmebot" and adapter.approved_by == staff
    assert adapter.export_formats == ["kohya"]
    detail = api.get(reverse("api_adapter_detail", args=[adapter.pk])).json()
    assert detail["lineage"] == "imported" and detail["source_import"] == str(item.pk)
    assert api.get(reverse("api_adapter_import_detail", args=[item.pk])).json()["adapter"] == (
        str(adapter.pk)
    )

    # Usable in presets, and renders through the real engine as the adapter trained here.
    preset = StylePreset.objects.create(tenant=tenant, name="Acme", slug="acme")
    activate_adapter(
        tenant=tenant, actor=Actor.system(), preset_id=preset.pk, adapter_id=adapter.pk
    )
    engine = engine_registry.get_engine("diffusers")
    imported = _render(engine, local_weights_path(adapter), str(adapter.pk))
    trained = _render(engine, lora_files["diffusers"], "trained-here")
    plain = _render(engine, None)
    assert abs(imported - trained).max() <= 1
    assert abs(imported - plain).max() > 1


@pytest.mark.django_db
def test_a_diffusers_file_passes_and_staff_can_reject_it_with_a_note(
    tenant, import_settings, lora_files, staff_user
):
    from core.errors import InvalidInput

    api = api_client_for(tenant)
    body = _upload(api, "acme.safetensors", lora_files["diffusers"].read_bytes()).json()
    assert body["format"] == "diffusers" and body["name"] == "acme"
    tasks.validate_adapter_import(body["id"])
    item = AdapterImport.objects.get(pk=body["id"])
    assert item.state == AdapterImportState.PENDING_REVIEW
    with pytest.raises(InvalidInput):
        adapter_imports.reject_import(import_id=item.pk, staff_user=staff_user, note=" ")
    adapter_imports.reject_import(import_id=item.pk, staff_user=staff_user, note="not ours")
    item.refresh_from_db()
    assert item.state == AdapterImportState.REJECTED and item.review_note == "not ours"
    assert not LoraAdapter.objects.filter(tenant=tenant).exists()
    listed = api.get(reverse("api_adapter_imports")).json()
    assert [row["state"] for row in listed["results"]] == ["rejected"]


@pytest.mark.django_db
def test_a_wrong_base_file_ends_invalid_with_the_layer_named(
    tenant, import_settings, lora_files, tmp_path
):
    import torch

    def wider(tensors):
        return {
            k: torch.zeros(v.shape[0], 768) if k.endswith("lora_down.weight") else v
            for k, v in tensors.items()
        }

    bad = _variant(lora_files["kohya"], tmp_path / "wide.safetensors", wider)
    api = api_client_for(tenant)
    body = _upload(api, "wide.safetensors", bad.read_bytes()).json()
    assert tasks.validate_adapter_import(body["id"]) == AdapterImportState.INVALID
    detail = api.get(reverse("api_adapter_import_detail", args=[body["id"]])).json()
    assert detail["state"] == "invalid" and detail["error_code"] == "wrong_base"
    assert "trained for a different base model" in detail["error_message"]
    assert "file has 768" in detail["error_message"]
    with pytest.raises(Exception, match="awaiting review"):
        adapter_imports.approve_import(import_id=body["id"], staff_user=None)


def _pickle_bytes(new_zip: bool) -> bytes:
    import torch

    buf = io.BytesIO()
    torch.save({"w": torch.zeros(2)}, buf, _use_new_zipfile_serialization=new_zip)
    return buf.getvalue()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "make", "message", "code"),
    [
        ("lora.ckpt", lambda f: f.read_bytes(), "not a safetensors file (pickle)", "pickle"),
        ("lora.safetensors", lambda f: _pickle_bytes(True), "(pickle)", "pickle"),
        ("lora.safetensors", lambda f: _pickle_bytes(False), "(pickle)", "pickle"),
        ("lora.safetensors", lambda f: f.read_bytes()[:-64], "file truncated", "truncated"),
        ("lora.safetensors", lambda f: f.read_bytes()[:100], "file truncated", "truncated"),
        ("lora.safetensors", lambda f: b"hello world, not weights", "not a safetensors", None),
    ],
    ids=["ckpt-name", "torch-zip", "torch-legacy", "cut-data", "cut-header", "text"],
)
def test_bad_files_are_refused_at_upload(tenant, lora_files, name, make, message, code):
    response = _upload(api_client_for(tenant), name, make(lora_files["kohya"]))
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert message in error["message"] and error["field"] == "file"
    if code:
        assert error["code"] == code
    assert not AdapterImport.objects.exists()


@pytest.mark.django_db
def test_an_oversized_file_is_refused_with_the_cap(tenant, lora_files, settings):
    settings.AVATARSAAS_LORA_IMPORT_MAX_MB = 1
    import torch

    big = write(
        lora_files["kohya"].parent / "big.safetensors",
        {**read(lora_files["kohya"])[0], "lora_unet_pad.lora_down.weight": torch.zeros(4, 70000)},
        {},
    )
    response = _upload(api_client_for(tenant), "big.safetensors", big.read_bytes())
    assert response.status_code == 400
    assert "file too large (max 1 MB)" in response.json()["error"]["message"]
    settings.AVATARSAAS_LORA_IMPORT_MAX_MB = 2
    assert _upload(api_client_for(tenant), "big.safetensors", big.read_bytes()).status_code == 202


@pytest.mark.django_db
def test_the_dashboard_form_uploads_and_lists_the_import(owner_client, tenant, lora_files):
    page = owner_client.get(reverse("finetune_list"))
    assert b'id="import-form"' in page.content
    response = owner_client.post(
        reverse("adapter_import"),
        {
            "file": SimpleUploadedFile("mascot.safetensors", lora_files["kohya"].read_bytes()),
            "name": "Mascot",
        },
    )
    assert response.status_code == 302
    item = AdapterImport.objects.get(tenant=tenant)
    assert item.name == "Mascot" and item.state == AdapterImportState.VALIDATING
    page = owner_client.get(reverse("finetune_list"))
    assert f'id="import-{item.pk}"'.encode() in page.content
    refused = owner_client.post(
        reverse("adapter_import"),
        {"file": SimpleUploadedFile("model.ckpt", b"\x80\x02}q\x00.")},
        follow=True,
    )
    assert b"not a safetensors file (pickle)" in refused.content
    assert AdapterImport.objects.filter(tenant=tenant).count() == 1


@pytest.mark.django_db
def test_import_preview_images_are_staff_only(tenant, client, lora_files):
    from tests.factories import owner_of

    item = AdapterImport.objects.create(
        tenant=tenant, name="x", file="x", sha256="0" * 64, validation=[{"grid": "nope"}]
    )
    client.force_login(owner_of(tenant))
    response = client.get(reverse("admin_import_preview", args=[item.pk, 0]))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


@pytest.mark.django_db
def test_api_keys_need_the_training_scope_to_import(tenant, lora_files):
    client = api_client_for(tenant, scopes=["styles:read", "styles:write"])
    response = _upload(client, "a.safetensors", lora_files["kohya"].read_bytes())
    assert response.status_code == 403
