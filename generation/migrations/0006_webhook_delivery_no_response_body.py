"""Delivery logs no longer keep the first 500 characters of the receiver's answer (issue 18:
with an internal URL they read internal services back). Only the status code and a short
generic error remain; the API's `response_excerpt` field stays, always empty."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("generation", "0005_finetune_tasks_moved"),
    ]

    operations = [
        migrations.RemoveField(
            model_name="webhookdelivery",
            name="response_excerpt",
        ),
    ]
