"""CSV exports of the audit log and the credit ledger: scoped to the caller's workspace,
role-gated, streamed, and safe to open in a spreadsheet."""

import csv
import io

import pytest

from tenants import credits
from tenants.actors import Actor
from tenants.audit import record_event
from tenants.exports import safe_cell
from tenants.models import Tenant
from tests.factories import make_member, owner_of

pytestmark = pytest.mark.django_db


def _rows(response) -> list[dict]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith("attachment; filename=")
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("+cmd", "'+cmd"),
        ("-5", "-5"),  # a signed amount stays a number
        ("+10", "+10"),
        ("plain", "plain"),
        (None, ""),
    ],
)
def test_cells_that_would_start_a_formula_are_quoted(value, expected):
    assert safe_cell(value) == expected


def test_audit_csv_has_only_my_workspace_and_quotes_formulas(client, tenant, other_tenant):
    owner = owner_of(tenant)
    record_event(
        tenant=tenant,
        actor=Actor(user=owner),
        action="preset.updated",
        metadata={"note": "hello"},
    )
    record_event(tenant=tenant, actor=Actor(user=owner), action="=cmd|' /C calc'!A0")
    record_event(tenant=other_tenant, actor=Actor.system(), action="secret.of.globex")
    client.force_login(owner)
    rows = _rows(client.get("/settings/audit.csv"))
    actions = [r["action"] for r in rows]
    assert "preset.updated" in actions and "secret.of.globex" not in actions
    assert "'=cmd|' /C calc'!A0" in actions
    updated = next(r for r in rows if r["action"] == "preset.updated")
    assert updated["details"] == '{"note": "hello"}' and updated["actor"] == str(owner)
    assert rows == sorted(rows, key=lambda r: r["at"])  # oldest first


def test_ledger_csv_sums_to_the_balance_and_is_scoped(client, tenant, other_tenant):
    credits.grant_credits(
        tenant=tenant, amount=-20, reason="=correction", actor=Actor.system(), allow_negative=True
    )
    credits.grant_credits(tenant=other_tenant, amount=777, reason="theirs", actor=Actor.system())
    client.force_login(owner_of(tenant))
    rows = _rows(client.get("/billing/ledger.csv"))
    assert sum(int(r["amount"]) for r in rows) == Tenant.objects.get(pk=tenant.pk).credit_balance
    assert int(rows[-1]["balance_after"]) == Tenant.objects.get(pk=tenant.pk).credit_balance
    assert "theirs" not in {r["reason"] for r in rows}
    assert "'=correction" in {r["reason"] for r in rows} and "-20" in {r["amount"] for r in rows}


@pytest.mark.parametrize("role", ["member", "viewer"])
def test_exports_need_the_page_permissions(client, tenant, role):
    client.force_login(make_member(tenant, role=role))
    assert client.get("/settings/audit.csv").status_code == 403
    assert client.get("/billing/ledger.csv").status_code == 403


def test_pages_link_the_exports(client, tenant):
    client.force_login(owner_of(tenant))
    assert 'id="ledger-csv"' in client.get("/billing/").content.decode()
    assert 'id="audit-csv"' in client.get("/settings/audit/").content.decode()


def test_audit_page_filters_by_area_and_days_and_the_csv_follows(client, tenant, other_tenant):
    from datetime import timedelta

    from django.utils import timezone

    from tenants.models import AuditEvent

    owner = owner_of(tenant)
    actor = Actor(user=owner)
    old = record_event(tenant=tenant, actor=actor, action="dataset.created")
    AuditEvent.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=10))
    record_event(tenant=tenant, actor=actor, action="dataset.deleted")
    record_event(tenant=tenant, actor=actor, action="api_key.created")
    record_event(tenant=other_tenant, actor=Actor.system(), action="billing.secret")
    client.force_login(owner)

    page = client.get("/settings/audit/?area=dataset").content.decode()
    assert "dataset.deleted" in page and "dataset.created" in page
    assert "api_key.created" not in page
    assert '<option value="billing"' not in page  # areas come from my workspace only

    today = timezone.now().date().isoformat()
    page = client.get(f"/settings/audit/?area=dataset&since={today}&until={today}").content
    assert b"dataset.deleted" in page and b"dataset.created" not in page
    assert b"Download CSV (filtered)" in page

    rows = _rows(client.get(f"/settings/audit.csv?area=dataset&since={today}"))
    assert [r["action"] for r in rows] == ["dataset.deleted"]

    for bad in ("area=%27%20OR%201=1", "since=yesterday", "until=2026-02-31"):
        response = client.get(f"/settings/audit/?{bad}")
        assert response.status_code == 200 and b"api_key.created" in response.content

    page = client.get("/settings/audit/?area=webhook").content.decode()
    assert "No events match these filters." in page
