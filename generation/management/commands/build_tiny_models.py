"""`manage.py build_tiny_models DIR`: write the tiny random models used by tests and dev."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandParser

from generation.engines.tiny_models import build_tiny_models


class Command(BaseCommand):
    help = (
        "Build a tiny random Stable Diffusion pipeline and a tiny open_clip model under DIR "
        "(about 15 MB, seconds on a CPU, no download), then print the environment variables "
        "that point AvatarSaaS at them. Images from these models are noise: they exist to run "
        "the real diffusers/open_clip code paths in tests and on laptops without a GPU."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "directory",
            metavar="DIR",
            type=Path,
            help="Output directory; sd/, clip/, controlnet/ and sd-inpaint/ are created inside it "
            "(overwritten if present).",
        )

    def handle(self, *args, directory: Path, **options) -> None:
        # Imported here so `manage.py help` works without the ML extras installed.

        paths = build_tiny_models(directory.expanduser().resolve())
        self.stdout.write(f"Stable Diffusion pipeline: {paths.sd_model_dir}")
        self.stdout.write(f"CLIP checkpoint:           {paths.clip_checkpoint} ({paths.clip_arch})")
        self.stdout.write(f"ControlNet (every type):   {paths.controlnet_dir}")
        self.stdout.write(f"Inpainting pipeline:       {paths.inpaint_model_dir}")
        self.stdout.write("\nSet these to use them:")
        for name, value in paths.env().items():
            self.stdout.write(f"export {name}={value}")
        self.stdout.write(self.style.SUCCESS("Tiny models built."))
