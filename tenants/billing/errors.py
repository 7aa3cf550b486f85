from core.errors import DomainError


class BillingUnavailable(DomainError):
    """Stripe is not configured, unreachable, or lacks a feature (e.g. the customer portal)."""

    status_code = 503
    code = "billing_unavailable"


class WebhookIgnored(Exception):  # noqa: N818 - an outcome, not a failure
    """A verified event we deliberately do not act on (recorded with the reason, answered 200).

    `audit_tenant` names a tenant whose audit log should show the rejection (e.g. a webhook
    that claimed the tenant but carried another customer's id).
    """

    def __init__(self, reason: str, *, audit_tenant=None, audit_metadata: dict | None = None):
        super().__init__(reason)
        self.reason = reason
        self.audit_tenant = audit_tenant
        self.audit_metadata = audit_metadata or {}
