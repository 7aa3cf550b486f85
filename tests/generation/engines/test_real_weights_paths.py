"""What must hold before real weights run on a GPU: dtypes, OOM splitting, speed options,
warm-up, few-step mode with two adapters, fused LoRA. All on the tiny SD model, on the CPU."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from generation.engines import few_step
from generation.engines.base import AdapterRef, EngineError
from generation.engines.diffusers_engine import DiffusersEngine, native_side
from generation.engines.diffusers_requests import request_from_metadata
from generation.engines.loading import assert_dtypes, dtype_kwargs
from generation.engines.speed import SpeedOptions

pytestmark = pytest.mark.ml


def mad(a, b) -> float:
    return float(np.abs(a.astype(float) - b.astype(float)).mean())


# -- dtypes ---------------------------------------------------------------------------------


def test_dtype_keyword_follows_the_installed_diffusers(monkeypatch):
    from diffusers.utils import deprecation_utils

    assert dtype_kwargs(torch.float16) == {"dtype": torch.float16}
    # A diffusers from before the rename reads only torch_dtype (and ignores dtype silently).
    monkeypatch.delattr(deprecation_utils, "_resolve_dtype")
    assert dtype_kwargs(torch.float16) == {"torch_dtype": torch.float16}


def test_loaded_dtypes_are_asserted_and_recorded(sd_engine, make_request):
    assert sd_engine.loaded_dtypes["unet"] == "float32"
    assert sd_engine.loaded_dtypes["text_encoder"] == "float32"
    meta = sd_engine.generate(make_request())[0].metadata
    assert meta["dtype"] == "float32" and meta["module_dtypes"]["vae"] == "float32"


def test_a_module_in_the_wrong_dtype_is_refused(tiny_models):
    engine = DiffusersEngine(tiny_models.sd_model_dir, device="cpu")
    pipe = engine.load()
    assert_dtypes(pipe, torch.float32)
    pipe.text_encoder.to(torch.float64)
    try:
        with pytest.raises(EngineError, match="text_encoder is float64") as exc:
            assert_dtypes(pipe, torch.float32)
        assert exc.value.code == "dtype_mismatch"
        # The VAE may run upcast (fp32 beside an fp16 UNet): reported, never refused.
        pipe.text_encoder.to(torch.float32)
        pipe.vae.to(torch.float64)
        assert_dtypes(pipe, torch.float32)
    finally:
        pipe.vae.to(torch.float32)


# -- out of memory --------------------------------------------------------------------------


def _oom_above(engine, monkeypatch, max_batch: int) -> list[int]:
    """Make every pipeline call above `max_batch` images raise CUDA's OOM; return batch sizes."""
    calls: list[int] = []
    real = DiffusersEngine._call_pipeline

    def call(task_pipe, **kwargs):
        calls.append(kwargs["num_images_per_prompt"])
        if kwargs["num_images_per_prompt"] > max_batch:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return real(task_pipe, **kwargs)

    monkeypatch.setattr(engine, "_call_pipeline", call)
    return calls


def test_out_of_memory_splits_the_batch_and_keeps_every_seed(
    tiny_models, make_request, pixels, monkeypatch
):
    engine = DiffusersEngine(tiny_models.sd_model_dir, device="cpu")
    calls = _oom_above(engine, monkeypatch, max_batch=1)
    candidates = engine.generate(make_request(seeds=(1, 2, 3)))

    assert calls == [3, 2, 1, 1, 1]  # 3 -> (2 -> 1 + 1) + 1
    assert [c.seed for c in candidates] == [1, 2, 3]
    assert [c.metadata["batch_seeds"] for c in candidates] == [[1], [2], [3]]
    monkeypatch.undo()
    # Each split candidate is exactly its seed's solo render, and replays from its metadata.
    for candidate in candidates:
        solo = engine.generate(make_request(seeds=(candidate.seed,)))
        assert np.array_equal(pixels(solo)[0], pixels([candidate])[0])
        replay = engine.generate(request_from_metadata(candidate.metadata))
        assert np.array_equal(pixels(replay)[0], pixels([candidate])[0])


