from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "tenants"
    verbose_name = "Tenants, members, keys and credits"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in
        from django.core.signals import request_finished

        from tenants.language import forget_request_language, remember_first_language

        user_logged_in.connect(remember_first_language, dispatch_uid="tenants.remember_language")
        request_finished.connect(forget_request_language, dispatch_uid="tenants.forget_language")
