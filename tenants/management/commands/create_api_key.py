from django.core.management.base import BaseCommand, CommandError

from core.errors import DomainError
from tenants import services
from tenants.actors import Actor
from tenants.key_limits import KeyLimits
from tenants.models import ALL_SCOPES, Tenant


class Command(BaseCommand):
    help = "Create an API key for a workspace and print it once (it is stored only hashed)."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", required=True, help="Workspace slug, e.g. demo.")
        parser.add_argument(
            "--scopes",
            default="jobs:write,jobs:read",
            help=f"Comma-separated scopes. Accepted: {', '.join(ALL_SCOPES)}.",
        )
        parser.add_argument("--name", default="CLI key", help="A label for the key.")
        limits = parser.add_argument_group("limits (default: unrestricted)")
        limits.add_argument("--presets", default="", help="Brand lock: comma-separated preset ids.")
        limits.add_argument("--engines", default="", help="Comma-separated, e.g. vector.")
        limits.add_argument("--max-n", type=int, help="Most candidates per job.")
        limits.add_argument("--max-size", type=int, help="Largest render size in pixels.")
        limits.add_argument("--monthly-quota", type=int, help="Most jobs per calendar month.")
        limits.add_argument("--rpm", type=int, help="Requests per minute (capped by the plan).")

    def handle(self, *args, **options):
        tenant = Tenant.objects.filter(slug=options["tenant"]).first()
        if tenant is None:
            raise CommandError(f"No workspace with slug '{options['tenant']}'.")
        scopes = [s.strip() for s in options["scopes"].split(",") if s.strip()]
        try:
            key, plaintext = services.create_api_key(
                tenant=tenant,
                actor=Actor.system(),
                name=options["name"],
                scopes=scopes,
                check_permission=False,
                limits=KeyLimits(
                    allowed_presets=_listing(options["presets"]),
                    allowed_engines=_listing(options["engines"]),
                    max_n=options["max_n"],
                    max_size=options["max_size"],
                    monthly_quota=options["monthly_quota"],
                    requests_per_minute=options["rpm"],
                ),
            )
        except DomainError as exc:
            raise CommandError(f"{exc.field or 'error'}: {exc.message}") from exc
        self.stderr.write(f"Created key '{key.name}' for {tenant.slug} with scopes {key.scopes}.")
        self.stderr.write("Store it now; it cannot be shown again:")
        self.stdout.write(plaintext)


def _listing(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]
