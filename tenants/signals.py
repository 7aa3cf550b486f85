"""What the tenants app announces to the apps above it (which it must not import).

Receivers are connected in each app's ``AppConfig.ready()``.
"""

from django.dispatch import Signal

# Inside the suspension's transaction, the tenant row locked. kwargs: tenant, actor.
# Each receiver cancels its own running work through its own services (so credits are released
# exactly once) and returns counts for the audit record, e.g. {"jobs_canceled": 2}.
workspace_suspended = Signal()

# Inside the purge's transaction, before the tenant row is deleted. kwargs: tenant.
# Receivers clear links that would block the cascade (a preset's protected active adapter).
workspace_purging = Signal()
