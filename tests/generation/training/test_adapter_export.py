"""Adapters travel: the kohya/A1111 export loads back through diffusers and renders like the
diffusers file, both carry trigger, base model hash and training settings, older adapters get
exports with the alpha they were trained with, and the download routes serve them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import call_command

from core import storage
from generation.training.export import (
    LORA_METADATA_KEY,
    export_metadata,
    read,
    write,
    write_diffusers,
    write_kohya,
)
from styles.models import FineTune, LoraAdapter
from tests.factories import api_client_for, owner_of

pytestmark = [pytest.mark.ml, pytest.mark.slow]

RANK, ALPHA = 4, 2  # alpha != rank: a lost alpha shows as the wrong strength
META = export_metadata(
    trigger_word="acmebot",
    base_model_hash="b" * 64,
    training={"rank": RANK, "alpha": ALPHA, "steps": 2},
    rank=RANK,
    alpha=ALPHA,
    title="Acme mascot",
)


@pytest.fixture(scope="module")
def trained(tiny_models, tmp_path_factory) -> Path:
    """A diffusers-format UNet adapter, saved with metadata (trained text encoders' exports:
    test_text_encoder_lora)."""
    import numpy as np
    from PIL import Image

    from core.training_recipe import TrainingRecipe
    from generation.training.config import TrainConfig, TrainExample
    from generation.training.lora import LoraRun

    def picture(seed):
        blocks = np.random.default_rng(seed).integers(0, 256, (6, 6, 3), dtype=np.uint8)
        return Image.fromarray(blocks).resize((48, 48), Image.Resampling.NEAREST)

    root = tmp_path_factory.mktemp("export")
    examples = [TrainExample(lambda i=i: picture(i), f"mascot {i}") for i in range(2)]
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
    run = LoraRun(tiny_models.sd_model_dir, examples, config, device="cpu", cache_dir=root / "c")
    run.train()
    return run.save(root / "lora", META)


@pytest.fixture(scope="module")
def render(tiny_models):
    """render(weights file) -> the tiny pipeline's output with that adapter loaded."""
    import torch
    from diffusers import StableDiffusionPipeline

    pipe = StableDiffusionPipeline.from_pretrained(
        tiny_models.sd_model_dir,
        safety_checker=None,
        requires_safety_checker=False,
        local_files_only=True,
    )
    pipe.set_progress_bar_config(disable=True)

    def _render(path: Path):
        pipe.load_lora_weights(str(path.parent), weight_name=path.name, adapter_name="x")
        try:
            with torch.inference_mode():
                return pipe(
                    "acmebot, a robot",
                    num_inference_steps=2,
                    height=64,
                    width=64,
                    generator=torch.Generator("cpu").manual_seed(0),
                    output_type="pt",
                ).images
        finally:
            pipe.unload_lora_weights()

    return _render


def test_kohya_export_loads_back_and_renders_the_same(trained, render, tmp_path):
    import torch

    kohya = write_kohya(trained, tmp_path / "kohya.safetensors", META, rank=RANK, alpha=ALPHA)
    tensors, header = read(kohya)
    assert tensors and all(k.startswith("lora_unet_") for k in tensors)
    alphas = {float(v) for k, v in tensors.items() if k.endswith(".alpha")}
    assert alphas == {float(ALPHA)}, "the trained alpha, not diffusers' default alpha = rank"
    assert LORA_METADATA_KEY not in header
    for _, head in (read(trained), (None, header)):
        assert head["avatarsaas.trigger_word"] == "acmebot"
        assert head["avatarsaas.base_model_hash"] == "b" * 64
        assert json.loads(head["avatarsaas.training"])["alpha"] == ALPHA
        assert head["ss_network_alpha"] == str(ALPHA)

    expected = render(trained)
    assert torch.allclose(render(kohya), expected, atol=1e-5)

    # diffusers' own conversion alone writes alpha = rank: that file renders at 2x.
    from diffusers.utils.state_dict_utils import convert_state_dict_to_kohya

    from generation.training.export import _peft_layers

    raw = convert_state_dict_to_kohya(_peft_layers(read(trained)[0]))
    assert {float(v) for k, v in raw.items() if k.endswith(".alpha")} == {float(RANK)}
    wrong = write(tmp_path / "raw.safetensors", {k: v.contiguous() for k, v in raw.items()}, {})
    assert (render(wrong) - expected).abs().max() > 1e-4


def test_text_encoder_layers_get_sd1_kohya_names_that_diffusers_reads_back(trained, tmp_path):
    import torch
    from diffusers import StableDiffusionPipeline

    tensors, header = read(trained)
    prefix = "text_encoder.text_model.encoder.layers.0.self_attn.q_proj.lora_linear_layer"
    tensors[f"{prefix}.down.weight"] = torch.randn(RANK, 32)
    tensors[f"{prefix}.up.weight"] = torch.randn(32, RANK)
    both = write(tmp_path / "both.safetensors", tensors, header)
    kohya = write_kohya(both, tmp_path / "kohya.safetensors", META, rank=RANK, alpha=ALPHA)
    keys = set(read(kohya)[0])
    module = "lora_te_text_model_encoder_layers_0_self_attn_q_proj"
    assert {f"{module}.lora_down.weight", f"{module}.lora_up.weight", f"{module}.alpha"} <= keys
    assert not any(k.startswith("lora_te1_") for k in keys)  # SDXL's first encoder

    state, alphas = StableDiffusionPipeline.lora_state_dict(str(kohya))
    assert any(k.startswith("text_encoder.text_model.encoder.layers.0.self_attn.") for k in state)
    assert any(k.startswith("unet.") for k in state)
    assert set(alphas.values()) == {float(ALPHA)}


