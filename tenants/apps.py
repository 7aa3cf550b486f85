from django.apps import AppConfig
from django.db.models.signals import post_delete, post_migrate, post_save, pre_delete


class TenantsConfig(AppConfig):
    name = "tenants"
    verbose_name = "Tenants, members, keys and credits"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in
        from django.core.signals import request_finished

        from tenants import auth_cache
        from tenants.language import forget_request_language, remember_first_language
        from tenants.models import ApiKey, Plan, Tenant

        user_logged_in.connect(remember_first_language, dispatch_uid="tenants.remember_language")
        request_finished.connect(forget_request_language, dispatch_uid="tenants.forget_language")
        post_save.connect(auth_cache.on_key_changed, sender=ApiKey, dispatch_uid="auth-key-save")
        post_delete.connect(auth_cache.on_key_changed, sender=ApiKey, dispatch_uid="auth-key-del")
        post_save.connect(auth_cache.on_tenant_saved, sender=Tenant, dispatch_uid="auth-tenant")
        # Before the delete: afterwards the tenant's keys (cascaded) can no longer be listed.
        pre_delete.connect(
            auth_cache.on_tenant_deleted, sender=Tenant, dispatch_uid="auth-tenant-del"
        )
        post_save.connect(auth_cache.on_plan_changed, sender=Plan, dispatch_uid="auth-plan")
        post_delete.connect(auth_cache.on_plan_changed, sender=Plan, dispatch_uid="auth-plan-del")
        post_migrate.connect(_ensure_scheduling_triggers, sender=self)


def _ensure_scheduling_triggers(sender, using, **kwargs) -> None:
    from django.db import connections

    from tenants import job_cap

    job_cap.ensure_installed(connections[using])
