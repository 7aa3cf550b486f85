"""Issue 20: triggers on the job table keep each tenant's `queued_jobs` and `running_jobs`, and
count the jobs already live (see generation/worker/job_counts.py)."""

from django.db import migrations


def install(apps, schema_editor):
    from generation.worker import job_counts

    job_counts.install(schema_editor.connection)


def remove(apps, schema_editor):
    from generation.worker import job_counts

    job_counts.uninstall(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("generation", "0011_state_packs"),
        ("tenants", "0014_tenant_scheduling_counts"),
    ]

    operations = [migrations.RunPython(install, remove)]
