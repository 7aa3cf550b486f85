from django.apps import AppConfig


class StylesConfig(AppConfig):
    name = "styles"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from styles import receivers
        from styles.models import BrandKitSettings
        from tenants.signals import workspace_purging, workspace_suspended

        workspace_suspended.connect(
            receivers.cancel_finetunes_of_suspended_workspace, dispatch_uid="styles.suspend"
        )
        workspace_purging.connect(receivers.release_protected_adapters, dispatch_uid="styles.purge")
        # The brand kit's switch is cached per workspace (styles.services.brand_kit_cache);
        # any write, the admin's included, forgets it.
        post_save.connect(
            receivers.forget_brand_kit, sender=BrandKitSettings, dispatch_uid="brandkit.save"
        )
        post_delete.connect(
            receivers.forget_brand_kit, sender=BrandKitSettings, dispatch_uid="brandkit.del"
        )
