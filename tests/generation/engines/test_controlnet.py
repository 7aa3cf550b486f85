"""ControlNet on the warm pipeline (tiny SD 1.x and SDXL): built with from_pipe, exact at
scale 0, visible otherwise, together with a brand LoRA, and replayable bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from generation.engines.base import AdapterRef, ControlRef, EngineError
from generation.engines.control_maps import (
    ControlMapError,
    png_bytes,
    prepare_control_map,
    sha256_hex,
)
from generation.engines.diffusers_engine import DiffusersEngine
from generation.engines.diffusers_requests import request_from_metadata

pytestmark = pytest.mark.ml


def test_scale_zero_reproduces_the_base_output_and_a_scale_changes_it(
    sd_engine, make_request, control, pixels
):
    base = pixels(sd_engine.generate(make_request(seeds=(7, 8))))
    zero = pixels(sd_engine.generate(make_request(seeds=(7, 8), controls=(control(scale=0.0),))))
    steered = sd_engine.generate(make_request(seeds=(7, 8), controls=(control(scale=1.0),)))
    assert all(np.array_equal(a, b) for a, b in zip(base, zero, strict=True))
    assert not np.array_equal(pixels(steered)[0], base[0])
    meta = steered[0].metadata
    assert meta["mode"] == "txt2img"
    (recorded,) = meta["controls"]
    assert recorded["type"] == "canny" and recorded["scale"] == 1.0
    assert recorded["map_hash"] == control().map_hash and len(recorded["model_hash"]) == 64


def test_controlnet_pipeline_is_derived_once_and_shares_the_base_modules(
    tiny_models, make_request, control
):
    engine = DiffusersEngine(
        tiny_models.sd_model_dir, device="cpu", controlnet_dirs=tiny_models.controlnet_dirs
    )
    for controls in ((), (control(),), (), (control("lineart", 0.5),), (control(),)):
        engine.generate(make_request(steps=1, controls=controls))
    pipelines = engine.pipelines
    # canny and lineart point at the same tiny weights: one load, one derived pipeline each.
    assert pipelines.controlnet_loads == 1
    assert sorted(pipelines.cached) == ["txt2img+canny", "txt2img+lineart"]
    derived = pipelines.pipeline("txt2img", ("canny",))
    assert type(derived).__name__ == "StableDiffusionControlNetPipeline"
    assert derived.unet is pipelines.base.unet and derived.vae is pipelines.base.vae


def test_two_control_images_combine(sd_engine, make_request, control, pixels):
    one = pixels(sd_engine.generate(make_request(controls=(control(),))))[0]
    both = sd_engine.generate(make_request(controls=(control(), control("silhouette", 0.7))))
    assert not np.array_equal(pixels(both)[0], one)
    assert [c["type"] for c in both[0].metadata["controls"]] == ["canny", "silhouette"]


def test_controlnet_and_brand_lora_in_the_same_job(
    tiny_models, tiny_loras, make_request, control, pixels
):
    engine = DiffusersEngine(
        tiny_models.sd_model_dir, device="cpu", controlnet_dirs=tiny_models.controlnet_dirs
    )
    lora = AdapterRef("brand-v1", str(tiny_loras[0]), 0.8)
    only_lora = pixels(engine.generate(make_request(adapter=lora)))[0]
    only_control = pixels(engine.generate(make_request(controls=(control(),))))[0]
    both = engine.generate(make_request(adapter=lora, controls=(control(),)))
    assert not np.array_equal(pixels(both)[0], only_lora)
    assert not np.array_equal(pixels(both)[0], only_control)
    meta = both[0].metadata
    assert meta["adapter"] == {"version_id": "brand-v1", "strength": 0.8}
    assert meta["controls"][0]["type"] == "canny"
    # The LoRA lives on the shared UNet: switching it off switches it off for ControlNet too.
    again = pixels(engine.generate(make_request(controls=(control(),))))[0]
    assert np.array_equal(again, only_control)


def test_controlnet_render_replays_bit_identically_from_metadata(
    sd_engine, make_request, control, pixels
):
    ref = control("scribble", 0.9)
    first = sd_engine.generate(make_request(seeds=(3, 4), controls=(ref,)))
    replay = sd_engine.generate(request_from_metadata(first[1].metadata, control_maps=[ref.image]))
    assert np.array_equal(pixels(replay)[1], pixels(first)[1])
    with pytest.raises(EngineError, match="control_maps"):
        request_from_metadata(first[1].metadata)


def test_unconfigured_control_type_and_bad_maps_are_engine_errors(
    tiny_models, make_request, control
):
    engine = DiffusersEngine(tiny_models.sd_model_dir, device="cpu", controlnet_dirs={})
    with pytest.raises(EngineError) as exc:
        engine.generate(make_request(controls=(control(),)))
    assert exc.value.code == "controlnet_not_configured"
    assert "AVATARSAAS_CONTROLNET_CANNY" in str(exc.value)
    wrong_size = ControlRef("canny", control(size=128).image, 1.0)
    with pytest.raises(EngineError, match="128x128"):
        engine.generate(make_request(controls=(wrong_size,)))


def test_sdxl_controlnet_from_the_warm_pipeline(tiny_sdxl, make_request, control, pixels):
    sdxl_dir, controlnet_dir = tiny_sdxl
    engine = DiffusersEngine(sdxl_dir, device="cpu", controlnet_dirs={"canny": str(controlnet_dir)})
    assert engine.pipeline_class == "StableDiffusionXLPipeline"
    request = make_request(scheduler="euler_a", steps=2)
    base = pixels(engine.generate(request))[0]
    zero = pixels(
        engine.generate(make_request(scheduler="euler_a", steps=2, controls=(control(scale=0.0),)))
    )[0]
    steered = engine.generate(make_request(scheduler="euler_a", steps=2, controls=(control(),)))
    assert np.array_equal(zero, base)
    assert not np.array_equal(pixels(steered)[0], base)
    derived = engine.pipelines.pipeline("txt2img", ("canny",))
    assert type(derived).__name__ == "StableDiffusionXLControlNetPipeline"
    assert derived.text_encoder_2 is engine.pipelines.base.text_encoder_2


@pytest.mark.parametrize("control_type", ["canny", "lineart", "scribble", "silhouette", "pose"])
def test_preprocessing_makes_a_deterministic_render_size_map(drawing, control_type):
    source = drawing(200)
    first = prepare_control_map(source, control_type, 64)
    again = prepare_control_map(source, control_type, 64)
    assert first.size == (64, 64) and first.mode == "RGB"
    assert sha256_hex(png_bytes(first)) == sha256_hex(png_bytes(again))
    values = np.asarray(first)
    if control_type != "pose":  # pose maps are used as given
        assert set(np.unique(values)) <= {0, 255} and values.max() == 255


def test_silhouette_fills_the_subject_and_leaves_the_background_black(drawing):
    array = np.asarray(prepare_control_map(drawing(128), "silhouette", 128))[..., 0]
    assert array[64, 64] == 255  # inside the circle: filled, although the paper is white there
    assert array[2, 2] == 0 and array[2, 125] == 0


def test_unknown_control_type_is_refused(drawing):
    with pytest.raises(ControlMapError, match="accepted"):
        prepare_control_map(drawing(), "depth", 64)
