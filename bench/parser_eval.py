"""Demand-parser evaluation: how well free-text descriptions become attributes and prompts.

    .venv/bin/python bench/parser_eval.py                      # both splits, print a table
    .venv/bin/python bench/parser_eval.py --label new --save   # also record into
                                                               # bench/results/parser_eval.json
    .venv/bin/python bench/parser_eval.py --failures dev       # list the dev cases that miss

Cases live in bench/data/parser_eval_{dev,heldout,heldout2}.txt (format in the files' headers).
The dev split may be read while developing; a held-out split is written once and only measured.
"heldout" (133 cases) was opened for failure analysis on 2026-11-30 and is no longer clean;
"heldout2" (140 cases, written that day before any failure was looked at) is the clean one.

Per split it reports
- field precision/recall over (attribute, value) pairs: recall over the expected pairs
  (exclusions included), precision over the produced pairs of attributes the case judges;
- false-attribute rate: produced pairs a case lists as must-be-absent, over all produced pairs
  (and the share of cases with at least one);
- prompt words kept: expected words/phrases found in the positive prompt, plus negated words
  that leaked into it;
- parse-preview latency (describe() without the refiner) for a 200-character description.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data"
RESULTS = ROOT / "bench" / "results" / "parser_eval.json"
LIST_ATTRS = ("accessories", "colors", "exclude")
SPLITS = ("dev", "heldout", "heldout2")

# A realistic long description (~200 characters) for the latency measurement.
LATENCY_TEXTS = (
    "A friendly robot barista for our coffee shop app, holding a steaming cup, round glasses, "
    "a green apron and a small name badge, warm smile, flat design, teal and cream colors, "
    "no text, and please keep it simple",
    "一个友好的机器人咖啡师，戴着圆眼镜和耳机，穿绿色围裙，手里拿着一杯热咖啡，扁平化风格，"
    "蓝白配色，不要文字，背景是浅色的咖啡馆，整体看起来温暖、专业、值得信赖，适合客服头像使用，"
    "我们是一家连锁咖啡品牌，顾客大多是年轻的上班族，希望头像简洁大方，一眼就能认出来，颜色不要太暗，"
    "表情要亲切自然，不要太夸张，最好带一点点幽默感，让人看了心情愉快，也能体现我们对品质和服务的用心与坚持",
)


@dataclass
class Case:
    split: str
    text: str
    expected: dict[str, list[set[str]]] = field(default_factory=dict)  # attr -> alternatives
    absent_attrs: set[str] = field(default_factory=set)
    absent_pairs: set[tuple[str, str]] = field(default_factory=set)
    absent_prompt: list[str] = field(default_factory=list)
    words: list[set[str]] = field(default_factory=list)


def load_cases(split: str) -> list[Case]:
    cases = []
    for line in (DATA / f"parser_eval_{split}.txt").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        text, expected, absent, words = (part.strip() for part in line.split("|"))
        case = Case(split, text)
        for item in filter(None, (s.strip() for s in expected.split(";"))):
            attr, value = item.split("=", 1)
            for v in value.split("+"):
                case.expected.setdefault(attr.strip(), []).append(_alts(v))
        for item in filter(None, (s.strip() for s in absent.split(";"))):
            if item.startswith("prompt:"):
                case.absent_prompt.append(item.removeprefix("prompt:").strip().lower())
            elif "=" in item:
                attr, value = item.split("=", 1)
                case.absent_pairs.add((attr.strip(), value.strip().lower()))
            else:
                case.absent_attrs.add(item)
        case.words = [_alts(w) for w in words.split(",") if w.strip()]
        cases.append(case)
    return cases


def _alts(value: str) -> set[str]:
    return {v.strip().lower() for v in value.split("/") if v.strip()}


def _pairs(attributes: dict[str, Any]) -> list[tuple[str, str]]:
    pairs = []
    for attr, value in attributes.items():
        values = value if isinstance(value, list) else [value]
        pairs.extend((attr, str(v).lower()) for v in values)
    return pairs


def _contains(text: str, phrase: str) -> bool:
    return re.search(r"(?<![a-z])" + re.escape(phrase) + r"(?![a-z])", text) is not None


@dataclass
class CaseResult:
    case: Case
    expected_total: int = 0
    expected_hit: int = 0
    judged: int = 0
    judged_ok: int = 0
    produced: int = 0
    false_pairs: list[tuple[str, str]] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)
    words_total: int = 0
    words_hit: int = 0
    missing_words: list[str] = field(default_factory=list)
    leaks: list[str] = field(default_factory=list)


def score(case: Case, attributes: dict[str, Any], prompt: str) -> CaseResult:
    r = CaseResult(case)
    produced = _pairs(attributes)
    r.produced = len(produced)
    for attr, alternatives in case.expected.items():
        values = {v for a, v in produced if a == attr}
        for alts in alternatives:
            r.expected_total += 1
            if values & alts:
                r.expected_hit += 1
            else:
                r.missed.append(f"{attr}={'/'.join(sorted(alts))}")
    for attr, value in produced:
        wrong = attr in case.absent_attrs or (attr, value) in case.absent_pairs
        if wrong:
            r.false_pairs.append((attr, value))
        if attr in case.expected or wrong:
            r.judged += 1
            ok = any(value in alts for alts in case.expected.get(attr, []))
            r.judged_ok += int(ok and not wrong)
    low = prompt.lower()
    for alts in case.words:
        r.words_total += 1
        if any(_contains(low, w) for w in alts):
            r.words_hit += 1
        else:
            r.missing_words.append("/".join(sorted(alts)))
    r.leaks = [p for p in case.absent_prompt if _contains(low, p)]
    return r


def summarise(results: list[CaseResult]) -> dict[str, Any]:
    def ratio(a: int, b: int) -> float:
        return round(a / b, 4) if b else 1.0

    produced = sum(r.produced for r in results)
    false = sum(len(r.false_pairs) for r in results)
    return {
        "cases": len(results),
        "field_recall": ratio(
            sum(r.expected_hit for r in results), sum(r.expected_total for r in results)
        ),
        "field_precision": ratio(sum(r.judged_ok for r in results), sum(r.judged for r in results)),
        "false_attribute_rate": ratio(false, produced),
        "cases_with_false_attribute": ratio(
            sum(bool(r.false_pairs) for r in results), len(results)
        ),
        "prompt_words_kept": ratio(
            sum(r.words_hit for r in results), sum(r.words_total for r in results)
        ),
        "negation_leaks": sum(len(r.leaks) for r in results),
    }


def _setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "avatarsaas.settings")
    os.environ.setdefault("AVATARSAAS_TESTING", "1")
    import django

    django.setup()


def run_split(split: str) -> tuple[dict[str, Any], list[CaseResult]]:
    from generation.jobs.render_config import DEFAULT_CONFIG
    from generation.prompts.describe import describe

    results = []
    for case in load_cases(split):
        d = describe(case.text, edits={}, config=DEFAULT_CONFIG)
        results.append(score(case, d.parsed_attributes, d.prompt))
    return summarise(results), results


def latency(repeats: int = 300) -> dict[str, float]:
    """describe() without the refiner. Wall-clock percentiles, and the same for this process's
    CPU time, which stays meaningful when other jobs share the cores (wall clock does not)."""
    from generation.jobs.render_config import DEFAULT_CONFIG
    from generation.prompts.describe import describe
    from generation.prompts.refining import _off

    no_refiner = _off("off: not measured")
    out: dict[str, float] = {}
    for name, text in zip(("en", "zh"), LATENCY_TEXTS, strict=True):
        describe(text, edits={}, config=DEFAULT_CONFIG, refine=no_refiner)  # dictionaries load
        wall, cpu = [], []
        for _ in range(repeats):
            start, start_cpu = time.perf_counter(), time.process_time()
            describe(text, edits={}, config=DEFAULT_CONFIG, refine=no_refiner)
            cpu.append((time.process_time() - start_cpu) * 1000)
            wall.append((time.perf_counter() - start) * 1000)
        out[f"{name}_chars"] = len(text)
        for label, samples in (("", wall), ("cpu_", cpu)):
            samples.sort()
            out[f"{name}_{label}p50_ms"] = round(statistics.median(samples), 3)
            out[f"{name}_{label}p95_ms"] = round(samples[int(len(samples) * 0.95)], 3)
    out["load_average"] = round(os.getloadavg()[0], 2)
    return out


_FIRST_PARSE = """
import json, os, sys, time
sys.path.insert(0, {root!r})
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "avatarsaas.settings")
os.environ.setdefault("AVATARSAAS_TESTING", "1")
import django
django.setup()
from generation.jobs.render_config import DEFAULT_CONFIG
from generation.prompts import warmup
from generation.prompts.describe import describe
from generation.prompts.refining import _off
warm = warmup.warm_up() if {warm!r} else 0.0
out = {{"warm_up_s": round(warm, 3)}}
for name, text in {texts!r}:
    start = time.perf_counter()
    describe(text, edits={{}}, config=DEFAULT_CONFIG, refine=_off("off"))
    out[name] = round((time.perf_counter() - start) * 1000, 2)
