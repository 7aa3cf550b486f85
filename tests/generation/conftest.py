"""Tiny random models, built once per test session and shared by the ML tests."""

from __future__ import annotations

from pathlib import Path

import pytest


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

    engine = DiffusersEngine(tiny_models.sd_model_dir, device="cpu")
    engine.load()
    return engine


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