def test_one_image_that_does_not_fit_is_its_own_failure_code(
    tiny_models, make_request, monkeypatch
):
    engine = DiffusersEngine(tiny_models.sd_model_dir, device="cpu")
    _oom_above(engine, monkeypatch, max_batch=0)
    with pytest.raises(EngineError, match="Out of GPU memory") as exc:
        engine.generate(make_request(seeds=(1, 2)))
    assert exc.value.code == "out_of_memory"


# -- speed options --------------------------------------------------------------------------


def test_speed_options_parse_and_refuse_unknown_names():
    assert SpeedOptions.parse("auto", device="cpu").enabled == frozenset()
    assert SpeedOptions.parse("auto", device="cuda").enabled == {"channels_last", "cudnn_benchmark"}
    assert SpeedOptions.parse("none", device="cuda").enabled == frozenset()
    assert "compile" in SpeedOptions.parse("compile, fuse_lora", device="cuda")
    for bad, field in (("turbo_boost", "AVATARSAAS_SPEED"), ("compile,fuse_qkv", "compile")):
        with pytest.raises(EngineError, match=field):
            SpeedOptions.parse(bad, device="cuda")
    with pytest.raises(EngineError, match="AVATARSAAS_COMPILE_MODE"):
        SpeedOptions.parse("compile", device="cuda", compile_mode="ludicrous")


def test_channels_last_and_fused_qkv_keep_the_image(
    tiny_models, tiny_loras, sd_engine, make_request, pixels
):
    fast = DiffusersEngine(
        tiny_models.sd_model_dir,
        device="cpu",
        speed=SpeedOptions.parse("channels_last,fuse_qkv", device="cpu"),
    )
    fast.load()
    assert fast.speed_applied == ["channels_last", "fuse_qkv"]
    request = make_request(seeds=(4,))
    assert mad(pixels(fast.generate(request))[0], pixels(sd_engine.generate(request))[0]) < 1.0

    # A fused q/k/v projection would bypass the LoRA layers: an adapter unfuses first, and the
    # brand's look is exactly the unfused engine's.
    adapter = AdapterRef("rw-a", str(tiny_loras[0]))
    branded = make_request(seeds=(4,), adapter=adapter)
    with_lora = fast.generate(branded)
    assert "fuse_qkv" not in fast.speed_applied
    plain = DiffusersEngine(tiny_models.sd_model_dir, device="cpu")
    assert mad(pixels(with_lora)[0], pixels(plain.generate(branded))[0]) < 1.0
    assert mad(pixels(with_lora)[0], pixels(sd_engine.generate(request))[0]) > 1.0


def test_vae_slicing_and_tiling_follow_batch_and_size(tiny_models, make_request, pixels):
    on = DiffusersEngine(
        tiny_models.sd_model_dir,
        device="cpu",
        speed=SpeedOptions.parse("none", device="cpu", vae_memory="on"),
    )
    off = DiffusersEngine(tiny_models.sd_model_dir, device="cpu")
    tile = on.load().vae.config.sample_size  # the tiny VAE tiles above 32 px
    request = make_request(seeds=(1, 2), width=tile, height=tile)
    sliced = on.generate(request)
    assert sliced[0].metadata["speed"]["vae_slicing"] is True
    assert sliced[0].metadata["speed"]["vae_tiling"] is False
    unsliced = off.generate(request)
    assert unsliced[0].metadata["speed"]["vae_slicing"] is False
    # Slicing decodes one latent at a time: the same pictures (up to kernel rounding).
    for a, b in zip(pixels(sliced), pixels(unsliced), strict=True):
        assert mad(a, b) < 1.0
    single = on.generate(make_request(seeds=(1,), width=2 * tile, height=2 * tile))
    assert single[0].metadata["speed"]["vae_slicing"] is False
    assert single[0].metadata["speed"]["vae_tiling"] is True
    assert single[0].image.size == (2 * tile, 2 * tile)


@pytest.mark.slow
def test_compiled_unet_renders_the_same_image_on_cpu(tiny_models, sd_engine, make_request, pixels):
    compiled = DiffusersEngine(
        tiny_models.sd_model_dir,
        device="cpu",
        speed=SpeedOptions.parse("compile", device="cpu"),
    )
    compiled.warm_up()  # compiles at the native size
    assert "compile" in compiled.speed_applied
    assert type(compiled.load().unet).__name__ == "OptimizedModule"
    side = native_side(compiled.load())
    request = make_request(seeds=(9,), width=side, height=side)
    got = pixels(compiled.generate(request))[0]
    want = pixels(sd_engine.generate(request))[0]
    assert mad(got, want) < 1.0 and np.abs(got.astype(int) - want.astype(int)).max() <= 8


