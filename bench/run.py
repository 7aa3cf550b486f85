"""Run every bench and every failure drill, write bench/results/<date>.json, print a table.

    .venv/bin/python bench/run.py            # full sizes (drills as specified: 20 jobs, 500
                                             # submits, ...); ~10 min on 2 cores
    .venv/bin/python bench/run.py --quick    # smaller samples and drills; < 5 min on 2 cores
    .venv/bin/python bench/run.py --gpu      # engine/train benches on CUDA (SD 1.5-sized, fp16)
    .venv/bin/python bench/run.py --only drills   # or engine, queue, packing, api, train, ranker

Needs PostgreSQL on 127.0.0.1:5432 (user postgres) and Redis on 127.0.0.1:6379; the Redis
drill starts its own private redis-server on a free port. Each bench keeps writing its own
JSON (bench/results/<bench>.json); this runner collects them with timings and exit codes.
A drill passes when jobs lost, jobs duplicated and credit drift are all 0.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PY = sys.executable

# --quick shrinks the drills to smoke size (the full sizes are the ones the issue specifies).
DRILLS = {
    # name: (module, full args, quick args)
    "kill_worker": (
        "bench.drills.kill_worker",
        [],
        ["--jobs", "10", "--workers", "2", "--size", "256"],
    ),
    "idempotency_storm": (
        "bench.drills.idempotency_storm",
        [],
        ["--requests", "100", "--repeats", "20"],
    ),
    "redis_restart": (
        "bench.drills.redis_restart",
        [],
        ["--jobs", "20", "--down-seconds", "2"],
    ),
    "pg_drop": ("bench.drills.pg_drop", [], ["--jobs", "2", "--drops", "1"]),
    "stripe_duplicates": ("bench.drills.stripe_duplicates", [], ["--payments", "5"]),
}


def _run(args: list[str], *, timeout: float, env: dict | None = None) -> tuple[int, float, str]:
    started = time.monotonic()
    # The benches run the local development settings (DEBUG is off unless set); the ones that
    # start a production-like web server pass DEBUG=0 and a SECRET_KEY themselves.
    env = {"DEBUG": os.environ.get("DEBUG", "1"), **(env or {})}
    try:
        proc = subprocess.run(
            args,
            cwd=ROOT,
            env={**os.environ, **(env or {})},
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        code, output = proc.returncode, proc.stdout + proc.stderr
    except subprocess.TimeoutExpired as exc:
        code = 124
        output = f"timed out after {timeout}s\n{(exc.stdout or b'')[-2000:]!r}"
    return code, round(time.monotonic() - started, 1), output


def _read(name: str) -> dict | None:
    path = RESULTS / name
    return json.loads(path.read_text()) if path.exists() else None


@contextlib.contextmanager
def _keep_results(quick: bool, *names: str):
    """A --quick run must not overwrite the full-size results the benches keep committed."""
    saved = {n: (RESULTS / n).read_bytes() for n in names if quick and (RESULTS / n).exists()}
    try:
        yield
    finally:
        for name, content in saved.items():
            (RESULTS / name).write_bytes(content)


def _entry(code: int, seconds: float, summary: dict, data, output: str) -> dict:
    return {
        "exit": code,
        "seconds": seconds,
        "summary": summary,
        "data": data,
        "tail": output[-1500:],
    }


def bench_engine(quick: bool, gpu: bool) -> dict:
    args = [PY, "bench/engine_bench.py", "--repeats", "1" if quick else "5"]
    code, seconds, output = _run(args + (["--gpu"] if gpu else []), timeout=600)
    data = _read("engine_bench.json") if code == 0 else None
    summary = {}
    if data:
        s, r = data["seconds"], data["ratios"]
        summary = {
            "warm job s": round(s["warm_job"], 3),
            "cold/warm": round(r["cold_over_warm"], 2),
            "LoRA switch s": round(s["adapter_switch_cached"], 4),
            "batched n4/seq": round(r["batched_n4_over_sequential_4"], 2),
        }
    return _entry(code, seconds, summary, data, output)


def bench_queue(quick: bool) -> dict:
    code, seconds, output = _run(
        [PY, "bench/queue_bench.py"] + (["--quick", "--jobs", "3"] if quick else []), timeout=900
    )
    data = _read("queue_bench.json") if code == 0 else None
    summary = {}
    if data:
        runs = {run["broker"]: run for run in data["runs"]}
        summary = {
            "submit->running p50 redis s": round(runs["redis"]["submit_to_running_p50_s"], 3),
            "submit->running p50 orm s": round(runs["orm"]["submit_to_running_p50_s"], 3),
            "wall/engine": round(runs["redis"]["wall_over_engine"], 2),
            "fair position (FIFO 101)": data["fairness"]["b_job_started_at_position"],
        }
    return _entry(code, seconds, summary, data, output)


def bench_packing(quick: bool) -> dict:
    args = [PY, "bench/queue_bench.py", "--packing"]
    code, seconds, output = _run(
        args + (["--jobs", "3", "--rounds", "1"] if quick else []), timeout=900
    )
    data = _read("packing_bench.json") if code == 0 else None
    summary = {}
    if data:
        s = data["summary"]
        summary = {
            "wall/engine overlap off": round(s["overlap_off"]["wall_over_engine"], 2),
            "wall/engine overlap on": round(s["overlap_on"]["wall_over_engine"], 2),
            "jobs/s gain": round(s["throughput_gain"], 2),
        }
    return _entry(code, seconds, summary, data, output)


def bench_api(quick: bool) -> dict:
    args = [PY, "bench/api_bench.py"]
    if quick:
        args += ["--duration", "5", "--clients", "20", "--workers", "2"]
    code, seconds, output = _run(args, timeout=600)
    data = _read("api_bench.json")
    summary = {}
    if data and code in (0, 1):
        res = data["results"]
        summary = {
            "submit req/s": res["submit"]["throughput_rps"],
            "submit p50/p99 ms": f"{res['submit']['p50_ms']}/{res['submit']['p99_ms']}",
            "read req/s": res["read"]["throughput_rps"],
            "read p50/p99 ms": f"{res['read']['p50_ms']}/{res['read']['p99_ms']}",
            "errors": res["submit"]["errors"] + res["read"]["errors"],
        }
    return _entry(code, seconds, summary, data, output)


def bench_train(quick: bool, gpu: bool) -> dict | None:
    script = ROOT / "bench" / "train_bench.py"
    if not script.exists():
        return None
    args = [PY, "bench/train_bench.py"] + (["--gpu"] if gpu else [])
    if quick:
        args += ["--steps", "8"]
    code, seconds, output = _run(args, timeout=900)
    data = _read("train_bench.json") if code == 0 else None
    summary = {}
    if isinstance(data, dict):
        for key in ("steps_per_second", "images_per_second", "wall_seconds_including_load"):
            if isinstance(data.get(key), int | float):
                summary[key] = round(data[key], 3)
    return _entry(code, seconds, summary, data, output)


def bench_ranker(quick: bool) -> dict:
    args = [PY, "bench/ranker_bench.py"] + (["--jobs", "200"] if quick else [])
    code, seconds, output = _run(args, timeout=300)
    data = _read("ranker.json") if code == 0 else None
    summary = {}
    if data:
        summary = {
            "held-out top-1 blended": data["blended_top1"],
            "learned": data["learned_top1"],
            "fit ms": data["fit_ms"],
        }
    return _entry(code, seconds, summary, data, output)


def run_drills(quick: bool) -> dict:
    from bench.drills.common import prepare_template

    prepare_template()
    results = {}
    for name, (module, full, quick_args) in DRILLS.items():
        code, seconds, output = _run(
            [PY, "-m", module] + (quick_args if quick else full),
            timeout=420,
            env={"DRILL_TEMPLATE_READY": "1"},
        )
        last = next((line for line in reversed(output.splitlines()) if line.startswith("{")), None)
        try:
            result = json.loads(last) if last else None
        except json.JSONDecodeError:
            result = None
        results[name] = result or {
            "name": name,
            "ok": False,
            "jobs_lost": -1,
            "jobs_duplicated": -1,
            "credit_drift": -1,
            "details": {"exit": code, "tail": output[-1500:]},
        }
        results[name]["seconds"] = seconds
    return results


def print_table(report: dict) -> None:
    print(f"\nbench/run.py {'--quick ' if report['quick'] else ''}@ {report['when']}")
    print(f"{'bench':<20}{'exit':>5}{'secs':>7}  key numbers")
    for name, entry in report["benches"].items():
        if entry is None:
            print(f"{name:<20}{'-':>5}{'-':>7}  (not present)")
            continue
        numbers = ", ".join(f"{k}={v}" for k, v in entry["summary"].items()) or "see tail"
        print(f"{name:<20}{entry['exit']:>5}{entry['seconds']:>7}  {numbers}")
    if report.get("drills"):
        print(f"\n{'drill':<36}{'lost':>5}{'dup':>5}{'drift':>6}{'secs':>7}  ok")
        for entry in report["drills"].values():
            print(
                f"{entry['name']:<36}{entry['jobs_lost']:>5}{entry['jobs_duplicated']:>5}"
                f"{entry['credit_drift']:>6}{entry['seconds']:>7}  {'yes' if entry['ok'] else 'NO'}"
            )
    print(f"\ntotal {report['total_seconds']} s; written to {report['output']}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller samples; < 5 min")
    parser.add_argument("--gpu", action="store_true", help="engine and train benches on CUDA")
    parser.add_argument(
        "--only",
        choices=["engine", "queue", "packing", "api", "train", "ranker", "drills"],
        action="append",
    )
    args = parser.parse_args()
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    wanted = set(args.only or ["engine", "queue", "packing", "api", "train", "ranker", "drills"])
    started = time.monotonic()
    report: dict = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "quick": args.quick,
        "gpu": args.gpu,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "benches": {},
    }
    kept = (
        "engine_bench.json",
        "queue_bench.json",
        "packing_bench.json",
        "api_bench.json",
        "train_bench.json",
        "ranker.json",
    )
    with _keep_results(args.quick, *kept):
        if "engine" in wanted:
            report["benches"]["engine"] = bench_engine(args.quick, args.gpu)
        if "queue" in wanted:
            report["benches"]["queue"] = bench_queue(args.quick)
        if "packing" in wanted:
            report["benches"]["packing"] = bench_packing(args.quick)
        if "api" in wanted:
            report["benches"]["api"] = bench_api(args.quick)
        if "train" in wanted:
            report["benches"]["train"] = bench_train(args.quick, args.gpu)
        if "ranker" in wanted:
            report["benches"]["ranker"] = bench_ranker(args.quick)
    if "drills" in wanted:
        report["drills"] = run_drills(args.quick)
    report["total_seconds"] = round(time.monotonic() - started, 1)
    suffix = "-" + "-".join(sorted(wanted)) if args.only else ""  # partial runs stay apart
    out = RESULTS / f"{time.strftime('%Y-%m-%d', time.gmtime())}{suffix}.json"
    report["output"] = str(out.relative_to(ROOT))
    RESULTS.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2, default=str) + "\n")
    print_table(report)
    failed = [n for n, e in report["benches"].items() if e and e["exit"] not in (0,)]
    failed += [n for n, e in report.get("drills", {}).items() if not e["ok"]]
    if failed:
        print("FAILED:", ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
