"""The live-job counts on each tenant row, `queued_jobs` and `running_jobs`, kept by triggers.

Together with `job_cap` (tenants/job_cap.py) they make "this tenant can start a job now" a
predicate over its own row, which the partial index `tenant_claimable` holds: `claim` finds the
next tenant in O(log n) and checks its cap on the row it has locked, so a claim costs the same
with ten tenants at their caps or ten thousand, with no history or a million past jobs.
Triggers rather than Python bookkeeping because every write path must count: the submit, the
claim, the runner, the sweeper, admin actions and bulk writes alike.

A decrement never goes below zero, so a finishing job can never fail on a counter, and
`reconcile` (run by the sweeper) repairs any drift from the jobs themselves.
"""

from __future__ import annotations

import logging

from django.db import connection, transaction

from core.db_triggers import TriggerSet

logger = logging.getLogger(__name__)

_JOB = "generation_generationjob"
_TENANT = "tenants_tenant"
_LIVE = "('queued', 'running')"

_POSTGRES = [
    f"""CREATE OR REPLACE FUNCTION generation_job_counts() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.tenant_id = NEW.tenant_id THEN
        UPDATE {_TENANT} SET
            queued_jobs = GREATEST(queued_jobs
                + (NEW.status = 'queued')::int - (OLD.status = 'queued')::int, 0),
            running_jobs = GREATEST(running_jobs
                + (NEW.status = 'running')::int - (OLD.status = 'running')::int, 0)
        WHERE id = NEW.tenant_id;
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status IN {_LIVE} THEN
        UPDATE {_TENANT} SET
            queued_jobs = GREATEST(queued_jobs - (OLD.status = 'queued')::int, 0),
            running_jobs = GREATEST(running_jobs - (OLD.status = 'running')::int, 0)
        WHERE id = OLD.tenant_id;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') AND NEW.status IN {_LIVE} THEN
        UPDATE {_TENANT} SET
            queued_jobs = queued_jobs + (NEW.status = 'queued')::int,
            running_jobs = running_jobs + (NEW.status = 'running')::int
        WHERE id = NEW.tenant_id;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql""",
    f"""CREATE OR REPLACE TRIGGER job_counts_insert AFTER INSERT ON {_JOB}
    FOR EACH ROW WHEN (NEW.status IN {_LIVE}) EXECUTE FUNCTION generation_job_counts()""",
    f"""CREATE OR REPLACE TRIGGER job_counts_update AFTER UPDATE OF status, tenant_id ON {_JOB}
    FOR EACH ROW WHEN ((OLD.status IN {_LIVE} OR NEW.status IN {_LIVE}) AND (
        OLD.status IS DISTINCT FROM NEW.status OR OLD.tenant_id IS DISTINCT FROM NEW.tenant_id))
    EXECUTE FUNCTION generation_job_counts()""",
    f"""CREATE OR REPLACE TRIGGER job_counts_delete AFTER DELETE ON {_JOB}
    FOR EACH ROW WHEN (OLD.status IN {_LIVE}) EXECUTE FUNCTION generation_job_counts()""",
]


def _sqlite_delta(row: str, sign: str) -> str:
    def one(status: str) -> str:
        return f"CASE WHEN {row}.status = '{status}' THEN 1 ELSE 0 END"

    if sign == "+":
        return (
            f"UPDATE {_TENANT} SET queued_jobs = queued_jobs + {one('queued')}, "
            f"running_jobs = running_jobs + {one('running')} WHERE id = {row}.tenant_id;"
        )
    return (
        f"UPDATE {_TENANT} SET queued_jobs = MAX(queued_jobs - {one('queued')}, 0), "
        f"running_jobs = MAX(running_jobs - {one('running')}, 0) WHERE id = {row}.tenant_id;"
    )


