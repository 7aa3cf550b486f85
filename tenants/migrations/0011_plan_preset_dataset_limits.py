"""Per-plan count limits on presets and datasets (issue 18): fields, and values for the
built-in plans (inlined, so later edits to tenants/plans.py do not rewrite history)."""

from django.db import migrations, models

LIMITS = {"free": (10, 3), "pro": (50, 20), "business": (200, 100)}


def set_builtin_limits(apps, schema_editor):
    Plan = apps.get_model("tenants", "Plan")
    for slug, (presets, datasets) in LIMITS.items():
        Plan.objects.filter(slug=slug).update(max_presets=presets, max_datasets=datasets)


class Migration(migrations.Migration):
    dependencies = [("tenants", "0010_plan_max_webhook_endpoints")]

    operations = [
        migrations.AddField(
            model_name="plan",
            name="max_presets",
            field=models.PositiveIntegerField(
                default=25,
                help_text="Own style presets a workspace may keep (built-ins not counted).",
            ),
        ),
        migrations.AddField(
            model_name="plan",
            name="max_datasets",
            field=models.PositiveIntegerField(
                default=10, help_text="LoRA datasets a workspace may keep."
            ),
        ),
        migrations.RunPython(set_builtin_limits, migrations.RunPython.noop),
    ]
