from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from tenants import services, verification
from tenants.actors import Actor
from tenants.models import Membership, Tenant

DEMO_EMAIL = "demo@avatarsaas.local"
DEMO_PASSWORD = "demo-avatars-2026"
STAFF_USER = "admin"
STAFF_PASSWORD = "admin-avatars-2026"


class Command(BaseCommand):
    help = (
        "Create the demo workspace (slug 'demo') with an owner and a staff superuser. "
        "Idempotent: running it again changes nothing and prints the same logins."
    )

    @transaction.atomic
    def handle(self, *args, **options):
        User = get_user_model()
        owner, created = User.objects.get_or_create(
            username=DEMO_EMAIL, defaults={"email": DEMO_EMAIL}
        )
        if created:
            owner.set_password(DEMO_PASSWORD)
            owner.save()
        tenant = Tenant.objects.filter(slug="demo").first()
        if tenant is None:
            tenant = services.create_tenant(
                name="Demo Brand", owner=owner, actor=Actor(user=owner), slug="demo"
            )
        Membership.objects.get_or_create(tenant=tenant, user=owner, defaults={"role": "owner"})
        verification.record_verified(user=owner)  # nothing to confirm on the dashboard
        staff, created = User.objects.get_or_create(
            username=STAFF_USER, defaults={"email": "staff@avatarsaas.local"}
        )
        if created or not staff.is_superuser:
            staff.is_staff = staff.is_superuser = True
            staff.set_password(STAFF_PASSWORD)
            staff.save()
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
        self.stdout.write(f"  Dashboard login: {DEMO_EMAIL} / {DEMO_PASSWORD} (workspace 'demo')")
        self.stdout.write(f"  Staff admin:     {STAFF_USER} / {STAFF_PASSWORD} (/admin/)")