# -- warm-up --------------------------------------------------------------------------------


def test_warm_up_loads_and_runs_one_step_once(tiny_models, monkeypatch):
    engine = DiffusersEngine(tiny_models.sd_model_dir, device="cpu")
    steps: list[int] = []
    real = DiffusersEngine._call_pipeline

    def call(task_pipe, **kwargs):
        steps.append(kwargs["num_inference_steps"])
        return real(task_pipe, **kwargs)

    monkeypatch.setattr(engine, "_call_pipeline", call)
    assert not engine.warm
    engine.warm_up()
    engine.warm_up()
    assert engine.warm and steps == [1]
    assert engine.describe()["warm"] is True


# -- few-step mode and two adapters ---------------------------------------------------------


@pytest.fixture(scope="module")
def lcm_engine(tiny_models, tiny_loras):
    # The second tiny LoRA stands in for an LCM-LoRA: what is tested is that both adapters are
    # active with their own weights and the few-step plan is applied, not LCM's quality.
    engine = DiffusersEngine(
        tiny_models.sd_model_dir, device="cpu", fast_kind="lcm_lora", fast_lora=tiny_loras[1]
    )
    engine.load()
    return engine


def test_fast_mode_runs_the_lcm_lora_beside_the_brand_lora(
    lcm_engine, tiny_loras, make_request, pixels
):
    brand = AdapterRef("rw-a", str(tiny_loras[0]), strength=0.8)
    fast_branded = lcm_engine.generate(make_request(adapter=brand, fast=True))[0]
    meta = fast_branded.metadata
    plan = few_step.plan_for("lcm_lora")
    assert meta["scheduler"] == "lcm" and meta["steps"] == plan.steps == 4
    assert meta["guidance_scale"] == plan.guidance_scale and meta["fast_kind"] == "lcm_lora"
    assert meta["active_adapters"] == [
        {"name": "rw-a", "weight": 0.8},
        {"name": few_step.FAST_ADAPTER, "weight": 1.0},
    ]
    pipe = lcm_engine.load()
    assert set(pipe.get_active_adapters()) == {"rw-a", few_step.FAST_ADAPTER}

    fast_only = lcm_engine.generate(make_request(fast=True))[0]
    assert fast_only.metadata["active_adapters"] == [{"name": few_step.FAST_ADAPTER, "weight": 1.0}]
    base_fast = make_request(fast=True)
    assert not np.array_equal(pixels([fast_branded])[0], pixels([fast_only])[0])
    # Standard renders on the same engine run without the LCM-LoRA.
    standard = lcm_engine.generate(make_request())[0]
    assert standard.metadata["active_adapters"] == [] and standard.metadata["fast"] is False
    # A fast candidate replays exactly from its metadata.
    replay = lcm_engine.generate(request_from_metadata(fast_only.metadata))
    assert np.array_equal(pixels(replay)[0], pixels([fast_only])[0])
    assert lcm_engine.generate(base_fast)[0].metadata["steps"] == 4


def test_fast_mode_without_a_few_step_model_is_refused(sd_engine, make_request):
    with pytest.raises(EngineError, match="AVATARSAAS_FAST_MODE") as exc:
        sd_engine.generate(make_request(fast=True))
    assert exc.value.code == "fast_not_configured"


def test_fused_lora_matches_the_unfused_adapter_and_unfuses_cleanly(
    tiny_models, tiny_loras, sd_engine, make_request, pixels
):
    fused = DiffusersEngine(
        tiny_models.sd_model_dir,
        device="cpu",
        speed=SpeedOptions.parse("fuse_lora", device="cpu"),
    )
    a = AdapterRef("rw-a", str(tiny_loras[0]), strength=0.7)
    b = AdapterRef("rw-b", str(tiny_loras[1]))
    for adapter in (a, b, None, a):
        request = make_request(seeds=(3,), adapter=adapter)
        got = pixels(fused.generate(request))[0]
        want = pixels(sd_engine.generate(request))[0]
        assert mad(got, want) < 0.5, adapter
