from django.apps import AppConfig


class StylesConfig(AppConfig):
    name = "styles"
    default_auto_field = "django.db.models.BigAutoField"
