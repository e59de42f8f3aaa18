"""Apply the numbered SQL files of migrations/ once each, in order, one transaction each."""

from __future__ import annotations

import logging
import re
from importlib import resources

import psycopg2

logger = logging.getLogger(__name__)

# Any constant shared by every process that migrates this database: the session lock on it
# makes a second `db upgrade` wait for the first and then find nothing left to apply.
ADVISORY_LOCK_KEY = 0x5_7A_75_2E_C0
MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


def list_migrations() -> list[tuple[str, str]]:
    """Return (version, file name) of every migration, sorted by version."""
    names = [entry.name for entry in resources.files("migrations").iterdir()]
    found = sorted((m.group(1), m.group(0)) for n in names if (m := MIGRATION_NAME.match(n)))
    versions = [version for version, _ in found]
    duplicates = {v for v in versions if versions.count(v) > 1}
    if duplicates:
        raise RuntimeError(f"Two migration files share version {sorted(duplicates)}; renumber one.")
    return found


def upgrade(database_url: str) -> list[str]:
    """Apply the pending migrations, each in its own transaction; return their names."""
    applied: list[str] = []
    connection = psycopg2.connect(database_url)
    try:
        with connection, connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", (ADVISORY_LOCK_KEY,))
            cursor.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version text PRIMARY KEY, name text NOT NULL,"
                " applied_at timestamptz NOT NULL DEFAULT now())"
            )
            cursor.execute("SELECT version FROM schema_migrations")
            done = {row[0] for row in cursor.fetchall()}

        for version, name in list_migrations():
            if version in done:
                continue
            sql = resources.files("migrations").joinpath(name).read_text(encoding="utf-8")
            with connection, connection.cursor() as cursor:
                cursor.execute(sql)
                cursor.execute(
                    "INSERT INTO schema_migrations (version, name) VALUES (%s, %s)",
                    (version, name),
                )
            logger.info("Applied migration %s.", name)
            applied.append(name)
    finally:
        connection.close()  # also releases the session's advisory lock
    return applied
