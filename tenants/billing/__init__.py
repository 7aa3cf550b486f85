"""Stripe billing: credit packs, subscriptions, verified idempotent webhooks, low-balance notices.

Credits move only through ``tenants.credits``; this package decides *when* (a verified webhook)
and *how much* (our own purchase/plan rows, never amounts taken from a webhook on trust).
"""