_SQLITE = [
    f"CREATE TRIGGER IF NOT EXISTS job_counts_insert AFTER INSERT ON {_JOB} "
    f"WHEN NEW.status IN {_LIVE} BEGIN {_sqlite_delta('NEW', '+')} END",
    f"CREATE TRIGGER IF NOT EXISTS job_counts_update AFTER UPDATE OF status, tenant_id ON {_JOB} "
    f"WHEN (OLD.status IN {_LIVE} OR NEW.status IN {_LIVE}) "
    "AND (OLD.status != NEW.status OR OLD.tenant_id != NEW.tenant_id) "
    f"BEGIN {_sqlite_delta('OLD', '-')} {_sqlite_delta('NEW', '+')} END",
    f"CREATE TRIGGER IF NOT EXISTS job_counts_delete AFTER DELETE ON {_JOB} "
    f"WHEN OLD.status IN {_LIVE} BEGIN {_sqlite_delta('OLD', '-')} END",
]

_NAMES = frozenset({"job_counts_insert", "job_counts_update", "job_counts_delete"})

# Tenants whose counters disagree with their live jobs.
_DRIFT = f"""
SELECT t.id FROM {_TENANT} t
LEFT JOIN (
    SELECT tenant_id,
        SUM(CASE WHEN status = 'queued' THEN 1 ELSE 0 END) AS queued,
        SUM(CASE WHEN status = 'running' THEN 1 ELSE 0 END) AS running
    FROM {_JOB} WHERE status IN {_LIVE} GROUP BY tenant_id
) live ON live.tenant_id = t.id
WHERE t.queued_jobs <> COALESCE(live.queued, 0) OR t.running_jobs <> COALESCE(live.running, 0)
"""
_RECOUNT = f"""
UPDATE {_TENANT} SET
    queued_jobs = (SELECT COUNT(*) FROM {_JOB} WHERE tenant_id = %s AND status = 'queued'),
    running_jobs = (SELECT COUNT(*) FROM {_JOB} WHERE tenant_id = %s AND status = 'running')
WHERE id = %s
"""


def reconcile(conn=connection) -> int:
    """Recount every tenant whose counters drifted; returns how many did. Each recount locks the
    tenant row before it counts, so a claim or finish committing meanwhile is counted rather
    than overwritten."""
    with conn.cursor() as cursor:
        cursor.execute(_DRIFT)
        drifted = [row[0] for row in cursor.fetchall()]
    for tenant_id in drifted:
        logger.warning("tenant %s live-job counters drifted from its jobs; recounted", tenant_id)
        with transaction.atomic(using=conn.alias), conn.cursor() as cursor:
            if conn.features.has_select_for_update:
                cursor.execute(f"SELECT 1 FROM {_TENANT} WHERE id = %s FOR UPDATE", [tenant_id])
            cursor.execute(_RECOUNT, [tenant_id, tenant_id, tenant_id])
    return len(drifted)


TRIGGERS = TriggerSet(
    table=_JOB,
    names={"postgresql": _NAMES, "sqlite": _NAMES},
    create={"postgresql": _POSTGRES, "sqlite": _SQLITE},
    drop={
        "postgresql": [f"DROP TRIGGER IF EXISTS {name} ON {_JOB}" for name in sorted(_NAMES)]
        + ["DROP FUNCTION IF EXISTS generation_job_counts()"],
        "sqlite": [f"DROP TRIGGER IF EXISTS {name}" for name in sorted(_NAMES)],
    },
    repair=reconcile,
)


def install(conn=connection) -> bool:
    return TRIGGERS.install(conn)


def uninstall(conn=connection) -> None:
    TRIGGERS.uninstall(conn)


def installed_triggers(conn=connection) -> set[str]:
    return TRIGGERS.installed(conn)


def ensure_installed(conn=connection) -> None:
    """After migrations: put back what a SQLite table rebuild dropped. Does nothing on a
    database migrated back to before the counters existed."""
    with conn.cursor() as cursor:
        if _JOB not in conn.introspection.table_names(cursor):
            return
        columns = {c.name for c in conn.introspection.get_table_description(cursor, _TENANT)}
    if "queued_jobs" in columns:
        install(conn)
