"""`manage.py build_adapter_exports`: diffusers and kohya downloads for older adapters."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser

from generation.training.adapter_exports import build_exports
from styles.models import LoraAdapter


class Command(BaseCommand):
    help = (
        "Write the downloadable diffusers and kohya/A1111 files of adapters published before "
        "exports existed (new adapters get them when they are published). Run it where the GPU "
        "worker runs: the conversion needs the ML extras. Each export carries the alpha the "
        "adapter was trained with, its trigger word, base model hash and training settings; "
        "the weights jobs render with are left as they are."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tenant", help="Only this workspace (tenant UUID).")
        parser.add_argument("--dry-run", action="store_true", help="List, write nothing.")

    def handle(self, *args, tenant=None, dry_run=False, **options) -> None:
        adapters = LoraAdapter.objects.select_related("finetune").filter(exports={})
        if tenant:
            adapters = adapters.filter(tenant_id=tenant)
        done = 0
        for adapter in adapters.order_by("created_at"):
            self.stdout.write(f"{adapter.tenant_id} {adapter} ({adapter.pk})")
            if not dry_run:
                build_exports(adapter)
                done += 1
        self.stdout.write(self.style.SUCCESS(f"{done} adapter(s) exported."))
