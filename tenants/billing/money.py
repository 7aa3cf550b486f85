from decimal import Decimal

from babel.numbers import format_currency, get_currency_precision
from django.utils import translation


def format_money(cents: int, currency: str = "usd", language: str | None = None) -> str:
    """Minor units as a price for people, in the active (or given) language's conventions:
    2900 "usd" -> "$29.00" in English, "US$29.00" in Simplified Chinese (CLDR data via Babel,
    which knows each currency's symbol and decimals)."""
    currency = currency.upper()
    # Stripe amounts are in the currency's minor unit: cents for USD, whole yen for JPY.
    amount = Decimal(cents).scaleb(-get_currency_precision(currency))
    code = translation.to_locale(language or translation.get_language() or "en")
    return format_currency(amount, currency, locale=code)
