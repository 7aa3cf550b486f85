from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "tenants"
    verbose_name = "Tenants, members, keys and credits"
    default_auto_field = "django.db.models.BigAutoField"
