"""The ``Prefer`` request header (RFC 7240): the ``wait`` preference of job create.

A value that is not a whole number of seconds is a 400 naming ``Prefer``; a value over
``MAX_WAIT_SECONDS`` is clamped (a preference is a hint; ``Preference-Applied`` says what was
applied). Other preferences are ignored. How the wait is answered: ``generation.api.waiting``.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext

from core.errors import InvalidInput

MAX_WAIT_SECONDS = 60


@dataclass(frozen=True)
class WaitPlan:
    job_id: object
    seconds: int
    created: bool


def requested_wait(header: str | None) -> int | None:
    """The ``wait`` preference in seconds (clamped to MAX_WAIT_SECONDS), or None."""
    for preference in (header or "").split(","):
        token = preference.split(";", 1)[0].strip()
        name, _, value = token.partition("=")
        if name.strip().lower() != "wait":
            continue
        value = value.strip().strip('"')
        if not (value.isascii() and value.isdigit()):
            raise InvalidInput(
                gettext(
                    "Prefer: wait must be a whole number of seconds, e.g. 'Prefer: wait=30' "
                    "(at most %(max)s)."
                )
                % {"max": MAX_WAIT_SECONDS},
                field="Prefer",
            )
        # A deployment may lower the ceiling (never raise it past the documented 60 s).
        ceiling = min(MAX_WAIT_SECONDS, int(getattr(settings, "AVATARSAAS_MAX_WAIT_SECONDS", 60)))
        return min(int(value), ceiling)
    return None
