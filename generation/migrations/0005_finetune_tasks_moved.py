"""Fine-tune execution moved from styles to generation.training: point the sweep schedule at the
task's new dotted path. A run nudged under the old path is re-nudged by this sweep."""

from django.db import migrations

OLD, NEW = "styles.tasks.sweep_finetunes", "generation.tasks.sweep_finetunes"


def forwards(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(func=OLD).update(func=NEW)


def backwards(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(func=NEW).update(func=OLD)


class Migration(migrations.Migration):
    dependencies = [
        ("generation", "0004_verbose_plurals"),
        ("styles", "0004_sweep_schedule"),
    ]
    operations = [migrations.RunPython(forwards, backwards)]
