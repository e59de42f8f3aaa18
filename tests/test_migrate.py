import os
import subprocess
import sys
import time
import types
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import psycopg2
import pytest

import app.migrate
from app.migrate import ADVISORY_LOCK_KEY, list_migrations, upgrade

COMMAND = Path(sys.executable).parent / "stays-reconciler"
LOCK_WAIT_SECONDS = 60


@pytest.fixture
def fresh_database(services):
    """Create an empty database on the server of DATABASE_URL; yield its URL; drop it."""
    server_url, _redis_url = services
    name = f"migrate_test_{uuid.uuid4().hex[:12]}"
    admin = psycopg2.connect(server_url)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    yield urlsplit(server_url)._replace(path=f"/{name}").geturl()
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


@pytest.fixture
def migrations_dir(tmp_path, monkeypatch):
    """Point upgrade() at a folder of test migrations instead of the migrations package."""
    folder = tmp_path / "migrations"
    folder.mkdir()
    monkeypatch.setattr(app.migrate, "resources", types.SimpleNamespace(files=lambda _: folder))
    return folder


def query(database_url: str, sql: str) -> list[tuple]:
    connection = psycopg2.connect(database_url)
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchall()
    finally:
        connection.close()


def migration_files() -> list[str]:
    folder = Path(app.migrate.__file__).parents[1] / "migrations"
    return sorted(path.name for path in folder.glob("[0-9][0-9][0-9][0-9]_*.sql"))


def count_lock_waiters(cursor) -> int:
    cursor.execute(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
        " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
    )
    return cursor.fetchone()[0]


def test_upgrade_applies_every_file(fresh_database):
    applied = upgrade(fresh_database)

    recorded = query(fresh_database, "SELECT version, name FROM schema_migrations ORDER BY version")
    assert applied == migration_files()
    assert [name for _version, name in recorded] == migration_files()
    assert [version for version, _name in recorded] == [name[:4] for name in migration_files()]


def test_upgrade_creates_tables(fresh_database):
    upgrade(fresh_database)

    tables = {
        row[0]
        for row in query(
            fresh_database,
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'",
        )
    }
    for table in ("listings", "reservations", "reconciliation_logs", "reconciliation_items"):
        assert table in tables


def test_second_upgrade_applies_nothing(fresh_database):
    upgrade(fresh_database)

    applied = upgrade(fresh_database)

    assert applied == []
    assert len(query(fresh_database, "SELECT 1 FROM schema_migrations")) == len(migration_files())


def test_upgrade_applies_in_version_order(fresh_database, migrations_dir):
    (migrations_dir / "0010_add_c.sql").write_text("INSERT INTO steps (name) VALUES ('0010');")
    (migrations_dir / "0002_add_b.sql").write_text("INSERT INTO steps (name) VALUES ('0002');")
    (migrations_dir / "0001_create_steps.sql").write_text(
        "CREATE TABLE steps (id serial PRIMARY KEY, name text);"
        "INSERT INTO steps (name) VALUES ('0001');"
    )
    (migrations_dir / "README.md").write_text("not a migration")
    (migrations_dir / "0003-wrong-name.sql").write_text("SELECT 1/0;")

    applied = upgrade(fresh_database)

    steps = [row[0] for row in query(fresh_database, "SELECT name FROM steps ORDER BY id")]
    assert applied == ["0001_create_steps.sql", "0002_add_b.sql", "0010_add_c.sql"]
    assert steps == ["0001", "0002", "0010"]


def test_upgrade_applies_only_new_files(fresh_database, migrations_dir):
    (migrations_dir / "0001_create_steps.sql").write_text("CREATE TABLE steps (name text);")
    upgrade(fresh_database)
    (migrations_dir / "0002_add_step.sql").write_text("INSERT INTO steps VALUES ('0002');")

    applied = upgrade(fresh_database)

    assert applied == ["0002_add_step.sql"]
    assert query(fresh_database, "SELECT name FROM steps") == [("0002",)]


def test_failed_migration_is_not_recorded(fresh_database, migrations_dir):
    (migrations_dir / "0001_create_steps.sql").write_text("CREATE TABLE steps (name text);")
    (migrations_dir / "0002_broken.sql").write_text(
        "INSERT INTO steps VALUES ('half'); SELECT * FROM missing_table;"
    )

    with pytest.raises(psycopg2.errors.UndefinedTable):
        upgrade(fresh_database)

    versions = query(fresh_database, "SELECT version FROM schema_migrations")
    assert versions == [("0001",)]
    assert query(fresh_database, "SELECT name FROM steps") == []


def test_duplicate_versions_are_rejected(migrations_dir):
    (migrations_dir / "0001_create_a.sql").write_text("SELECT 1;")
    (migrations_dir / "0001_create_b.sql").write_text("SELECT 1;")

    with pytest.raises(RuntimeError) as caught:
        list_migrations()

    assert "0001" in str(caught.value)


def test_concurrent_upgrades_apply_once(fresh_database):
    # The test holds the migration lock until both processes wait on it, so they start
    # together on the empty database whatever their start-up times.
    gate = psycopg2.connect(fresh_database)
    gate.autocommit = True
    cursor = gate.cursor()
    cursor.execute("SELECT pg_advisory_lock(%s)", (ADVISORY_LOCK_KEY,))
    environment = {**os.environ, "DATABASE_URL": fresh_database}
    processes = [
        subprocess.Popen(
            [str(COMMAND), "db", "upgrade"],
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    try:
        deadline = time.monotonic() + LOCK_WAIT_SECONDS
        while count_lock_waiters(cursor) < 2:
            exited = [process.poll() for process in processes if process.poll() is not None]
            assert not exited, f"a process exited before waiting on the lock: {exited}"
            assert time.monotonic() < deadline, "the processes never waited on the lock"
            time.sleep(0.1)
    finally:
        cursor.execute("SELECT pg_advisory_unlock(%s)", (ADVISORY_LOCK_KEY,))
        gate.close()
    outputs = [process.communicate(timeout=120) for process in processes]

    for process, (_stdout, stderr) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, stderr
    printed = sorted(stdout.strip() for stdout, _stderr in outputs)
    expected = f"Applied {len(migration_files())} migration(s): {', '.join(migration_files())}."
    assert printed == sorted([expected, "Applied 0 migration(s): none pending."])
    recorded = query(fresh_database, "SELECT version FROM schema_migrations")
    assert len(recorded) == len(migration_files())
