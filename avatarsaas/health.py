"""Probes.

- ``/livez`` (liveness): the process answers. No dependency is checked, so an outage of
  PostgreSQL or Redis never makes an orchestrator restart every web pod at once (which would
  turn a dependency blip into a full outage).
- ``/healthz`` (readiness): 503 only when the database is unreachable, since nothing works
  without it. The broker is reported; when it is down the status is "degraded" with 200,
  because the web tier keeps serving then: submissions are committed and paid, their queue
  nudges are re-sent by the sweeper, and rate limits fail open (see the Redis drill).
"""

from django.conf import settings
from django.db import connection
from django.http import JsonResponse


def _check_database() -> tuple[bool, str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - any failure means unhealthy, with its reason
        return False, type(exc).__name__
    return True, connection.vendor


def _check_broker() -> tuple[bool, str]:
    if not settings.REDIS_URL:
        ok, detail = _check_database()
        return ok, "orm" if ok else detail
    try:
        import redis

        client = redis.Redis.from_url(
            settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2
        )
        client.ping()
    except Exception as exc:  # noqa: BLE001
        return False, type(exc).__name__
    return True, "redis"


def healthz(request):
    db_ok, db_detail = _check_database()
    broker_ok, broker_detail = _check_broker()
    if not db_ok:
        status = "unhealthy"
    elif not broker_ok:
        status = "degraded"
    else:
        status = "ok"
    return JsonResponse(
        {
            "status": status,
            "checks": {
                "database": {"ok": db_ok, "detail": db_detail},
                "broker": {"ok": broker_ok, "detail": broker_detail},
            },
        },
        status=200 if db_ok else 503,
    )


def livez(request):
    return JsonResponse({"status": "ok"})
