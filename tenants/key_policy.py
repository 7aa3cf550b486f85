"""What one API key may ask for: brand lock (presets), parameter ranges, engines, monthly quota.

Called once from ``generation.jobs.submit.quote_job``, so the parse preview, submissions and
re-renders all answer the same way. Violations raise ``NotAllowed`` (403, the reason names the
field);
a spent monthly quota raises ``QuotaExceeded`` (429 ``quota_exceeded``, with ``retry_after``
seconds until the quota resets at the start of the next UTC month).

The quota counts this key's jobs created this month (rows are the source of truth; no counter
to drift). It is checked early (cheap refusal) and again inside the submit transaction under a
row lock on the key (``recheck_quota_locked``), so simultaneous submissions cannot overshoot it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from django.utils import timezone
from django.utils.translation import gettext

from core.errors import DomainError, NotAllowed
from tenants.models import ApiKey


class QuotaExceeded(DomainError):
    status_code = 429
    code = "quota_exceeded"


@dataclass(frozen=True)
class KeyUse:
    """The effective parameters of one request, after preset defaults were applied."""

    preset_id: str | None
    engine: str
    n: int
    size: int


def enforce_key_policy(*, api_key: ApiKey | None, use: KeyUse) -> None:
    """Raise NotAllowed/QuotaExceeded when this key may not make this request (no-op for
    sessions and unrestricted keys)."""
    if api_key is None:
        return
    _check_preset(api_key, use.preset_id)
    if api_key.allowed_engines and use.engine not in api_key.allowed_engines:
        raise NotAllowed(
            gettext(
                "This API key may only use the engines %(allowed_engines)s; the request "
                "would use '%(engine)s'."
            )
            % {"allowed_engines": _listing(api_key.allowed_engines), "engine": use.engine},
            field="engine",
            code="key_restricted",
        )
    if api_key.max_n is not None and use.n > api_key.max_n:
        raise NotAllowed(
            gettext("This API key allows at most n=%(max_n)s candidates per job.")
            % {"max_n": api_key.max_n},
            field="n",
            code="key_restricted",
        )
    if api_key.max_size is not None and use.size > api_key.max_size:
        raise NotAllowed(
            gettext(
                "This API key allows sizes up to %(max_size)s px; the request would "
                "render %(size)s px."
            )
            % {"max_size": api_key.max_size, "size": use.size},
            field="size",
            code="key_restricted",
        )
    if api_key.monthly_quota is not None:
        _check_quota(api_key)


def _check_preset(api_key: ApiKey, preset_id: str | None) -> None:
    allowed = [str(p) for p in api_key.allowed_presets or []]
    if not allowed:
        return
    if preset_id is None or str(preset_id) not in allowed:
        raise NotAllowed(
            gettext(
                "This API key is locked to the style presets %(allowed)s; pass one of "
                "them as preset."
            )
            % {"allowed": _listing(allowed)},
            field="preset",
            code="key_restricted",
        )


def recheck_quota_locked(api_key: ApiKey | None) -> None:
    """Inside the submit transaction: serialise one key's submissions so its quota is exact.
    Only keys with a quota pay for the lock; lock order is key, then tenant (credits)."""
    if api_key is None or api_key.monthly_quota is None:
        return
    locked = ApiKey.objects.select_for_update().get(pk=api_key.pk)
    if locked.monthly_quota is not None:
        _check_quota(locked)


def month_start(now: datetime | None = None) -> datetime:
    now = (now or timezone.now()).astimezone(UTC)
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def next_month_start(now: datetime | None = None) -> datetime:
    start = month_start(now)
    return (
        start.replace(year=start.year + 1, month=1)
        if start.month == 12
        else start.replace(month=start.month + 1)
    )


# Jobs live in generation, above this app: it registers how to count a key's jobs since a
# moment (GenerationConfig.ready), so quotas are checked here without importing it.
_count_jobs_since: Callable[[ApiKey, datetime], int] | None = None


def register_job_counter(counter: Callable[[ApiKey, datetime], int]) -> None:
    global _count_jobs_since
    _count_jobs_since = counter


def jobs_this_month(api_key: ApiKey, now: datetime | None = None) -> int:
    if _count_jobs_since is None:
        raise RuntimeError("No job counter registered; is the generation app installed?")
    return _count_jobs_since(api_key, month_start(now))


def _check_quota(api_key: ApiKey) -> None:
    now = timezone.now()
    used = jobs_this_month(api_key, now)
    if used < api_key.monthly_quota:
        return
    resets_at = next_month_start(now)
    raise QuotaExceeded(
        gettext(
            "This API key used its monthly quota of %(monthly_quota)s jobs; it "
            "resets at %(resets_at)s."
        )
        % {
            "monthly_quota": api_key.monthly_quota,
            "resets_at": format(resets_at, "%Y-%m-%dT%H:%M:%SZ"),
        },
        field="monthly_quota",
        extra={
            "quota": api_key.monthly_quota,
            "used": used,
            "resets_at": resets_at.isoformat().replace("+00:00", "Z"),
            "retry_after": max(1, int((resets_at - now).total_seconds())),
        },
    )


def _listing(values) -> str:
    return ", ".join(str(v) for v in values)
