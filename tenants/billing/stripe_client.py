"""The one place that builds a Stripe client from settings.

``STRIPE_API_BASE`` points the library at another server (localstripe in tests and local dev);
empty means api.stripe.com. Every call that creates something passes an idempotency key, so
the client's network retries can never create a second customer or payment.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import lru_cache
from typing import TypeVar

import stripe
from django.conf import settings
from django.utils.translation import gettext

from tenants.billing.errors import BillingUnavailable

logger = logging.getLogger(__name__)
T = TypeVar("T")


def is_configured() -> bool:
    return bool(settings.STRIPE_API_KEY)


@lru_cache(maxsize=4)
def _client(api_key: str, api_base: str) -> stripe.StripeClient:
    base_addresses = {"api": api_base.rstrip("/")} if api_base else None
    return stripe.StripeClient(api_key, base_addresses=base_addresses, max_network_retries=2)


def get_client() -> stripe.StripeClient:
    if not is_configured():
        raise BillingUnavailable(
            gettext(
                "Billing is not configured: set STRIPE_API_KEY to sell credits and subscriptions."
            )
        )
    return _client(settings.STRIPE_API_KEY, settings.STRIPE_API_BASE or "")


def call_stripe(what: str, fn: Callable[[stripe.StripeClient], T]) -> T:
    """Run one Stripe call; Stripe's failures become a BillingUnavailable the user can read."""
    client = get_client()
    try:
        return fn(client)
    except stripe.CardError as exc:
        raise BillingUnavailable(
            gettext("The card was declined: %(reason)s") % {"reason": exc.user_message or exc}
        ) from exc
    except stripe.StripeError as exc:
        logger.warning("Stripe call failed (%s): %s", what, exc)
        raise BillingUnavailable(
            gettext(
                "Stripe could not %(what)s right now; nothing was charged. Try again in a minute."
            )
            % {"what": what}
        ) from exc
