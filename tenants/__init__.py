"""The tenants app (bottom of the domain layers): workspaces, users and memberships with roles,
invitations, API keys and their limits, credits and the audit log, plans and Stripe `billing`,
and the helpers every app's views share. It imports only core; it announces events through
`signals` for the apps above it.
"""
