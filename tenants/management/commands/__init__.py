"""`manage.py` commands for tenants: `create_api_key`, `purge_workspaces` (deleted workspaces
past their grace period) and `seed_demo` (the demo workspace with an owner and a staff superuser).
"""
