from django.apps import AppConfig
from django.db.models.signals import post_migrate


class GenerationConfig(AppConfig):
    name = "generation"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Lower layers announce events; generation (above them) subscribes here, so no lower
        # app ever imports generation.
        from core.events import webhook_event
        from generation import receivers
        from tenants import key_policy
        from tenants.signals import workspace_suspended

        webhook_event.connect(receivers.send_webhooks_for_event, dispatch_uid="generation.webhooks")
        workspace_suspended.connect(
            receivers.cancel_jobs_of_suspended_workspace, dispatch_uid="generation.suspend"
        )
        key_policy.register_job_counter(receivers.count_key_jobs_since)
        _warm_up_parser_in_worker()
        post_migrate.connect(_ensure_job_count_triggers, sender=self)


def _ensure_job_count_triggers(sender, using, **kwargs) -> None:
    """SQLite drops a table's triggers when a migration rebuilds the table; put them back."""
    from django.db import connections

    from generation.worker import job_counts

    job_counts.ensure_installed(connections[using])


def _warm_up_parser_in_worker() -> None:
    """The worker parses descriptions too: load the parser's dictionaries when it starts, on a
    background thread. Web servers do the same from wsgi.py/asgi.py; tests and other management
    commands never warm up."""
    import sys

    if len(sys.argv) > 1 and sys.argv[1] == "qcluster":
        from generation.prompts import warmup

        warmup.start_in_background()
