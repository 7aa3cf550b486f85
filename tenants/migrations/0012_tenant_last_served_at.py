"""Round-robin scheduling state on the tenant row (issue 20): when a worker last claimed one of
its jobs. NULL (never served, or served before this field existed) sorts first; the claim then
breaks ties by the oldest queued job, so existing tenants simply start a fresh round."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("tenants", "0011_plan_preset_dataset_limits"),
    ]

    operations = [
        migrations.AddField(
            model_name="tenant",
            name="last_served_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
    ]
