from django.db import migrations


def create_schedule(apps, schema_editor):
    # Re-queues fine-tunes whose worker died (they resume from their last checkpoint).
    apps.get_model("django_q", "Schedule").objects.update_or_create(
        name="avatarsaas: sweep fine-tunes",
        defaults={
            "func": "styles.tasks.sweep_finetunes",
            "schedule_type": "I",
            "minutes": 1,
            "repeats": -1,
        },
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(
        name="avatarsaas: sweep fine-tunes"
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("styles", "0003_seed_builtin_presets"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]
    operations = [migrations.RunPython(create_schedule, remove_schedule)]
