"""CSV exports of a workspace's audit log and credit ledger, for accountants and auditors.

Streamed row by row (a ledger grows with every job), always scoped to one tenant, and safe to
open in a spreadsheet: a cell that would start a formula is prefixed with a quote, because
audit details carry user-typed text (names, notes).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator

from django.http import StreamingHttpResponse
from django.utils import timezone

from tenants.billing.selectors import ledger_of
from tenants.models import Tenant
from tenants.selectors import AuditFilters, filtered_audit_events

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_START) and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    # Signed amounts (-5, +10) are data, not formulas; keep them numeric for the spreadsheet.
    try:
        float(text)
    except ValueError:
        return False
    return True


class _Echo:
    def write(self, value: str) -> str:
        return value


def _stream(header: list[str], rows: Iterable[list]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow([safe_cell(v) for v in row])


def csv_response(filename: str, header: list[str], rows: Iterable[list]) -> StreamingHttpResponse:
    response = StreamingHttpResponse(_stream(header, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


def _stamp(tenant: Tenant, kind: str) -> str:
    return f"{tenant.slug}-{kind}-{timezone.now():%Y%m%d-%H%M%S}.csv"


AUDIT_HEADER = ["at", "action", "actor", "target_type", "target_id", "details", "ip"]
LEDGER_HEADER = ["at", "kind", "amount", "balance_after", "reference", "reason", "actor"]


def audit_rows(tenant: Tenant, filters: AuditFilters | None = None) -> Iterator[list]:
    events = filtered_audit_events(tenant, filters or AuditFilters()).order_by("created_at", "id")
    for e in events.iterator(chunk_size=2000):
        yield [
            e.created_at.isoformat(),
            e.action,
            e.actor_label,
            e.target_type,
            e.target_id,
            json.dumps(e.metadata, ensure_ascii=False, sort_keys=True) if e.metadata else "",
            e.ip or "",
        ]


def ledger_rows(tenant: Tenant) -> Iterator[list]:
    entries = ledger_of(tenant).order_by("created_at", "balance_after")
    for e in entries.iterator(chunk_size=2000):
        yield [
            e.created_at.isoformat(),
            e.kind,
            e.amount,
            e.balance_after,
            e.reference,
            e.reason,
            e.actor_label,
        ]


def audit_csv(tenant: Tenant, filters: AuditFilters | None = None) -> StreamingHttpResponse:
    return csv_response(_stamp(tenant, "audit"), AUDIT_HEADER, audit_rows(tenant, filters))


def ledger_csv(tenant: Tenant) -> StreamingHttpResponse:
    return csv_response(_stamp(tenant, "ledger"), LEDGER_HEADER, ledger_rows(tenant))
