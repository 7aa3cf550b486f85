from django.core.management.base import BaseCommand
from django.utils import timezone

from tenants import workspace
from tenants.models import Tenant


class Command(BaseCommand):
    help = (
        "Purge workspaces whose deletion grace period is over (the hourly schedule does the "
        "same); --dry-run lists them."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true")

    def handle(self, *args, dry_run=False, **options):
        if dry_run:
            due = Tenant.objects.filter(
                is_active=False, deletion_scheduled_at__lte=timezone.now()
            ).values_list("slug", flat=True)
            for slug in due:
                self.stdout.write(f"due: {slug}")
            return
        for slug in workspace.purge_due():
            self.stdout.write(f"purged: {slug}")
