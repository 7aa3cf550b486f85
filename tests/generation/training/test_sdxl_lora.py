"""SDXL LoRA training on the tiny random SDXL pipeline (diffusers' dummy SDXL shapes): the run
trains, the saved adapter loads back (through diffusers and the engine) and reproduces the
trained UNet with alpha != rank, the conditioning is what the SDXL pipeline builds at inference
(both encoders, pooled text, per-sample size/crop time ids), the recipe switches still apply,
and a killed run resumes bit for bit."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from core.training_recipe import TrainingRecipe
from generation.engines.base import AdapterRef, EngineError
from generation.training.config import TrainConfig, TrainExample
from generation.training.lora import LoraRun, train_lora
from tests.generation.training.pipelines import TRIGGER, load_pipeline, render

pytestmark = [pytest.mark.ml, pytest.mark.slow]

# Square, landscape 2:1 (cropped sideways), portrait 1:2 (cropped vertically at 3:2), square.
SIZES = [(48, 48), (64, 32), (30, 60), (40, 40)]


@pytest.fixture(scope="module")
def sdxl_dir(tiny_sdxl):
    return tiny_sdxl[0]


def _picture(seed: int, size) -> Image.Image:
    blocks = np.random.default_rng(seed).integers(0, 256, size=(6, 6, 3), dtype=np.uint8)
    return Image.fromarray(blocks).resize(size, Image.Resampling.NEAREST)


def _examples(sizes=SIZES) -> list[TrainExample]:
    return [
        TrainExample(lambda i=i, s=s: _picture(i, s), f"mascot {i}", key=f"img-{i}")
        for i, s in enumerate(sizes)
    ]


def _config(**overrides) -> TrainConfig:
    recipe = overrides.pop("recipe", {})
    fields = {
        "rank": 8,
        "alpha": 4,  # scale 0.5: a loader that assumes alpha = rank renders twice as strong
        "steps": 3,
        "learning_rate": 5e-2,
        "resolution": 32,
        "batch_size": 2,
        "checkpoint_every": 0,
        "trigger_word": TRIGGER,
        **overrides,
    }
    return TrainConfig(**fields, recipe=TrainingRecipe(**recipe))


def test_pipeline_kind_is_read_from_the_model_directory(tiny_models, sdxl_dir, tmp_path):
    from generation.training.export import export_metadata
    from generation.training.models import SD1, SDXL, pipeline_kind

    assert pipeline_kind(tiny_models.sd_model_dir) == SD1
    assert pipeline_kind(sdxl_dir) == SDXL
    (tmp_path / "model_index.json").write_text(json.dumps({"_class_name": "FluxPipeline"}))
    with pytest.raises(EngineError, match="FluxPipeline"):
        pipeline_kind(tmp_path)
    with pytest.raises(EngineError, match="not a diffusers pipeline"):
        pipeline_kind(tmp_path / "missing")
    meta = {"trigger_word": "t", "base_model_hash": "h", "training": {}, "rank": 4, "alpha": 2}
    assert export_metadata(**meta)["ss_base_model_version"] == "sd_v1"
    xl = export_metadata(**meta, kind=SDXL)
    assert xl["modelspec.architecture"] == "stable-diffusion-xl-v1-base/lora"
    assert xl["ss_base_model_version"] == "sdxl_base_v1-0"


def test_mixed_precision_keeps_frozen_weights_half_and_lora_fp32(sdxl_dir):
    import torch

    from generation.training.models import add_lora, load_components

    for dtype in (torch.bfloat16, torch.float16):
        parts = load_components(sdxl_dir, "cpu", dtype)
        params = add_lora(parts, _config())
        assert params and all(p.dtype == torch.float32 for p in params)
        frozen = [p for p in parts["unet"].parameters() if not p.requires_grad]
        assert frozen and all(p.dtype == dtype for p in frozen)
        assert parts["text_encoder_2"].dtype == dtype
        # SDXL's VAE overflows in fp16 and stays fp32 there; bf16 has the range.
        assert parts["vae"].dtype == (torch.float32 if dtype == torch.float16 else dtype)


def test_sdxl_run_trains_and_the_saved_adapter_renders_like_the_trained_unet(sdxl_dir, tmp_path):
    import torch

    from generation.engines.diffusers_engine import DiffusersEngine
    from generation.training.export import LORA_METADATA_KEY, read, write
    from generation.training.validation import render_grid

    run = LoraRun(sdxl_dir, _examples(), _config(), device="cpu", cache_dir=tmp_path / "c")
    assert run.kind == "sdxl" and str(run.dtype) == "torch.float32"
    before = [p.detach().clone() for p in run.params]
    run.train()
    assert len(run.losses) == 3 and all(np.isfinite(run.losses))
    assert any(not torch.equal(p, q) for p, q in zip(run.params, before, strict=True))
    weights = run.save(tmp_path / "lora", {"avatarsaas.trigger_word": TRIGGER})

    tensors, header = read(weights)
    assert tensors and all(k.startswith("unet.") for k in tensors)  # text encoders frozen
    config = json.loads(header[LORA_METADATA_KEY])
    assert config["unet.r"] == 8 and config["unet.lora_alpha"] == 4
    assert header["avatarsaas.trigger_word"] == TRIGGER

    # The UNet with the loaded adapter computes what the trained UNet computes.
    loaded = load_pipeline(sdxl_dir)
    loaded.load_lora_weights(str(weights.parent), adapter_name="brand")
    gen = torch.Generator().manual_seed(3)
    sample, t = torch.randn(2, 4, 8, 8, generator=gen), torch.tensor([10, 700])
    cond = {
        "encoder_hidden_states": torch.randn(2, 77, 64, generator=gen),
        "added_cond_kwargs": {
            "text_embeds": torch.randn(2, 32, generator=gen),
            "time_ids": torch.tensor([[48.0, 48, 0, 0, 32, 32], [32, 64, 0, 4, 24, 40]]),
        },
    }
    with torch.no_grad():
        want = run.parts["unet"](sample, t, **cond).sample
        got = loaded.unet(sample, t, **cond).sample
        base = load_pipeline(sdxl_dir).unet(sample, t, **cond).sample
    assert torch.allclose(got, want, atol=1e-5)
    assert (want - base).abs().max() > 1e-3, "the adapter changes the UNet"

    trained = load_pipeline(sdxl_dir)
    trained.unet = run.parts["unet"]
    expected = render(trained)
    assert torch.allclose(render(loaded), expected, atol=1e-5)

    # Without its LoRA config the same tensors load at alpha = rank and render differently.
    (tmp_path / "bare").mkdir()
    bare = write(tmp_path / "bare" / weights.name, tensors, {})
    old = load_pipeline(sdxl_dir)
    old.load_lora_weights(str(bare.parent), adapter_name="brand")
    assert (render(old) - expected).abs().max() > 1e-4

    # The production SDXL engine (what the validation grid and jobs use) loads it the same way.
    one = {"trigger_word": TRIGGER, "size": 64, "steps": 2, "prompts": ("{trigger}, a cat",)}
    engine = DiffusersEngine(sdxl_dir, device="cpu")
    assert engine.pipeline_class == "StableDiffusionXLPipeline"
    grid = render_grid(engine, AdapterRef("v1", str(weights)), **one)
    reference = DiffusersEngine(sdxl_dir, device="cpu")
    reference.load().unet = run.parts["unet"]
    plain = render_grid(DiffusersEngine(sdxl_dir, device="cpu"), None, **one)
    for cell, want_cell, base_cell in zip(
        grid, render_grid(reference, None, **one), plain, strict=True
    ):
        got_px, want_px = np.asarray(cell.image, np.int16), np.asarray(want_cell.image, np.int16)
        assert np.abs(got_px - want_px).max() <= 1, cell.prompt
        assert np.abs(got_px - np.asarray(base_cell.image, np.int16)).max() > 1


def test_conditioning_matches_the_sdxl_pipeline_with_each_samples_size_and_crop(sdxl_dir, tmp_path):
    import torch

    cached = LoraRun(
        sdxl_dir,
        _examples(),
        _config(recipe={"random_flip": True}),
        device="cpu",
        cache_dir=tmp_path / "c",
    )
    uncached = LoraRun(
        sdxl_dir,
        _examples(),
        _config(cache_latents=False, recipe={"random_flip": True}),
        device="cpu",
    )
    enc = cached.encoder
    # Placements: (original w, h), scaled size, centre-crop corner in the bucket.
    assert enc.buckets == [(32, 32), (40, 24), (24, 40), (32, 32)]
    assert [p.original for p in enc.placements] == SIZES
    assert enc.placements[1].left > 0 == enc.placements[1].top  # 2:1 into 5:3, cut sideways
    assert enc.placements[2].top > 0 == enc.placements[2].left  # 1:2 into 3:5, cut vertically
    assert enc.placements == uncached.encoder.placements

    # Text: both encoders' penultimate states side by side, and encoder 2's pooled output,
    # exactly what StableDiffusionXLPipeline.encode_prompt gives at inference; cached rows too.
    pipe = load_pipeline(sdxl_dir)
    with torch.no_grad():
        embeds, _, pooled, _ = pipe.encode_prompt(
            enc.captions[1], device="cpu", do_classifier_free_guidance=False
        )
    for text in (enc.text([1], [False]), uncached.encoder.text([1], [False])):
        assert text["hidden"].shape == (1, 77, 64) and text["pooled"].shape == (1, 32)
        assert torch.allclose(text["hidden"], embeds, atol=1e-6)
        assert torch.allclose(text["pooled"], pooled, atol=1e-6)
    saved = torch.load(enc.cache_dir / "000001-text.pt", weights_only=True)
    assert set(saved) == {"hidden", "pooled"}
    dropped = enc.text([1], [True])
    assert torch.allclose(dropped["pooled"], enc.encode_texts([TRIGGER])["pooled"])
    assert not torch.allclose(dropped["pooled"], pooled)

    # Time ids: the pipeline's own layout, one row per sample, from its own size and crop.
    for index in (1, 2):
        place, bucket = enc.placements[index], enc.buckets[index]
        ids = enc.unet_conditioning([index], [False], [False])["added_cond_kwargs"]["time_ids"]
        want = pipe._get_add_time_ids(
            (place.original[1], place.original[0]),
            (place.top, place.left),
            (bucket[1], bucket[0]),
            dtype=torch.float32,
            text_encoder_projection_dim=32,
        )
        assert torch.equal(ids, want)
    # Mirrored, the crop's left edge is measured from the other side.
    plain, mirrored = (
        enc.unet_conditioning([1], [False], [f])["added_cond_kwargs"]["time_ids"][0]
        for f in (False, True)
    )
    scaled_width, bucket_width = enc.placements[1].scaled[0], enc.buckets[1][0]
    assert mirrored[3] == scaled_width - bucket_width - plain[3]
    assert (
        plain[:3].tolist() == mirrored[:3].tolist() and plain[4:].tolist() == mirrored[4:].tolist()
    )

    # What reaches the UNet while training: per-sample rows, never one constant.
    seen = []

    def spy(_module, _args, kwargs):
        seen.append(kwargs["added_cond_kwargs"]["time_ids"].clone())

    handle = cached.parts["unet"].register_forward_pre_hook(spy, with_kwargs=True)
    try:
        for _ in range(4):  # an epoch is 3 batches (one bucket holds two images)
            cached.train_step()
    finally:
        handle.remove()
    rows = {tuple(r.tolist()) for ids in seen for r in ids}
    assert len(rows) >= 3, rows
    assert {(r[0], r[1]) for r in rows} >= {(32.0, 64.0), (60.0, 30.0)}  # (h, w) originals
    assert all((r[4], r[5]) in {(32, 32), (24, 40), (40, 24)} for r in rows)


def test_recipe_switches_apply_and_a_killed_sdxl_run_resumes_bit_for_bit(sdxl_dir, tmp_path):
    import torch
    from safetensors.torch import load_file

    class Killed(BaseException):
        pass

    everything = {
        "random_flip": True,
        "caption_dropout": 0.3,
        "noise_offset": 0.1,
        "gradient_accumulation": 2,
        "ema_decay": 0.9,
        "min_snr_gamma": 5.0,
        "lr_schedule": "cosine",
    }
    config = _config(steps=4, checkpoint_every=2, recipe=everything)
    whole = train_lora(sdxl_dir, _examples(), config, device="cpu", output_dir=tmp_path / "whole")
    assert whole.steps == 4 and all(np.isfinite(whole.losses))

    blobs = {}

    def die_at_3(step, total, loss):
        if step == 3:
            raise Killed

    with pytest.raises(Killed):
        train_lora(
            sdxl_dir,
            _examples(),
            config,
            device="cpu",
            on_step=die_at_3,
            on_checkpoint=lambda step, blob: blobs.__setitem__(step, blob),
            output_dir=tmp_path / "killed",
        )
    resumed = train_lora(
        sdxl_dir,
        _examples(),
        config,
        device="cpu",
        resume=blobs[2],
        output_dir=tmp_path / "resumed",
    )
    assert resumed.resumed_from == 2 and resumed.losses == whole.losses
    a = load_file(tmp_path / "whole" / "pytorch_lora_weights.safetensors")
    b = load_file(tmp_path / "resumed" / "pytorch_lora_weights.safetensors")
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)

    # Noise offset and caption dropout act on SDXL draws as on SD 1.x ones.
    on = LoraRun(sdxl_dir, _examples(), config, device="cpu", cache_dir=tmp_path / "x")
    plain = LoraRun(
        sdxl_dir,
        _examples(),
        _config(recipe={**everything, "noise_offset": 0.0}),
        device="cpu",
        cache_dir=tmp_path / "x",
    )
    first, second = on.draw([1]), plain.draw([1])
    shift = first.noise - second.noise
    assert shift.abs().max() > 0
    assert torch.allclose(shift, shift.mean(dim=(2, 3), keepdim=True), atol=1e-6)


def test_best_checkpoint_validation_renders_with_the_sdxl_pipeline(tiny_models, sdxl_dir, tmp_path):
    from generation.engines.scoring import ClipScorer
    from generation.training.best_checkpoint import CheckpointValidator, blended

    scorer = ClipScorer(tiny_models.clip_arch, tiny_models.clip_checkpoint, device="cpu")
    validator = CheckpointValidator(
        scorer,
        trigger_word=TRIGGER,
        size=32,
        steps=2,
        prompts=["{trigger}, a robot"],
        combine=lambda step, clip, brand: blended(clip, brand) + (10.0 if step == 1 else 0.0),
    )
    result = train_lora(
        sdxl_dir,
        _examples(),
        _config(steps=2, recipe={"validation_every": 1}),
        device="cpu",
        output_dir=tmp_path / "out",
        validator=validator,
    )
    assert [p["step"] for p in result.validation_curve] == [1, 2]
    assert all(-1 <= p["clip"] <= 1 for p in result.validation_curve)
    assert result.best_step == 1

    # The validator decodes the latents itself (the VAE in its own dtype): the same pixels as
    # the SDXL pipeline's own decoding where both run in fp32.
    import torch

    from generation.training.sdxl import validation_pipeline

    run = LoraRun(sdxl_dir, _examples(), _config(), device="cpu", cache_dir=tmp_path / "c")
    [(prompt, [image])] = validator.render(run)
    pipe = validation_pipeline(run.parts, validator._pipeline(run).scheduler)
    with torch.inference_mode():
        want = pipe(
            prompt,
            num_inference_steps=2,
            height=32,
            width=32,
            generator=torch.Generator("cpu").manual_seed(11),
        ).images[0]
    assert np.array_equal(np.asarray(image), np.asarray(want))


@pytest.mark.django_db
def test_a_worker_trains_validates_and_publishes_an_sdxl_adapter(
    pro_tenant, staff_user, small_images, use_tiny_models, sdxl_dir, settings, tmp_path
):
    from core import storage
    from generation.engines import registry as engine_registry
    from generation.training import finetune_runner
    from generation.training.export import LORA_METADATA_KEY, read
    from styles.models import LoraAdapter
    from styles.services import finetunes
    from styles.services.adapters import local_weights_path
    from tenants.actors import Actor
    from tests.factories import owner_of
    from tests.styles.conftest import TINY_HYPERPARAMETERS, make_dataset

    settings.AVATARSAAS_SD_MODEL = str(sdxl_dir)  # the only switch: the directory says SDXL
    settings.AVATARSAAS_CONTROLNET_MODELS = {}
    settings.AVATARSAAS_VALIDATION_STEPS = 2
    engine_registry.reset()
    owner = Actor(user=owner_of(pro_tenant))
    ft = finetunes.create_finetune(
        tenant=pro_tenant,
        actor=owner,
        dataset_id=make_dataset(pro_tenant).pk,
        name="Acme XL",
        **{**TINY_HYPERPARAMETERS, "alpha": 2, "steps": 10, "checkpoint_every": 5},
    )
    finetunes.submit_finetune(tenant=pro_tenant, actor=owner, finetune_id=ft.pk)
    finetunes.approve_finetune(finetune_id=ft.pk, staff_user=staff_user)

    ft = finetune_runner.process_finetune(ft.pk)
    assert ft.state == "ready", (ft.failure_code, ft.failure_message)
    assert len(ft.loss_curve) == 10 and all(np.isfinite([loss for _, loss in ft.loss_curve]))
    assert len([c for c in ft.validation if "prompt" in c]) == 6  # rendered by the SDXL engine
    adapter = LoraAdapter.objects.get(finetune=ft)
    tensors, header = read(local_weights_path(adapter))
    assert header["modelspec.architecture"] == "stable-diffusion-xl-v1-base/lora"
    assert header["ss_base_model_version"] == "sdxl_base_v1-0"
    config = json.loads(header[LORA_METADATA_KEY])
    assert (config["unet.r"], config["unet.lora_alpha"]) == (4, 2)
    assert tensors and all(k.startswith("unet.") for k in tensors)
    # The kohya file carries the true alpha (2), not the converter's alpha = rank (4).
    kohya_path = tmp_path / "kohya.safetensors"
    kohya_path.write_bytes(storage.read_bytes(adapter.exports["kohya"]))
    kohya, kohya_header = read(kohya_path)
    alphas = {float(v) for k, v in kohya.items() if k.endswith(".alpha")}
    assert alphas == {2.0} and all(k.startswith("lora_unet_") for k in kohya)
    assert kohya_header["ss_base_model_version"] == "sdxl_base_v1-0"
