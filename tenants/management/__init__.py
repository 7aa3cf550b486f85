"""Management commands of the tenants app (see `commands`)."""
