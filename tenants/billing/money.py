def format_money(cents: int, currency: str = "usd") -> str:
    """Cents as a price for people: 2900, "usd" -> "29.00 USD"."""
    return f"{cents // 100}.{cents % 100:02d} {currency.upper()}"
