"""The GPU bench's --dry-run: the same product code paths on the tiny models, so it cannot rot."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

pytestmark = [pytest.mark.ml, pytest.mark.slow]

BENCH = Path(__file__).resolve().parents[3] / "bench" / "gpu_bench.py"


def test_dry_run_reports_every_figure(tmp_path):
    spec = importlib.util.spec_from_file_location("gpu_bench", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    out = tmp_path / "gpu.json"
    report = module.main(["--dry-run", "--out", str(out)])

    assert json.loads(out.read_text()) == report
    assert report["mode"] == "dry-run-tiny-cpu"
    for kind in ("sd15", "sdxl"):
        model = report["models"][kind]
        assert model["its"]["eager_batch1"] > 0 and model["its"]["eager_batch4"] > 0
        for job in (
            "n1_lora_off",
            "n1_lora_on",
            "n4_lora_off",
            "n4_lora_on",
            "fast_4_steps_lora_on",
        ):
            assert 0 < model["jobs"][job]["p50"] <= model["jobs"][job]["p95"], (kind, job)
