"""Issue 20: the claim and the /metrics scrape read only indexed live rows, never the history.

Partial indexes on queued and running jobs per tenant (claim order and concurrency caps) and an
index on `finished_at` (the scrape's sliding window). On a large existing table, create them
CONCURRENTLY by hand before deploying (same names), then this migration's AddIndex would
conflict: fake it with `migrate generation 0007 --fake`."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("generation", "0006_webhook_delivery_no_response_body"),
        ("tenants", "0012_tenant_last_served_at"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="generationjob",
            index=models.Index(
                condition=models.Q(("status", "queued")),
                fields=["tenant", "queued_at"],
                name="job_queued_by_tenant",
            ),
        ),
        migrations.AddIndex(
            model_name="generationjob",
            index=models.Index(
                condition=models.Q(("status", "running")),
                fields=["tenant"],
                name="job_running_by_tenant",
            ),
        ),
        migrations.AddIndex(
            model_name="generationjob",
            index=models.Index(fields=["finished_at"], name="job_finished_at"),
        ),
    ]
