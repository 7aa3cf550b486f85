"""Dataset ingestion benchmark: 1000 distinct 512 px brand renders through `ingest_uploads`.

    python bench/dataset_ingest_bench.py [--images 1000] [--size 512] [--batch 100]

Renders distinct same-style mascots (bench/brand_renders.py, drawn at 256 px and scaled up
to --size to keep the setup short), writes them as PNG files, then ingests them into one
dataset in uploads of --batch files, as the dashboard's script does: every image is checked
for exact and near-duplicates against everything uploaded before it. Reports wall time, images
per second and the process's peak RSS (resource.getrusage; tracemalloc slowed the run
several-fold), plus how many images
were flagged. Uses a throwaway SQLite database and media folder. Results go to
bench/results/dataset_ingest_bench.json.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
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
    args = parser.parse_args(argv)

    var_dir = tempfile.mkdtemp(prefix="ingest-bench-")
    _setup_django(var_dir)
    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from bench.brand_renders import brand_attributes, brand_render, encoded
    from styles.models import DuplicatePair
    from styles.services import dataset_ingest, datasets
    from tenants.actors import Actor
    from tests.factories import make_tenant

    started = time.perf_counter()
    files = Path(var_dir) / "upload"
    files.mkdir()
    for i, attributes in enumerate(brand_attributes(args.images)):
        image = brand_render(attributes, 256, seed=i).resize(
            (args.size, args.size), Image.Resampling.LANCZOS
        )
        (files / f"mascot_{i:04d}.png").write_bytes(encoded(image))
    render_s = time.perf_counter() - started

    tenant = make_tenant("Bench", plan="pro")
    dataset = datasets.create_dataset(
        tenant=tenant, actor=Actor.system(), name="Bench", trigger_word="acmebot"
    )
    limits = dataset_ingest.IngestLimits(max_files=args.images + 10)
    paths = sorted(files.iterdir())
    accepted = rejected = warned = 0
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
    result = {
        "images": args.images,
        "size": args.size,
        "batch": args.batch,
        "ingest_seconds": round(ingest_s, 1),
        "images_per_second": round(args.images / ingest_s, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "accepted": accepted,
        "rejected": rejected,
        "near_duplicate_warnings": warned,
        "pairs_stored": DuplicatePair.objects.filter(dataset=dataset).count(),
        "render_seconds": round(render_s, 1),
        "cpu_count": os.cpu_count(),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
