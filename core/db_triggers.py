"""Sets of database triggers that an app installs from a migration and keeps installed.

Used for denormalised counters that every write path must keep, bulk ones included (the
scheduling columns on the tenant row). Written for PostgreSQL and SQLite, the two databases the
product runs on. SQLite rebuilds a table, dropping its triggers, when a later migration alters
it, so apps call `install` from post_migrate as well: it recreates only what is missing and
then runs the set's `repair` to count what happened meanwhile.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class TriggerSet:
    table: str
    # vendor -> names of the triggers on `table` that the set creates
    names: dict[str, frozenset[str]]
    # vendor -> statements that create them (and their functions), safe to run again
    create: dict[str, list[str]]
    # vendor -> statements that drop them
    drop: dict[str, list[str]]
    repair: Callable = field(default=lambda conn: 0)

    def _vendor(self, conn) -> str:
        if conn.vendor not in self.names:
            raise NotImplementedError(f"triggers on {self.table} are not written for {conn.vendor}")
        return conn.vendor

    def installed(self, conn) -> set[str]:
        if self._vendor(conn) == "postgresql":
            sql = "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal"
        else:
            sql = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s"
        with conn.cursor() as cursor:
            cursor.execute(sql, [self.table])
            return {row[0] for row in cursor.fetchall()} & self.names[conn.vendor]

    def install(self, conn) -> bool:
        """Create what is missing and repair the counts; False (and no work) if all is there."""
        if self.installed(conn) == self.names[self._vendor(conn)]:
            return False
        with conn.cursor() as cursor:
            for sql in self.create[conn.vendor]:
                cursor.execute(sql)
        self.repair(conn)
        return True

    def uninstall(self, conn) -> None:
        with conn.cursor() as cursor:
            for sql in self.drop[self._vendor(conn)]:
                cursor.execute(sql)
