"""LoRA adapters: loaded once, switched per job, and exactly off when not requested."""

from __future__ import annotations

import numpy as np
import pytest

from generation.engines.base import AdapterRef, EngineError
from generation.engines.diffusers_engine import DiffusersEngine
from generation.engines.diffusers_requests import request_from_metadata

pytestmark = pytest.mark.ml


@pytest.fixture
def engine(tiny_models):
    # A fresh engine per test: adapter caches and load counts must start empty.
    return DiffusersEngine(tiny_models.sd_model_dir, device="cpu", lora_cache_size=2)


def test_adapter_changes_output_and_is_recorded(engine, tiny_loras, make_request, pixels):
    base = pixels(engine.generate(make_request()))[0]
    styled = engine.generate(make_request(adapter=AdapterRef("v-a", str(tiny_loras[0]), 0.8)))
    assert not np.array_equal(pixels(styled)[0], base)
    assert styled[0].metadata["adapter"] == {"version_id": "v-a", "strength": 0.8}


def test_strength_zero_and_no_adapter_reproduce_base_exactly(
    engine, tiny_loras, make_request, pixels
):
    base = pixels(engine.generate(make_request()))[0]
    a = str(tiny_loras[0])
    assert not np.array_equal(
        pixels(engine.generate(make_request(adapter=AdapterRef("v-a", a))))[0], base
    )
    zero = pixels(engine.generate(make_request(adapter=AdapterRef("v-a", a, 0.0))))[0]
    after = pixels(engine.generate(make_request()))[0]  # adapter still loaded, but disabled
    assert np.array_equal(zero, base)
    assert np.array_equal(after, base)


def test_switching_between_cached_adapters_does_not_reload(
    engine, tiny_loras, make_request, pixels
):
    a = AdapterRef("v-a", str(tiny_loras[0]))
    b = AdapterRef("v-b", str(tiny_loras[1] / "pytorch_lora_weights.safetensors"))  # file path
    first_a = pixels(engine.generate(make_request(adapter=a)))[0]
    first_b = pixels(engine.generate(make_request(adapter=b)))[0]
    again_a = pixels(engine.generate(make_request(adapter=a)))[0]
    engine.generate(make_request())
    again_b = pixels(engine.generate(make_request(adapter=b)))[0]

    assert engine.adapter_loads == 2
    assert not np.array_equal(first_a, first_b)
    assert np.array_equal(first_a, again_a) and np.array_equal(first_b, again_b)


def test_lru_evicts_the_least_recently_used_adapter(tiny_models, tiny_loras, make_request):
    engine = DiffusersEngine(tiny_models.sd_model_dir, device="cpu", lora_cache_size=1)
    a = AdapterRef("v-a", str(tiny_loras[0]))
    b = AdapterRef("v-b", str(tiny_loras[1]))
    for adapter in (a, b, a):
        engine.generate(make_request(adapter=adapter, steps=1))
    assert engine.adapter_loads == 3
    assert engine.cached_adapters == ["v-a"]


def test_adapter_render_replays_from_metadata(engine, tiny_loras, make_request, pixels):
    path = str(tiny_loras[1])
    candidates = engine.generate(make_request(seeds=(3, 4), adapter=AdapterRef("v.b", path, 0.5)))
    replay = engine.generate(request_from_metadata(candidates[1].metadata, adapter_path=path))
    assert np.array_equal(pixels(replay)[1], pixels(candidates)[1])


def test_missing_adapter_weights_are_an_engine_error(engine, tmp_path, make_request):
    with pytest.raises(EngineError) as exc:
        engine.generate(make_request(adapter=AdapterRef("gone", str(tmp_path / "missing"))))
    assert exc.value.code == "adapter_missing"
    assert engine.adapter_loads == 0
