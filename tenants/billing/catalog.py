"""The built-in credit packs. A data migration seeds them; staff edit them in the admin."""

from __future__ import annotations

# slug: (name, credits, price in cents, currency)
BUILTIN_PACKS = {
    "pack-500": ("Starter pack", 500, 900, "usd"),
    "pack-2000": ("Studio pack", 2000, 2900, "usd"),
    "pack-10000": ("Agency pack", 10000, 9900, "usd"),
}


def ensure_builtin_packs(pack_model) -> None:
    for slug, (name, credits, price_cents, currency) in BUILTIN_PACKS.items():
        pack_model.objects.get_or_create(
            slug=slug,
            defaults={
                "name": name,
                "credits": credits,
                "price_cents": price_cents,
                "currency": currency,
            },
        )
