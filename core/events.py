"""Domain events that lower layers announce and higher ones act on.

A lower app (tenants, styles) must not import generation, yet its events (credits running low,
a fine-tune changing state) are webhook-worthy. It sends ``webhook_event``; generation's
``AppConfig.ready()`` connects the webhook fan-out to it.
"""

from django.dispatch import Signal

# kwargs: tenant, event_type (a name in generation.models.webhooks.WEBHOOK_EVENTS), data (dict)
webhook_event = Signal()