def test_older_adapter_files_export_with_the_alpha_they_were_trained_with(
    trained, render, tmp_path
):
    import torch

    tensors, _ = read(trained)
    bare = write(tmp_path / "bare.safetensors", tensors, {})  # as published before the fix
    expected = render(trained)
    assert (render(bare) - expected).abs().max() > 1e-4  # served at alpha = rank

    fixed = write_diffusers(bare, tmp_path / "d.safetensors", META, rank=RANK, alpha=ALPHA)
    assert json.loads(read(fixed)[1][LORA_METADATA_KEY])["unet.lora_alpha"] == ALPHA
    assert torch.allclose(render(fixed), expected, atol=1e-5)
    kohya = write_kohya(bare, tmp_path / "k.safetensors", META, rank=RANK, alpha=ALPHA)
    assert torch.allclose(render(kohya), expected, atol=1e-5)


def _adapter(tenant, weights: Path, **fields) -> LoraAdapter:
    name = storage.save_bytes(tenant.pk, "adapters", "safetensors", weights.read_bytes())
    ft = FineTune.objects.create(
        tenant=tenant, name="Acme mascot", trigger_word="acmebot", rank=RANK, alpha=ALPHA
    )
    return LoraAdapter.objects.create(
        tenant=tenant,
        name="Acme mascot",
        version=LoraAdapter.objects.filter(tenant=tenant).count() + 1,
        finetune=ft,
        weights=name,
        sha256="0" * 64,
        trigger_word="acmebot",
        base_model_hash="b" * 64,
        **fields,
    )


@pytest.mark.django_db
def test_export_routes_serve_both_formats_and_older_adapters_after_a_backfill(
    tenant, trained, render, tmp_path, client
):
    import torch

    from generation.training.adapter_exports import write_kohya_export

    adapter = _adapter(tenant, trained)
    kohya = write_kohya_export(tenant.pk, trained, META, rank=RANK, alpha=ALPHA)
    adapter.exports = {"diffusers": adapter.weights.name, "kohya": kohya}
    adapter.save(update_fields=["exports"])
    api = api_client_for(tenant, ["styles:read"])
    url = f"/api/v1/adapters/{adapter.pk}/export/"

    response = api.get(url, {"format": "kohya"})
    assert response.status_code == 200
    assert 'filename="acme-mascot-v1-kohya.safetensors"' in response["Content-Disposition"]
    downloaded = tmp_path / "download.safetensors"
    downloaded.write_bytes(b"".join(response.streaming_content))
    assert downloaded.read_bytes() == storage.read_bytes(kohya)
    expected = render(trained)
    assert torch.allclose(render(downloaded), expected, atol=1e-5)
    default = api.get(url)
    assert default.status_code == 200 and "diffusers" in default["Content-Disposition"]
    assert b"".join(default.streaming_content) == trained.read_bytes()
    bad = api.get(url, {"format": "ckpt"})
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "format"
    detail = api.get(f"/api/v1/adapters/{adapter.pk}/").json()
    assert detail["export_formats"] == ["diffusers", "kohya"]

    client.force_login(owner_of(tenant))
    page = client.get("/finetunes/").content.decode()
    assert f'id="export-kohya-{adapter.pk}"' in page
    web = client.get(f"/adapters/{adapter.pk}/kohya.safetensors")
    assert web.status_code == 200 and b"".join(web.streaming_content) == downloaded.read_bytes()

    # An adapter published before exports existed (no LoRA config in its file either).
    tensors, _ = read(trained)
    older = _adapter(tenant, write(tmp_path / "old.safetensors", tensors, {}))
    answer = api.get(f"/api/v1/adapters/{older.pk}/export/", {"format": "kohya"})
    assert answer.status_code == 409 and answer.json()["error"]["code"] == "export_unavailable"
    assert f'id="export-kohya-{older.pk}"' not in client.get("/finetunes/").content.decode()
    call_command("build_adapter_exports", verbosity=0)
    older.refresh_from_db()
    adapter.refresh_from_db()
    assert sorted(older.exports) == ["diffusers", "kohya"]
    assert adapter.exports["kohya"] == kohya, "adapters that have exports are left alone"
    assert older.weights.name not in older.exports.values(), "the served weights stay as they are"
    for fmt in ("kohya", "diffusers"):
        response = api.get(f"/api/v1/adapters/{older.pk}/export/", {"format": fmt})
        path = tmp_path / f"older-{fmt}.safetensors"
        path.write_bytes(b"".join(response.streaming_content))
        assert read(path)[1]["avatarsaas.trigger_word"] == "acmebot"
        assert torch.allclose(render(path), expected, atol=1e-5), fmt
