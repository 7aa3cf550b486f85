"""Packing off the render loop, measured: wall time per job over engine time per job for one
warm worker draining a backlog, with `AVATARSAAS_PACKING_OVERLAP` off and on.

Run through `python bench/queue_bench.py --packing` (it sets up the database). Blocks alternate
off / on inside one process so both modes see the same load on a shared machine; each block
uses a fresh workspace (the result cache is per workspace, so no job is a cache hit).
"""

from __future__ import annotations

import platform
import statistics
import time

from django.conf import settings
from django.test import override_settings

from generation.models import GenerationJob
from generation.worker import runner


def _block(overlap: bool, jobs: int, seed0: int, engine: str, size: int, steps: int) -> dict:
    from bench.queue_bench import make_tenant, submit

    tenant, actor = make_tenant(f"packing-{'on' if overlap else 'off'}-{seed0}")
    ids = [submit(tenant, actor, n=1, seed=seed0 + i).pk for i in range(jobs)]
    with override_settings(AVATARSAAS_PACKING_OVERLAP=overlap):
        started = time.perf_counter()
        done = 0
        while done < jobs:
            ran = runner.process_queue("bench")
            if not ran:
                break
            done += ran
        elapsed = time.perf_counter() - started
    rows = list(GenerationJob.objects.filter(pk__in=ids))
    assert all(r.status == "succeeded" for r in rows), [r.failure_message for r in rows]
    engine_s = [r.engine_seconds for r in rows]
    latency = [(r.finished_at - r.started_at).total_seconds() for r in rows]
    return {
        "overlap": overlap,
        "jobs": jobs,
        "elapsed_s": elapsed,
        "wall_per_job_s": elapsed / jobs,
        "engine_per_job_s": statistics.mean(engine_s),
        "wall_over_engine": elapsed / sum(engine_s),
        "latency_p50_s": statistics.median(latency),
        "latency_over_engine_p50": statistics.median(
            lat / eng for lat, eng in zip(latency, engine_s, strict=True)
        ),
    }


def run_packing(*, jobs: int, rounds: int, engine: str, size: int, steps: int) -> dict:
    from bench.queue_bench import make_tenant, submit

    # Warm-up: imports, the engine, the first encodes.
    tenant, actor = make_tenant("packing-warmup")
    submit(tenant, actor, n=1, seed=0)
    runner.process_one("bench")
    blocks = []
    for r in range(rounds):
        for overlap in (False, True):
            blocks.append(_block(overlap, jobs, 1000 * (r + 1), engine, size, steps))

    def summary(overlap: bool) -> dict:
        mine = [b for b in blocks if b["overlap"] is overlap]
        return {
            "wall_over_engine": sum(b["elapsed_s"] for b in mine)
            / sum(b["engine_per_job_s"] * b["jobs"] for b in mine),
            "wall_per_job_s": statistics.median(b["wall_per_job_s"] for b in mine),
            "engine_per_job_s": statistics.median(b["engine_per_job_s"] for b in mine),
            "latency_over_engine_p50": statistics.median(
                b["latency_over_engine_p50"] for b in mine
            ),
        }

    off, on = summary(False), summary(True)
    return {
        "engine": engine,
        "size": size,
        "steps": steps,
        "jobs_per_block": jobs,
        "rounds": rounds,
        "packing_queue": settings.AVATARSAAS_PACKING_QUEUE,
        "cpu": platform.processor() or platform.machine(),
        "summary": {
            "overlap_off": off,
            "overlap_on": on,
            "throughput_gain": off["wall_per_job_s"] / on["wall_per_job_s"],
        },
        "blocks": blocks,
    }
