"""The recipe's pieces against their definitions: Min-SNR weights, the LR schedule, buckets,
batch order, trigger captions, transparent images, derived steps, recipe validation."""

from __future__ import annotations

import math

import pytest
from PIL import Image

from core.errors import InvalidInput
from core.images import NEUTRAL_BACKGROUND, flatten_alpha, parse_colour
from core.training_recipe import TrainingRecipe, default_epochs
from generation.training.config import TrainConfig
from generation.training.data import (
    DataOrder,
    bucket_sizes,
    caption_with_trigger,
    epoch_batches,
    fit_to_bucket,
    nearest_bucket,
)

pytestmark = pytest.mark.ml


def _scheduler(prediction_type="epsilon"):
    from diffusers import DDPMScheduler

    return DDPMScheduler(
        beta_start=0.00085,
        beta_end=0.012,
        beta_schedule="scaled_linear",
        prediction_type=prediction_type,
    )


@pytest.mark.parametrize("prediction_type", ["epsilon", "v_prediction"])
def test_min_snr_weights_match_the_formula_on_a_fixed_batch(prediction_type):
    import torch

    from generation.training.objective import min_snr_weights

    scheduler = _scheduler(prediction_type)
    timesteps = torch.tensor([0, 10, 100, 400, 999])
    weights = min_snr_weights(scheduler, timesteps, 5.0)
    expected = []
    for t in timesteps.tolist():
        alpha_bar = float(scheduler.alphas_cumprod[t])
        snr = alpha_bar / (1 - alpha_bar)
        expected.append(min(snr, 5.0) / (snr + 1 if prediction_type == "v_prediction" else snr))
    assert torch.allclose(weights, torch.tensor(expected), rtol=1e-5)
    assert weights[0] < 0.1  # low-noise steps (huge SNR) are damped either way
    if prediction_type == "epsilon":
        assert weights[-1] == pytest.approx(1.0)  # the noisiest keep their full weight


def test_min_snr_loss_weights_each_sample_and_none_is_plain_mse():
    import torch
    import torch.nn.functional as F

    from generation.training.objective import diffusion_loss, min_snr_weights

    scheduler = _scheduler()
    gen = torch.Generator().manual_seed(0)
    pred, target = torch.randn(3, 4, 8, 8, generator=gen), torch.randn(3, 4, 8, 8, generator=gen)
    timesteps = torch.tensor([5, 300, 900])
    plain = diffusion_loss(pred, target, timesteps, scheduler, None)
    assert torch.equal(plain, F.mse_loss(pred, target))
    weighted = diffusion_loss(pred, target, timesteps, scheduler, 5.0)
    per_sample = ((pred - target) ** 2).mean(dim=(1, 2, 3))
    expected = (per_sample * min_snr_weights(scheduler, timesteps, 5.0)).mean()
    assert torch.allclose(weighted, expected) and not torch.allclose(weighted, plain)


@pytest.mark.parametrize("schedule", ["cosine", "constant"])
def test_learning_rate_warms_up_then_decays_or_holds(schedule):
    import torch

    from generation.training.objective import lr_schedule_for

    param = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.AdamW([param], lr=1.0)
    recipe = TrainingRecipe(lr_schedule=schedule, warmup_ratio=0.1)
    lr = lr_schedule_for(optimizer, recipe, total_steps=100)
    seen = []
    for _ in range(100):
        seen.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        lr.step()
    assert seen[0] == 0.0 and seen[5] == pytest.approx(0.5) and seen[10] == pytest.approx(1.0)
    if schedule == "cosine":
        assert seen[55] == pytest.approx(0.5, abs=0.02) and seen[-1] < 0.01
        assert all(a >= b for a, b in zip(seen[10:], seen[11:], strict=False))
    else:
        assert all(v == pytest.approx(1.0) for v in seen[10:])


def test_buckets_stay_on_the_grid_within_the_area_and_aspect():
    for resolution, step in [(512, 64), (64, 8)]:
        sizes = bucket_sizes(resolution, step)
        assert (resolution, resolution) in sizes and len(sizes) >= 5
        for w, h in sizes:
            assert w % step == 0 and h % step == 0
            assert w * h <= resolution * resolution
            assert max(w / h, h / w) <= 2.0


