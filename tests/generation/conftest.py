"""Tiny random models, built once per test session and shared by the ML tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.styles.conftest import (  # noqa: F401 (fixtures: fine-tune tests live under generation/training)
    pro_tenant,
    small_images,
    staff_user,
)


@pytest.fixture(scope="session")
def tiny_loras(tiny_models, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Two different random LoRA adapters for the tiny UNet."""
    from generation.engines.tiny_models import build_tiny_lora

    root = tmp_path_factory.mktemp("tiny-loras")
    return (
        build_tiny_lora(tiny_models.sd_model_dir, root / "a", seed=1),
        build_tiny_lora(tiny_models.sd_model_dir, root / "b", seed=2),
    )


@pytest.fixture(scope="session")
def sd_engine(tiny_models):
    """A warm engine shared by tests that do not count adapter loads."""
    from generation.engines.diffusers_engine import DiffusersEngine

    engine = DiffusersEngine(
        tiny_models.sd_model_dir, device="cpu", controlnet_dirs=tiny_models.controlnet_dirs
    )
    engine.load()
    return engine


@pytest.fixture(scope="session")
def tiny_sdxl(tmp_path_factory) -> tuple[Path, Path]:
    """A tiny SDXL pipeline and a ControlNet made from its UNet."""
    from generation.engines.tiny_models import build_tiny_controlnet
    from generation.engines.tiny_sdxl import build_tiny_sdxl

    root = tmp_path_factory.mktemp("tiny-sdxl")
    sdxl = build_tiny_sdxl(root / "sdxl")
    return sdxl, build_tiny_controlnet(sdxl, root / "controlnet")


def _drawing(size: int = 64):
    """A dark circle and bar on white paper: a stand-in for a brand's line drawing."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (size, size), "white")
    draw = ImageDraw.Draw(image)
    draw.ellipse((size // 4, size // 4, 3 * size // 4, 3 * size // 4), outline="black", width=3)
    draw.rectangle((size // 8, 7 * size // 8, 7 * size // 8, 7 * size // 8 + 3), fill="navy")
    return image


@pytest.fixture
def drawing():
    return _drawing


@pytest.fixture
def control(drawing):
    """control(type="canny", scale=1.0, size=64) -> a ControlRef with a prepared map."""
    from generation.engines.base import ControlRef
    from generation.engines.control_maps import png_bytes, prepare_control_map, sha256_hex

    def make(control_type: str = "canny", scale: float = 1.0, size: int = 64) -> ControlRef:
        image = prepare_control_map(drawing(size * 2), control_type, size)
        return ControlRef(control_type, image, scale, sha256_hex(png_bytes(image)))

    return make


def _render_request(**overrides):
    from generation.engines.base import RenderRequest

    fields = {
        "prompt": "a friendly robot avatar, flat colours",
        "negative_prompt": "blurry",
        "seeds": (7,),
        "width": 64,
        "height": 64,
        "steps": 3,
        "guidance_scale": 5.0,
        "scheduler": "dpmpp_2m_karras",
    }
    fields.update(overrides)
    return RenderRequest(**fields)


def _pixels(candidates) -> list:
    import numpy as np

    return [np.asarray(c.image) for c in candidates]


@pytest.fixture
def make_request():
    """Build a fast RenderRequest for the tiny model (64 px, 3 steps); kwargs override."""
    return _render_request


@pytest.fixture
def pixels():
    """Candidates -> list of uint8 arrays, for exact pixel comparisons."""
    return _pixels
