"""The built-in plans. The data migration seeds them; staff edit them in the admin.

`default_plan()` recreates the free plan if it has gone missing, so sign-ups never fail on a
database whose plan rows were deleted (or flushed by transactional tests).
"""

from __future__ import annotations

from tenants.models import Plan

DEFAULT_PLAN = "free"

# slug: (name, signup credits, monthly credits, price cents, concurrency, rpm, fine-tunes/month,
#        webhook endpoints)
BUILTIN_PLANS = {
    "free": ("Free", 100, 0, 0, 1, 30, 0, 2),
    "pro": ("Pro", 0, 2000, 2900, 4, 120, 2, 10),
    "business": ("Business", 0, 10000, 9900, 12, 600, 10, 25),
}
# slug: (own presets, datasets) a workspace may keep; creates past them answer 409 limit_reached
COUNT_LIMITS = {"free": (10, 3), "pro": (50, 20), "business": (200, 100)}


def plan_fields(slug: str) -> dict:
    name, signup, monthly, price, conc, rpm, ft, hooks = BUILTIN_PLANS[slug]
    return {
        "name": name,
        "signup_credits": signup,
        "monthly_credits": monthly,
        "monthly_price_cents": price,
        "max_concurrent_jobs": conc,
        "requests_per_minute": rpm,
        "finetunes_per_month": ft,
        "max_webhook_endpoints": hooks,
        "max_presets": COUNT_LIMITS[slug][0],
        "max_datasets": COUNT_LIMITS[slug][1],
    }


def ensure_builtin_plans(plan_model) -> None:
    # Migrations pass their historical model, which may predate some of today's fields.
    known = {f.name for f in plan_model._meta.get_fields()}
    for slug in BUILTIN_PLANS:
        defaults = {k: v for k, v in plan_fields(slug).items() if k in known}
        plan_model.objects.get_or_create(slug=slug, defaults=defaults)


def default_plan():
    plan, _ = Plan.objects.get_or_create(slug=DEFAULT_PLAN, defaults=plan_fields(DEFAULT_PLAN))
    return plan
