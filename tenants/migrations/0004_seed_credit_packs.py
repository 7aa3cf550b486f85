from django.db import migrations

from tenants.billing.catalog import ensure_builtin_packs


def seed(apps, schema_editor):
    ensure_builtin_packs(apps.get_model("tenants", "CreditPack"))


class Migration(migrations.Migration):
    dependencies = [("tenants", "0003_billing")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
