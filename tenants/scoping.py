"""The tenant-scoping primitive every tenant-owned model builds on.

Rows carry a ``tenant`` foreign key and random UUID ids; reads go through
``Model.objects.for_tenant(tenant)`` so that an id from another tenant simply is not found.
"""

import uuid

from django.db import models


class TenantScopedQuerySet(models.QuerySet):
    def for_tenant(self, tenant):
        if tenant is None:
            # Failing closed: a missing tenant must never widen a query to every tenant.
            return self.none()
        return self.filter(tenant=tenant)


class TenantOwnedModel(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = TenantScopedQuerySet.as_manager()

    class Meta:
        abstract = True
