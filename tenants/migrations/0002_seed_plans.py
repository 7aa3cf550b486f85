from django.db import migrations

PLANS = [
    # slug, name, signup, monthly, price cents, concurrency, rpm, fine-tunes/month
    ("free", "Free", 100, 0, 0, 1, 30, 0),
    ("pro", "Pro", 0, 2000, 2900, 4, 120, 2),
    ("business", "Business", 0, 10000, 9900, 12, 600, 10),
]


def seed(apps, schema_editor):
    Plan = apps.get_model("tenants", "Plan")
    for slug, name, signup, monthly, price, conc, rpm, ft in PLANS:
        Plan.objects.update_or_create(
            slug=slug,
            defaults=dict(
                name=name,
                signup_credits=signup,
                monthly_credits=monthly,
                monthly_price_cents=price,
                max_concurrent_jobs=conc,
                requests_per_minute=rpm,
                finetunes_per_month=ft,
            ),
        )


class Migration(migrations.Migration):
    dependencies = [("tenants", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
