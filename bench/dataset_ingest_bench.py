"""Dataset ingestion benchmark: 1000 distinct 512 px brand renders through `ingest_uploads`.

    python bench/dataset_ingest_bench.py [--images 1000] [--size 512] [--batch 100] [--edited 50]
                                         [--tracemalloc]

Renders distinct same-style mascots (bench/brand_renders.py, drawn at 256 px and scaled up
to --size to keep the setup short) plus --edited edited copies of the first renders (the
edits of `edited_copies`, one per copy in turn), writes them as PNG files, then ingests them
into one dataset in uploads of --batch files, as the dashboard's script does: every image is
checked for exact and near-duplicates against everything uploaded before it. The copies are
uploaded after all originals, so each one is checked against the full dataset.

Reports wall time, images per second, the process's peak RSS (resource.getrusage) after the
renders and at the end, and with --tracemalloc the peak of Python allocations during the
ingest (it slows the run several-fold, so it is off by default); plus how many distinct
renders were flagged and how many edited copies were paired with their original. Uses a
throwaway SQLite database and media folder; the CLIP check is not part of it (no real CLIP
weights here). Results go to bench/results/dataset_ingest_bench.json.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "bench" / "results" / "dataset_ingest_bench.json"


def _setup_django(var_dir: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "avatarsaas.settings")
    os.environ["AVATARSAAS_TESTING"] = "1"
    os.environ["AVATARSAAS_VAR_DIR"] = var_dir
    os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, run_syncdb=True)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=1000)
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--edited", type=int, default=50)
    parser.add_argument("--tracemalloc", action="store_true")
    args = parser.parse_args(argv)

    var_dir = tempfile.mkdtemp(prefix="ingest-bench-")
    _setup_django(var_dir)
    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from bench.brand_renders import brand_attributes, brand_render, edited_copies, encoded
    from styles.models import DatasetImage, DuplicatePair
    from styles.services import dataset_ingest, datasets
    from tenants.actors import Actor
    from tests.factories import make_tenant

    started = time.perf_counter()
    files = Path(var_dir) / "upload"
    files.mkdir()
    edit_names = []
    for i, attributes in enumerate(brand_attributes(args.images)):
        image = brand_render(attributes, 256, seed=i).resize(
            (args.size, args.size), Image.Resampling.LANCZOS
        )
        (files / f"mascot_{i:04d}.png").write_bytes(encoded(image))
        if i < args.edited:
            copies = edited_copies(image)
            name = sorted(copies)[i % len(copies)]
            edit_names.append(name)
            # "zz_" sorts the copies after every original
            (files / f"zz_copy_{i:04d}_{name}.png").write_bytes(encoded(copies[name]))
    render_s = time.perf_counter() - started
    rss_after_render_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    tenant = make_tenant("Bench", plan="pro")
    dataset = datasets.create_dataset(
        tenant=tenant, actor=Actor.system(), name="Bench", trigger_word="acmebot"
    )
    limits = dataset_ingest.IngestLimits(max_files=args.images + args.edited + 10)
    paths = sorted(files.iterdir())
    accepted = rejected = warned = 0
    if args.tracemalloc:
        tracemalloc.start()
    started = time.perf_counter()
    for start in range(0, len(paths), args.batch):
        uploads = [
            SimpleUploadedFile(p.name, p.read_bytes()) for p in paths[start : start + args.batch]
        ]
        report = dataset_ingest.ingest_uploads(
            tenant=tenant, actor=Actor.system(), dataset_id=dataset.pk, files=uploads, limits=limits
        )
        accepted += report.accepted
        rejected += report.rejected
        warned += len(report.warnings)
    ingest_s = time.perf_counter() - started
    traced_peak = tracemalloc.get_traced_memory()[1] if args.tracemalloc else None
    tracemalloc.stop()
    names = dict(DatasetImage.objects.filter(dataset=dataset).values_list("pk", "original_name"))
    pairs = [
        (names[image], names[other])
        for image, other in DuplicatePair.objects.filter(dataset=dataset).values_list(
            "image_id", "other_id"
        )
    ]
    distinct_flagged = sum(image.startswith("mascot_") for image, _ in pairs)
    caught: dict[str, list[int]] = {}
    for i, name in enumerate(edit_names):
        copy, original = f"zz_copy_{i:04d}_{name}.png", f"mascot_{i:04d}.png"
        caught.setdefault(name, [0, 0])[1] += 1
        caught[name][0] += (copy, original) in pairs
    total = len(paths)
    result = {
        "images": args.images,
        "edited_copies": args.edited,
        "size": args.size,
        "batch": args.batch,
        "ingest_seconds": round(ingest_s, 1),
        "images_per_second": round(total / ingest_s, 2),
        "peak_rss_mb_after_render": round(rss_after_render_mb, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "tracemalloc_peak_mb": None if traced_peak is None else round(traced_peak / 2**20, 1),
        "accepted": accepted,
        "rejected": rejected,
        "near_duplicate_warnings": warned,
        "pairs_stored": len(pairs),
        "distinct_flagged": distinct_flagged,
        "distinct_flagged_share": round(distinct_flagged / args.images, 4),
        "edits_caught": {name: f"{hit}/{n}" for name, (hit, n) in sorted(caught.items())},
        "edits_caught_total": f"{sum(h for h, _ in caught.values())}/{len(edit_names)}",
        "clip_check": "not run (no real CLIP weights configured)",
        "render_seconds": round(render_s, 1),
        "cpu_count": os.cpu_count(),
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
