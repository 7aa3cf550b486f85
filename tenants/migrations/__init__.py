"""Database migrations of the tenants app (workspaces, memberships, keys, credits, plans, billing)."""
