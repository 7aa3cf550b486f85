from django.apps import AppConfig


class StylesConfig(AppConfig):
    name = "styles"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from styles import receivers
        from tenants.signals import workspace_purging, workspace_suspended

        workspace_suspended.connect(
            receivers.cancel_finetunes_of_suspended_workspace, dispatch_uid="styles.suspend"
        )
        workspace_purging.connect(receivers.release_protected_adapters, dispatch_uid="styles.purge")
