"""Render avatars directly with an engine (no queue, no tenant): for operators and demos."""

from __future__ import annotations

import secrets
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.errors import DomainError
from generation.engines import registry as engine_registry
from generation.engines.base import EngineError, RenderRequest
from generation.jobs.render_config import render_config_for
from generation.prompts.describe import describe
from generation.quality.meaning import meaning_text
from generation.worker import packs
from generation.worker.postprocess import build_sidecar, make_avatar_pack
from styles.models import StylePreset


class Command(BaseCommand):
    help = (
        "Describe a bot (English or Chinese) and render N candidates with an engine, score them "
        "with CLIP when configured, and write the best avatar pack (all sizes, PNG and WebP, "
        "plus a JSON sidecar to re-render it) to --out. Runs in this process; no queue."
    )

    def add_arguments(self, parser):
        parser.add_argument("description", help='e.g. "a friendly blue robot with round glasses"')
        parser.add_argument(
            "--engine",
            default="auto",
            choices=["auto", "vector", "diffusers"],
            help="auto = diffusers when AVATARSAAS_SD_MODEL is set, else vector.",
        )
        parser.add_argument("--preset", help="Slug of a built-in style preset, e.g. cartoon.")
        parser.add_argument("--n", type=int, default=4, help="Candidates to render (1-8).")
        parser.add_argument("--seed", type=int, help="Base seed; candidates use seed, seed+1, ...")
        parser.add_argument("--size", type=int, help="Output size in px (default: preset's).")
        parser.add_argument("--steps", type=int, help="Diffusion steps (default: preset's).")
        parser.add_argument("--circle", action="store_true", help="Also write circle avatars.")
        parser.add_argument("--out", default="avatars", help="Output directory (created).")

    def handle(self, *args, **opts):
        if not 1 <= opts["n"] <= 8:
            raise CommandError("--n must be between 1 and 8.")
        preset = None
        if opts["preset"]:
            preset = StylePreset.objects.filter(tenant__isnull=True, slug=opts["preset"]).first()
            if preset is None:
                slugs = StylePreset.objects.filter(tenant__isnull=True).values_list(
                    "slug", flat=True
                )
                raise CommandError(
                    f"No built-in preset '{opts['preset']}'. Try: {', '.join(slugs)}"
                )
        config = render_config_for(preset)
        try:
            engine_name = engine_registry.resolve_engine_name(opts["engine"] or config.engine)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        described = describe(opts["description"], edits={}, config=config)
        base = opts["seed"] if opts["seed"] is not None else secrets.randbelow(2**31 - 8)
        size = opts["size"] or config.size
        request = RenderRequest(
            prompt=described.prompt,
            negative_prompt=described.negative_prompt,
            attributes=described.attributes,
            seeds=tuple(base + i for i in range(opts["n"])),
            width=size,
            height=size,
            steps=opts["steps"] or config.steps,
            guidance_scale=config.guidance_scale,
            scheduler=config.scheduler,
            palette=config.palette,
        )
        self.stderr.write(f"engine: {engine_name}   prompt: {described.prompt}")
        if described.unknown_words:
            self.stderr.write(f"not understood: {', '.join(described.unknown_words)}")
        try:
            candidates = engine_registry.get_engine(engine_name).generate(
                request, progress=self._progress
            )
        except EngineError as exc:
            raise CommandError(f"{exc.code}: {exc}") from exc
        sys.stderr.write("\n")
        meaning = meaning_text(
            attributes=described.attributes,
            description=opts["description"],
            unknown_words=described.unknown_words,
            parsed=described.parsed_attributes,
            defaults=config.default_attributes,
            trigger_word=config.trigger_word,
        )
        scored = packs.score_candidates(candidates, text=meaning)
        out = Path(opts["out"])
        out.mkdir(parents=True, exist_ok=True)
        for item in scored:
            score = "unscored" if item.clip_score is None else f"CLIP {item.clip_score:.4f}"
            self.stdout.write(
                f"  candidate {item.candidate.index} seed {item.candidate.seed}: {score}"
            )
        best = max(scored, key=lambda s: s.final_score if s.final_score is not None else -1)
        if best.final_score is None:
            best = scored[0]
            self.stdout.write(
                "No CLIP model configured: candidates are not ranked; wrote the first."
            )
        for circle in (False, True) if opts["circle"] else (False,):
            for f in make_avatar_pack(best.candidate.image, circle=circle):
                path = out / f"avatar-{f.size}-{f.shape}.{f.format}"
                path.write_bytes(f.data)
                self.stdout.write(str(path))
        sidecar = out / "avatar.json"
        sidecar.write_bytes(build_sidecar(best.candidate.metadata))
        self.stdout.write(str(sidecar))

    def _progress(self, step: int, total: int) -> None:
        width = 30
        done = int(width * step / max(1, total))
        sys.stderr.write(f"\r[{'#' * done}{'.' * (width - done)}] {step}/{total}")
        sys.stderr.flush()
