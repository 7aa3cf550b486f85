from django.db import migrations

from tenants.plans import ensure_builtin_plans


def seed(apps, schema_editor):
    ensure_builtin_plans(apps.get_model("tenants", "Plan"))


class Migration(migrations.Migration):
    dependencies = [("tenants", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
