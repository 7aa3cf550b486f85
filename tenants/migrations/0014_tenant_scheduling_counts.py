"""Issue 20: scheduling columns on the tenant row and the index the claim walks.

`queued_jobs` and `running_jobs` are kept by triggers on the job table (generation 0012),
`job_cap` by the triggers installed here (tenants/job_cap.py). `tenant_claimable` holds only
the tenants that can start a job now, least recently served first, never-served (NULL) ones
before all others: written per database because SQLite indexes take no NULLS FIRST (NULLs sort
first there anyway). It is outside the model state, so a later SQLite table rebuild drops it;
`tenants.apps` recreates it after migrations, with the triggers."""

from django.db import migrations, models


def install(apps, schema_editor):
    from tenants import job_cap

    job_cap.install(schema_editor.connection)
    job_cap.create_claimable_index(schema_editor.connection)


def remove(apps, schema_editor):
    from tenants import job_cap

    job_cap.drop_claimable_index(schema_editor.connection)
    job_cap.uninstall(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("tenants", "0013_user_profile_language"),
    ]

    operations = [
        migrations.AddField(
            model_name="tenant",
            name="queued_jobs",
            field=models.PositiveIntegerField(default=0, editable=False),
        ),
        migrations.AddField(
            model_name="tenant",
            name="running_jobs",
            field=models.PositiveIntegerField(default=0, editable=False),
        ),
        migrations.AddField(
            model_name="tenant",
            name="job_cap",
            field=models.PositiveIntegerField(default=1, editable=False),
        ),
        migrations.RunPython(install, remove),
    ]