@pytest.mark.parametrize("width,height", [(1024, 512), (768, 512), (512, 768), (600, 1000)])
def test_bucketing_keeps_the_aspect_ratio(width, height):
    buckets = bucket_sizes(512, 64)
    w, h = nearest_bucket(width, height, buckets)
    aspect = math.log(width / height)
    assert abs(math.log(w / h) - aspect) < abs(aspect), "closer than the square crop"
    assert abs(math.log(w / h) - aspect) <= 0.2
    assert (w > h) == (width > height)
    # Fitting scales uniformly and crops only what does not fit the bucket's ratio: a circle
    # stays a circle.
    image = Image.new("RGB", (width, height), "white")
    from PIL import ImageDraw

    r = min(width, height) // 3
    ImageDraw.Draw(image).ellipse(
        (width // 2 - r, height // 2 - r, width // 2 + r, height // 2 + r), fill="black"
    )
    fitted = fit_to_bucket(image, (w, h))
    assert fitted.size == (w, h) and fitted.mode == "RGB"
    bbox = Image.eval(fitted.convert("L"), lambda v: 255 - v).point(lambda v: v > 128).getbbox()
    bw, bh = bbox[2] - bbox[0], bbox[3] - bbox[1]
    assert abs(bw - bh) <= 2


def test_square_only_without_bucketing():
    from generation.training.data import image_bucket

    landscape = Image.new("RGB", (128, 64))
    assert image_bucket(landscape, 64, 8, bucketing=False) == (64, 64)
    w, h = image_bucket(landscape, 64, 8, bucketing=True)
    assert w > h


def test_batches_share_a_bucket_cover_every_image_and_follow_the_seed():
    buckets = [(64, 64), (80, 48), (64, 64), (80, 48), (64, 64)]
    batches = epoch_batches(buckets, 2, seed=3, epoch=0)
    assert sorted(i for b in batches for i in b) == list(range(5))
    assert all(len({buckets[i] for i in b}) == 1 for b in batches)
    assert epoch_batches(buckets, 2, seed=3, epoch=0) == batches
    assert [epoch_batches(buckets, 2, seed=3, epoch=e) for e in range(4)] != [batches] * 4
    order = DataOrder(buckets, 2, seed=3)
    assert order.per_epoch == 3 == len(batches)
    assert [order.batch(m) for m in range(3)] == batches
    state = order.state_dict()
    fresh = DataOrder(buckets, 2, seed=3)
    fresh.load_state_dict(state)
    assert fresh.batch(4) == order.batch(4)


@pytest.mark.parametrize(
    "caption,expected",
    [
        ("", "acmebot"),
        ("a blue mascot", "acmebot, a blue mascot"),
        ("acmebot, a blue mascot", "acmebot, a blue mascot"),
        ("the Acmebot waving", "the Acmebot waving"),
        ("acmebots in a row", "acmebot, acmebots in a row"),  # a longer word is not the trigger
    ],
)
def test_the_trigger_goes_into_every_caption(caption, expected):
    assert caption_with_trigger(caption, "acmebot") == expected
    assert caption_with_trigger(caption, "") == caption


def test_transparency_is_composited_over_the_background_not_black():
    logo = Image.new("RGBA", (8, 8), (0, 0, 0, 0))
    logo.putpixel((0, 0), (200, 10, 10, 255))
    logo.putpixel((1, 0), (200, 10, 10, 128))
    flat = flatten_alpha(logo)
    assert flat.mode == "RGB"
    assert flat.getpixel((5, 5)) == NEUTRAL_BACKGROUND
    assert flat.getpixel((0, 0)) == (200, 10, 10)
    assert flat.getpixel((1, 0)) == (227, 132, 132)  # half over white
    assert logo.convert("RGB").getpixel((5, 5)) == (0, 0, 0)  # what the old code trained on
    assert flatten_alpha(logo, (0, 0, 128)).getpixel((5, 5)) == (0, 0, 128)
    palette = logo.convert("P")
    palette.info["transparency"] = palette.getpixel((5, 5))
    assert flatten_alpha(palette).getpixel((5, 5)) == NEUTRAL_BACKGROUND
    opaque = Image.new("RGB", (4, 4), "red")
    assert flatten_alpha(opaque) is opaque
    assert parse_colour("#112233") == (17, 34, 51) and parse_colour("navy") == (0, 0, 128)
    assert parse_colour("not a colour") is None and parse_colour(None) is None


def test_steps_follow_the_dataset_size():
    assert default_epochs(5) == 200 and default_epochs(100) == 20 and default_epochs(1000) == 4
    config = TrainConfig(batch_size=4)
    assert config.steps_for(5) == 250  # 200 passes x 5 images / 4 per step
    assert config.steps_for(1000) == 1000
    assert TrainConfig(batch_size=4, steps=77).steps_for(5) == 77
    accumulate = TrainConfig(batch_size=4, recipe=TrainingRecipe(gradient_accumulation=2))
    assert accumulate.steps_for(1000) == 500
    assert TrainConfig(batch_size=2, recipe=TrainingRecipe(epochs=3)).steps_for(10) == 15


def test_recipe_overrides_are_validated_and_name_the_field():
    recipe = TrainingRecipe.from_dict({"random_flip": True, "ema_decay": 0.99, "epochs": 10})
    assert (recipe.random_flip, recipe.ema_decay, recipe.epochs) == (True, 0.99, 10)
    assert TrainingRecipe.from_dict({"min_snr_gamma": None}).min_snr_gamma is None
    for bad, field in [
        ({"noise_offset": 2}, "recipe.noise_offset"),
        ({"random_flip": "yes"}, "recipe.random_flip"),
        ({"lr_schedule": "linear"}, "recipe.lr_schedule"),
        ({"epochs": 2.5}, "recipe.epochs"),
        ({"gradient_accumulation": None}, "recipe.gradient_accumulation"),
        ({"nope": 1}, "recipe"),
    ]:
        with pytest.raises(InvalidInput) as err:
            TrainingRecipe.from_dict(bad)
        assert err.value.field == field
    stored = {**TrainingRecipe().to_dict(), "retired_switch": 1}
    assert TrainingRecipe.from_stored(stored) == TrainingRecipe()
    lines = TrainingRecipe().describe()
    assert any("never mirrored" in line for line in lines)
    assert any("Min-SNR" in line for line in lines)
