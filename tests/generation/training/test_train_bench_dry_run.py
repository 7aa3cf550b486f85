"""The training bench's CPU run: the production loop on the tiny SD and SDXL models, so the
SDXL path it times on a GPU (`--gpu`) cannot rot where CI has none."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

pytestmark = [pytest.mark.ml, pytest.mark.slow]

BENCH = Path(__file__).resolve().parents[3] / "bench" / "train_bench.py"


def test_cpu_run_reports_sd_and_sdxl(tmp_path):
    spec = importlib.util.spec_from_file_location("train_bench", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    out = tmp_path / "train.json"
    report = module.main(["--steps", "3", "--sdxl-steps", "3", "--out", str(out)])

    assert json.loads(out.read_text()) == report
    sdxl = report.pop("sdxl")
    for result, kind in ((report, "sd1"), (sdxl, "sdxl")):
        assert result["pipeline"] == result["without_latent_cache"]["pipeline"] == kind
        assert result["steps"] == 3 and result["steps_per_second"] > 0
        assert result["vae_encodes"] == 16  # each image once with the cache
        # Same draws with and without the cache: the same loss to the last digit.
        assert result["last_loss"] == result["without_latent_cache"]["last_loss"]
