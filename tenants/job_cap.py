"""`Tenant.job_cap`: the plan's concurrency cap, copied onto the tenant row by triggers.

With the cap on the row beside the trigger-kept `running_jobs` and `queued_jobs`, "this
tenant can start a job now" is a predicate over one row, which a partial index can hold
(`tenant_claimable`, migration 0014): the claim then finds the next tenant in O(log n), however
many tenants sit at their caps. A plan's cap below 1 means 1, as it always has.
"""

from __future__ import annotations

import logging

from core.db_triggers import TriggerSet

logger = logging.getLogger(__name__)

_TENANT = "tenants_tenant"
_PLAN = "tenants_plan"

_CAP_OF_PLAN = "SELECT CASE WHEN max_concurrent_jobs < 1 THEN 1 ELSE max_concurrent_jobs END"

_POSTGRES_TENANT = [
    f"""CREATE OR REPLACE FUNCTION tenants_tenant_job_cap() RETURNS trigger AS $$
BEGIN
    NEW.job_cap := COALESCE(({_CAP_OF_PLAN} FROM {_PLAN} WHERE slug = NEW.plan_id), 1);
    RETURN NEW;
END;
$$ LANGUAGE plpgsql""",
    f"""CREATE OR REPLACE TRIGGER tenant_job_cap BEFORE INSERT OR UPDATE OF plan_id ON {_TENANT}
    FOR EACH ROW EXECUTE FUNCTION tenants_tenant_job_cap()""",
]
_POSTGRES_PLAN = [
    f"""CREATE OR REPLACE FUNCTION tenants_plan_job_cap() RETURNS trigger AS $$
BEGIN
    UPDATE {_TENANT} SET job_cap = GREATEST(NEW.max_concurrent_jobs, 1)
    WHERE plan_id = NEW.slug AND job_cap <> GREATEST(NEW.max_concurrent_jobs, 1);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql""",
    f"""CREATE OR REPLACE TRIGGER plan_job_cap AFTER UPDATE OF max_concurrent_jobs ON {_PLAN}
    FOR EACH ROW WHEN (OLD.max_concurrent_jobs IS DISTINCT FROM NEW.max_concurrent_jobs)
    EXECUTE FUNCTION tenants_plan_job_cap()""",
]

_SQLITE_SET_CAP = (
    f"UPDATE {_TENANT} SET job_cap = COALESCE(({_CAP_OF_PLAN} FROM {_PLAN} "
    f"WHERE slug = NEW.plan_id), 1) WHERE id = NEW.id;"
)
_SQLITE_TENANT = [
    f"CREATE TRIGGER IF NOT EXISTS tenant_job_cap_insert AFTER INSERT ON {_TENANT} "
    f"BEGIN {_SQLITE_SET_CAP} END",
    f"CREATE TRIGGER IF NOT EXISTS tenant_job_cap_update AFTER UPDATE OF plan_id ON {_TENANT} "
    f"BEGIN {_SQLITE_SET_CAP} END",
]
_SQLITE_PLAN = [
    f"CREATE TRIGGER IF NOT EXISTS plan_job_cap AFTER UPDATE OF max_concurrent_jobs ON {_PLAN} "
    f"WHEN OLD.max_concurrent_jobs != NEW.max_concurrent_jobs BEGIN "
    f"UPDATE {_TENANT} SET job_cap = MAX(NEW.max_concurrent_jobs, 1) WHERE plan_id = NEW.slug; "
    "END",
]

# Every tenant whose copy disagrees with its plan, set right in one statement.
_REPAIR = f"""
UPDATE {_TENANT} SET job_cap = COALESCE(({_CAP_OF_PLAN} FROM {_PLAN} p
    WHERE p.slug = {_TENANT}.plan_id), 1)
WHERE job_cap <> COALESCE(({_CAP_OF_PLAN} FROM {_PLAN} p WHERE p.slug = {_TENANT}.plan_id), 1)
"""


def repair(conn) -> int:
    with conn.cursor() as cursor:
        cursor.execute(_REPAIR)
        fixed = cursor.rowcount
    if fixed:
        logger.warning("job_cap was out of date on %s tenants; copied from their plans", fixed)
    return fixed


ON_TENANT = TriggerSet(
    table=_TENANT,
    names={
        "postgresql": frozenset({"tenant_job_cap"}),
        "sqlite": frozenset({"tenant_job_cap_insert", "tenant_job_cap_update"}),
    },
    create={"postgresql": _POSTGRES_TENANT, "sqlite": _SQLITE_TENANT},
    drop={
        "postgresql": [
            f"DROP TRIGGER IF EXISTS tenant_job_cap ON {_TENANT}",
            "DROP FUNCTION IF EXISTS tenants_tenant_job_cap()",
        ],
        "sqlite": [
            "DROP TRIGGER IF EXISTS tenant_job_cap_insert",
            "DROP TRIGGER IF EXISTS tenant_job_cap_update",
        ],
    },
    repair=repair,
)
ON_PLAN = TriggerSet(
    table=_PLAN,
    names={"postgresql": frozenset({"plan_job_cap"}), "sqlite": frozenset({"plan_job_cap"})},
    create={"postgresql": _POSTGRES_PLAN, "sqlite": _SQLITE_PLAN},
    drop={
        "postgresql": [
            f"DROP TRIGGER IF EXISTS plan_job_cap ON {_PLAN}",
            "DROP FUNCTION IF EXISTS tenants_plan_job_cap()",
        ],
        "sqlite": ["DROP TRIGGER IF EXISTS plan_job_cap"],
    },
    repair=repair,
)
TRIGGER_SETS = (ON_TENANT, ON_PLAN)


def install(conn) -> bool:
    return any([trigger_set.install(conn) for trigger_set in TRIGGER_SETS])


def uninstall(conn) -> None:
    for trigger_set in TRIGGER_SETS:
        trigger_set.uninstall(conn)


# The claim's index: tenants that can start a job now, in round-robin order.
_CLAIMABLE_INDEX = {
    "postgresql": "CREATE INDEX IF NOT EXISTS tenant_claimable ON tenants_tenant "
    '("last_served_at" ASC NULLS FIRST, "id") '
    'WHERE "is_active" AND "queued_jobs" > 0 AND "running_jobs" < "job_cap"',
    "sqlite": "CREATE INDEX IF NOT EXISTS tenant_claimable ON tenants_tenant "
    '("last_served_at", "id") '
    'WHERE "is_active" AND "queued_jobs" > 0 AND "running_jobs" < "job_cap"',
}


def create_claimable_index(conn) -> None:
    with conn.cursor() as cursor:
        cursor.execute(_CLAIMABLE_INDEX[conn.vendor])


def drop_claimable_index(conn) -> None:
    with conn.cursor() as cursor:
        cursor.execute("DROP INDEX IF EXISTS tenant_claimable")


def ensure_installed(conn) -> None:
    """After migrations: put back what a SQLite table rebuild dropped. Does nothing on a
    database migrated back to before the scheduling columns existed."""
    with conn.cursor() as cursor:
        columns = {c.name for c in conn.introspection.get_table_description(cursor, _TENANT)}
    if "job_cap" not in columns:
        return
    install(conn)
    with conn.cursor() as cursor:
        indexes = conn.introspection.get_constraints(cursor, _TENANT)
    if "tenant_claimable" not in indexes:
        create_claimable_index(conn)
