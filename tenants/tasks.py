"""Scheduled work of the tenants app (run by the default django-q cluster)."""

from tenants import workspace


def purge_deleted_workspaces() -> list[str]:
    """Hourly: purge workspaces whose deletion grace period is over."""
    return workspace.purge_due()
