"""Webhook endpoints per workspace become a plan limit (issue 18: unlimited endpoints let one
workspace fan deliveries out without bound). Custom plans get the field default; the built-in
plans get their values from tenants.plans."""

from django.db import migrations, models

# Frozen here: the values the built-in plans had when the field was introduced.
BUILTIN_LIMITS = {"free": 2, "pro": 10, "business": 25}


def set_builtin_limits(apps, schema_editor):
    Plan = apps.get_model("tenants", "Plan")
    for slug, limit in BUILTIN_LIMITS.items():
        Plan.objects.filter(slug=slug).update(max_webhook_endpoints=limit)


class Migration(migrations.Migration):
    dependencies = [
        ("tenants", "0009_staff_permissions"),
    ]

    operations = [
        migrations.AddField(
            model_name="plan",
            name="max_webhook_endpoints",
            field=models.PositiveIntegerField(default=5),
        ),
        migrations.RunPython(set_builtin_limits, migrations.RunPython.noop),
    ]
