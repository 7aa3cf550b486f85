"""The diffusers engine on the tiny SD model: loading, determinism, schedulers, guards."""

from __future__ import annotations

import json

import numpy as np
import pytest

from generation.engines.base import EngineError, ModelNotConfigured, PromptBlocked
from generation.engines.diffusers_engine import DiffusersEngine
from generation.engines.diffusers_requests import SCHEDULERS, check_prompt, request_from_metadata
from generation.engines.loading import model_hash, pick_device

pytestmark = pytest.mark.ml


def test_tiny_model_is_saved_in_diffusers_layout(tiny_models):
    root = tiny_models.sd_model_dir
    index = json.loads((root / "model_index.json").read_text())
    assert index["_class_name"] == "StableDiffusionPipeline"
    for part in ("unet", "vae", "text_encoder", "tokenizer", "scheduler"):
        assert (root / part).is_dir(), part
    size = sum(f.stat().st_size for f in root.rglob("*") if f.is_file())
    assert size < 20 * 2**20


def test_production_loader_renders_one_image_per_seed(sd_engine, make_request):
    request = make_request(seeds=(1, 2, 3))
    candidates = sd_engine.generate(request)

    assert [c.seed for c in candidates] == [1, 2, 3]
    assert [c.index for c in candidates] == [0, 1, 2]
    assert all(c.image.size == (64, 64) and c.image.mode == "RGB" for c in candidates)
    meta = candidates[1].metadata
    assert meta["engine"] == "diffusers"
    assert meta["model_hash"] == model_hash(sd_engine.model_dir)
    assert meta["seed"] == 2 and meta["batch_index"] == 1 and meta["batch_seeds"] == [1, 2, 3]
    assert meta["adapter"] is None
    assert {"torch", "diffusers", "peft"} <= set(meta["versions"])
    json.dumps(meta)  # must be storable as-is


def test_same_request_gives_identical_pixels(sd_engine, make_request, pixels):
    request = make_request(seeds=(11, 12))
    first = pixels(sd_engine.generate(request))
    second = pixels(sd_engine.generate(request))
    assert all(np.array_equal(a, b) for a, b in zip(first, second, strict=True))


def test_a_fresh_engine_reproduces_the_same_pixels(tiny_models, sd_engine, make_request, pixels):
    request = make_request(seeds=(5,))
    fresh = DiffusersEngine(tiny_models.sd_model_dir, device="cpu")
    assert np.array_equal(
        pixels(sd_engine.generate(request))[0], pixels(fresh.generate(request))[0]
    )


def test_different_seeds_give_different_images(sd_engine, make_request, pixels):
    a, b = pixels(sd_engine.generate(make_request(seeds=(1, 2))))
    assert not np.array_equal(a, b)


def test_candidate_rerenders_exactly_from_its_metadata(sd_engine, make_request, pixels):
    candidates = sd_engine.generate(make_request(seeds=(21, 22, 23)))
    target = candidates[2]
    replay = sd_engine.generate(request_from_metadata(target.metadata))
    assert np.array_equal(pixels(replay)[target.metadata["batch_index"]], pixels([target])[0])


def test_batching_barely_changes_pixels_versus_a_solo_render(sd_engine, make_request, pixels):
    # CPU conv/attention kernels round differently per batch size, so a batched candidate is
    # not always bit-identical to rendering its seed alone (hence batch_seeds in metadata);
    # the difference is a rounding step in a few pixels, not a different image.
    seeds = (31, 32, 33, 34)
    batched = pixels(sd_engine.generate(make_request(seeds=seeds)))
    for seed, image in zip(seeds, batched, strict=True):
        solo = pixels(sd_engine.generate(make_request(seeds=(seed,))))[0]
        diff = np.abs(image.astype(int) - solo.astype(int))
        assert diff.max() <= 8 and diff.mean() < 0.5


def test_progress_reports_every_step(sd_engine, make_request):
    calls = []
    sd_engine.generate(
        make_request(steps=3), progress=lambda step, total: calls.append((step, total))
    )
    assert calls == [(1, 3), (2, 3), (3, 3)]


@pytest.mark.parametrize("scheduler", sorted(SCHEDULERS))
def test_every_named_scheduler_renders(sd_engine, make_request, scheduler):
    candidates = sd_engine.generate(make_request(scheduler=scheduler, steps=2))
    assert candidates[0].metadata["scheduler"] == scheduler
    assert np.asarray(candidates[0].image).std() > 0


def test_unknown_scheduler_is_an_engine_error_naming_accepted_values(sd_engine, make_request):
    with pytest.raises(EngineError) as exc:
        sd_engine.generate(make_request(scheduler="plms"))
    for name in SCHEDULERS:
        assert name in str(exc.value)


def test_blocked_prompt_is_refused_before_rendering(sd_engine, make_request):
    with pytest.raises(PromptBlocked, match="nsfw"):
        sd_engine.generate(make_request(prompt="an NSFW robot"))
    # Negative prompts name blocked words on purpose; they must not trip the filter.
    check_prompt("a robot")
    assert sd_engine.generate(make_request(negative_prompt="nsfw, gore"))


def test_missing_or_empty_model_dir_is_model_not_configured(tmp_path):
    with pytest.raises(ModelNotConfigured, match="AVATARSAAS_SD_MODEL"):
        DiffusersEngine(None)
    with pytest.raises(ModelNotConfigured):
        DiffusersEngine(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelNotConfigured, match="empty"):
        DiffusersEngine(tmp_path / "empty")


def test_model_hash_is_stable_and_follows_content(tmp_path):
    (tmp_path / "a.bin").write_bytes(b"one")
    first = model_hash(tmp_path)
    assert model_hash(tmp_path) == first
    (tmp_path / "a.bin").write_bytes(b"two")
    assert model_hash(tmp_path) != first


def test_describe_names_model_and_device(sd_engine):
    info = sd_engine.describe()
    assert info["engine"] == "diffusers"
    assert info["device"] == "cpu" and info["dtype"] == "float32"
    assert info["model_hash"] == model_hash(sd_engine.model_dir)
    assert pick_device("cpu")[0] == "cpu"


@pytest.mark.parametrize("flag_everything", [False, True])
def test_safety_checker_runs_when_configured(tiny_models, tmp_path, make_request, flag_everything):
    from generation.engines.tiny_models import build_tiny_safety_checker

    checker_dir = build_tiny_safety_checker(tmp_path / "checker", flag_everything=flag_everything)
    engine = DiffusersEngine(tiny_models.sd_model_dir, device="cpu", safety_checker_dir=checker_dir)
    request = make_request(seeds=(1, 2), steps=1)
    if flag_everything:
        with pytest.raises(EngineError) as exc:
            engine.generate(request)
        assert exc.value.code == "output_blocked"
    else:
        candidates = engine.generate(request)
        assert len(candidates) == 2 and candidates[0].metadata["safety_checked"] is True