print(json.dumps(out))
"""


def first_parse() -> dict[str, float]:
    """The first parse in a fresh process, without and with the start-up warm-up (what
    wsgi.py/asgi.py and the worker run); the texts differ from the warm-up's own samples."""
    import subprocess

    texts = (("en_first_ms", "a cheerful mail carrier owl with a blue satchel and a tiny cap"),
             ("zh_first_ms", "一只戴着紫色贝雷帽的画家狐狸，拿着调色板"))  # fmt: skip
    out: dict[str, float] = {}
    for label, warm in (("cold", False), ("after_warm_up", True)):
        code = _FIRST_PARSE.format(root=str(ROOT), warm=warm, texts=texts)
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
        )
        result = json.loads(done.stdout.strip().splitlines()[-1])
        for key, value in result.items():
            if key != "warm_up_s" or warm:
                out[f"{label}_{key}"] = value
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--label", default="current", help="name of this result set")
    parser.add_argument("--save", action="store_true", help=f"record into {RESULTS}")
    parser.add_argument("--failures", choices=SPLITS, help="list failing cases")
    args = parser.parse_args()
    _setup_django()

    record: dict[str, Any] = {"label": args.label, "date": time.strftime("%Y-%m-%d %H:%M")}
    for split in SPLITS:
        summary, results = run_split(split)
        record[split] = summary
        if args.failures == split:
            for r in results:
                if r.missed or r.false_pairs or r.missing_words or r.leaks:
                    print(
                        f"- {r.case.text}\n    missed={r.missed} false={r.false_pairs}"
                        f" words={r.missing_words} leaks={r.leaks}"
                    )
    record["latency"] = latency()
    record["first_parse"] = first_parse()
    print(json.dumps(record, indent=2, ensure_ascii=False))
    if args.save:
        existing = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
        existing[args.label] = record
        RESULTS.write_text(json.dumps(existing, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
