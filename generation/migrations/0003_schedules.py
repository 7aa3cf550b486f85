from django.db import migrations


def create_schedules(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    # The sweeper repairs dead workers' leases and lost queue messages; retries are due
    # webhook deliveries. Both are idempotent, so overlapping runs are harmless.
    for name, func, minutes in [
        ("avatarsaas: sweep jobs", "generation.tasks.sweep_jobs", 1),
        ("avatarsaas: retry webhooks", "generation.tasks.retry_due_webhooks", 1),
    ]:
        Schedule.objects.update_or_create(
            name=name,
            defaults={"func": func, "schedule_type": "I", "minutes": minutes, "repeats": -1},
        )


def remove_schedules(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name__startswith="avatarsaas:").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("generation", "0002_job_rerender_of"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]
    operations = [migrations.RunPython(create_schedules, remove_schedules)]
