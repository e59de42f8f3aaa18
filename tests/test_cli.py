import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import psycopg2
import pytest

from app.cli import main
from app.config import reset_settings
from models import ReconciliationLog

COMMAND = Path(sys.executable).parent / "stays-reconciler"
STARTED = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
SAO_PAULO = "4283fefc63f0cd0e873a0000"

INVALID_ENVIRONMENT = [
    ("RECONCILE_LOOKBACK_DAYS", "a week"),
    ("RECONCILE_CRON", "every 30 minutes"),
    ("DEFAULT_TIMEZONE", "Mars/Olympus_Mons"),
    ("LOCK_PROVIDER", "nuki"),
]
COMMANDS = [
    ["db", "upgrade"],
    ["status"],
    ["reconcile"],
    ["listings", "import", "listing-config.json"],
    ["token", "--identity", "ops@example.com"],
    ["sandbox", "--port", "0"],
    ["demo"],
]


@pytest.fixture
def settings_reset():
    """Read the environment again in the test and again once monkeypatch has restored it."""
    reset_settings()
    yield
    reset_settings()


@pytest.fixture
def fresh_database(services):
    """Create an empty database on the server of DATABASE_URL; yield its URL; drop it."""
    server_url, _redis_url = services
    name = f"cli_test_{uuid.uuid4().hex[:12]}"
    admin = psycopg2.connect(server_url)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    yield urlsplit(server_url)._replace(path=f"/{name}").geturl()
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


def add_run(number: int, status: str, message: str | None = None, duration: int | None = None):
    started = STARTED + timedelta(minutes=30 * number)
    return ReconciliationLog.create(
        started_at=started,
        created_at=started,
        status=status,
        message=message,
        duration=duration,
        fetched=400,
        created=396 if number == 1 else 0,
        unchanged=0 if number == 1 else 396,
        errors=4,
    )


def test_status_without_runs(db, capsys, settings_reset):
    code = main(["status"])

    assert code == 0
    assert capsys.readouterr().out == "No reconciliation run yet.\n"


def test_status_prints_run_table(db, capsys, settings_reset):
    first = add_run(1, "success", "Reconciled 400 reservations.", duration=5123)
    second = add_run(2, "running")

    code = main(["status"])

    lines = capsys.readouterr().out.splitlines()
    assert code == 0
    assert len(lines) == 3
    assert lines[0].split() == [
        "id",
        "startedAt",
        "status",
        "duration_ms",
        "fetched",
        "created",
        "updated",
        "unchanged",
        "orphaned",
        "deleted",
        "errors",
        "message",
    ]
    assert lines[1].split()[0] == str(second.id)
    assert lines[1].split()[3] == "running"
    assert lines[1].split()[4] == "-"
    assert lines[2].split()[0] == str(first.id)
    assert lines[2].split()[3:8] == ["success", "5123", "400", "396", "0"]
    assert lines[2].endswith("Reconciled 400 reservations.")


def test_status_table_columns_align(db, capsys, settings_reset):
    add_run(1, "success", "Done.", duration=5)
    add_run(2, "failed", "Failed to fetch from Stays API", duration=123456)

    main(["status"])

    lines = capsys.readouterr().out.splitlines()
    status_column = lines[0].index("status")
    assert lines[1][status_column:].startswith("failed")
    assert lines[2][status_column:].startswith("success")


def test_status_respects_limit(db, capsys, settings_reset):
    for number in range(1, 6):
        add_run(number, "success", duration=1)

    main(["status", "--limit", "2"])

    assert len(capsys.readouterr().out.splitlines()) == 3


def test_db_upgrade_output(fresh_database, monkeypatch, capsys, settings_reset):
    monkeypatch.setenv("DATABASE_URL", fresh_database)
    reset_settings()

    first = main(["db", "upgrade"])
    first_output = capsys.readouterr().out
    second = main(["db", "upgrade"])
    second_output = capsys.readouterr().out

    assert first == 0
    assert first_output.startswith("Applied 6 migration(s): 0001_create_listings.sql, ")
    assert first_output.endswith("0006_create_access_codes.sql.\n")
    assert second == 0
    assert second_output == "Applied 0 migration(s): none pending.\n"


def test_listings_import_output(db, tmp_path, capsys, settings_reset):
    path = tmp_path / "listing-config.json"
    path.write_text(f'{{"{SAO_PAULO}": {{"timezone": "UTC", "lock_id": "lock-1"}}}}')

    code = main(["listings", "import", str(path)])

    assert code == 0
    assert (
        capsys.readouterr().out == f"Imported the time zone and lock of 1 listing(s) from {path}.\n"
    )


def test_listings_import_rejects_bad_file(db, tmp_path, capsys, settings_reset):
    path = tmp_path / "listing-config.json"
    path.write_text(f'{{\n"{SAO_PAULO}": {{"timezone": "Nowhere/City"}}\n}}')

    code = main(["listings", "import", str(path)])

    error = capsys.readouterr().err
    assert code != 0
    assert "line 2" in error
    assert "'Nowhere/City'" in error


@pytest.mark.parametrize("command", COMMANDS, ids=[" ".join(command[:2]) for command in COMMANDS])
@pytest.mark.parametrize(("name", "value"), INVALID_ENVIRONMENT)
def test_invalid_environment_fails_command(
    command, name, value, monkeypatch, capsys, settings_reset
):
    monkeypatch.setenv(name, value)
    reset_settings()

    code = main(command)

    error = capsys.readouterr().err
    assert code != 0
    assert f"Invalid {name}={value!r}" in error
    assert "Traceback" not in error


def test_invalid_secret_fails_hidden(monkeypatch, capsys, settings_reset):
    monkeypatch.setenv("DATABASE_URL", "mysql://app:db-password-5e2b@127.0.0.1/stays")
    reset_settings()

    code = main(["status"])

    error = capsys.readouterr().err
    assert code != 0
    assert "Invalid DATABASE_URL=(hidden)" in error
    assert "db-password-5e2b" not in error


def test_installed_command_rejects_invalid_environment(tmp_path):
    environment = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PIN_LENGTH": "99"}

    result = subprocess.run(
        [str(COMMAND), "status"], env=environment, capture_output=True, text=True, timeout=120
    )

    assert result.returncode != 0
    assert "Invalid PIN_LENGTH='99'" in result.stderr
    assert "between 4 and 12" in result.stderr
    assert result.stdout == ""


def test_unreachable_database_gives_one_line(services, monkeypatch, capsys):
    from app.cli import main
    from app.config import reset_settings
    from app.db import init_database

    monkeypatch.setenv("DATABASE_URL", "postgresql://reader:hunter2@127.0.0.1:1/nowhere")
    reset_settings()
    try:
        status = main(["status"])
    finally:
        reset_settings()
        init_database(services[0])  # main bound the models to the unreachable URL

    error = capsys.readouterr().err
    assert status == 3
    assert "cannot reach PostgreSQL at postgresql://127.0.0.1:1/nowhere" in error
    assert "hunter2" not in error
    assert "Traceback" not in error
