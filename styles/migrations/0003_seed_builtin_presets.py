from django.db import migrations


def seed(apps, schema_editor):
    from styles.builtin_presets import seed_builtin_presets

    seed_builtin_presets(apps.get_model("styles", "StylePreset"))


def unseed(apps, schema_editor):
    from styles.builtin_presets import BUILTIN_PRESETS

    preset = apps.get_model("styles", "StylePreset")
    preset.objects.filter(
        tenant__isnull=True, slug__in=[p["slug"] for p in BUILTIN_PRESETS]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("styles", "0002_datasets_finetunes_adapters")]

    operations = [migrations.RunPython(seed, unseed)]
