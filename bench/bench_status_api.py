"""Latency of the admin status endpoint and the status page with 10,000 runs in history.

Seeds a dedicated database with 10,000 finished runs, one running run with its items,
listings, reservations and PIN jobs. The database is created if missing, and its public
schema is dropped and migrated again. Then the bench times GET requests through Flask's
test client and through a Werkzeug server on loopback. It prints p50, p95 and max per
endpoint and exits 1 when a p95 misses the target.

    python bench/bench_status_api.py [--requests 500] [--write-docs]

--write-docs replaces the "## Admin status API" section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg2
import requests
from werkzeug.serving import make_server

REPOSITORY = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPOSITORY))

from app.migrate import upgrade  # noqa: E402
from app.tokens import mint_token  # noqa: E402

DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/bench_status_api"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15"
SIGNING_KEY = "bench-secret-of-the-admin-api-0123456789abcdef"
TARGET_P95_MILLISECONDS = 50.0
WARMUP_REQUESTS = 20
DOCS = REPOSITORY / "docs" / "benchmarks.md"
SECTION = "## Admin status API"

RUNS = 10_000
RUNNING_ITEMS = 2_000
LISTINGS = 50
RESERVATIONS = 2_000

# The Procfile's web options, less the bind address.
GUNICORN_OPTIONS = ("--workers", "2", "--threads", "4")

ENDPOINTS = {
    "status": "/api/admin/reconciliation/status",
    "dashboard": "/api/admin/dashboard",
    "page": "/admin",
}

# One finished run every 30 minutes back from now: 3 % skipped, 2 % failed and 5 % with
# item errors. Each fetched about 2,000 reservations and created or updated a few.
SEED_RUNS = """
INSERT INTO reconciliation_logs (
    "lastRunAt", "startedAt", "completedAt", duration, fetched, created, updated, unchanged,
    orphaned, deleted, errors, status, message, "createdAt", trigger_key
)
SELECT
    started - interval '30 minutes',
    started,
    started + make_interval(secs => duration / 1000.0),
    duration,
    fetched,
    created,
    updated,
    greatest(fetched - created - updated - errors, 0),
    orphaned,
    deleted,
    errors,
    status,
    CASE
        WHEN status = 'failed' THEN 'Failed to fetch from Stays API'
        WHEN status = 'skipped' THEN 'Run ' || (n + 1) || ' is still running.'
        WHEN errors > 0 THEN errors || ' reservations failed'
    END,
    started,
    'schedule:' || to_char(started, 'YYYY-MM-DD"T"HH24:MI"Z"')
FROM (
    SELECT
        n,
        date_trunc('minute', now()) - n * interval '30 minutes' AS started,
        CASE WHEN n %% 33 = 0 THEN 'skipped' WHEN n %% 50 = 7 THEN 'failed' ELSE 'success' END
            AS status,
        (3000 + (n * 7919) %% 17000) AS duration,
        (1900 + (n * 104729) %% 200) AS fetched,
        (n * 31) %% 12 AS created,
        (n * 17) %% 40 AS updated,
        CASE WHEN n %% 20 = 3 THEN 1 + n %% 4 ELSE 0 END AS errors,
        (n * 13) %% 3 AS orphaned,
        CASE WHEN n %% 10 = 0 THEN 1 ELSE 0 END AS deleted
    FROM generate_series(1, %(runs)s) AS n
) AS seeded
"""

SEED_RUNNING = """
WITH running AS (
    INSERT INTO reconciliation_logs ("startedAt", "createdAt", status, trigger_key)
    VALUES (now() - interval '2 minutes', now() - interval '2 minutes', 'running', 'manual:bench')
    RETURNING id
)
INSERT INTO reconciliation_items (run_id, stays_reservation_id, outcome)
SELECT running.id, 'bench-' || n, CASE WHEN n %% 2 = 0 THEN 'unchanged' END
FROM running, generate_series(1, %(items)s) AS n
"""

SEED_STAYS = """
INSERT INTO listings (stays_listing_id, short_id, name, timezone, lock_id)
SELECT 'L' || n, 'L' || n, 'Apartamento ' || n, 'America/Sao_Paulo', 'lock-' || n
FROM generate_series(1, %(listings)s) AS n;

INSERT INTO reservations (
    stays_reservation_id, short_id, stays_listing_id, type, check_in_date, check_out_date,
    guest_name, content_hash
)
SELECT
    'res-' || n, 'SH' || n, 'L' || (1 + n %% %(listings)s), 'booked',
    current_date + (n %% 365), current_date + (n %% 365) + 3, 'Guest ' || n, md5(n::text)
FROM generate_series(1, %(reservations)s) AS n;

INSERT INTO pin_jobs (id, stays_reservation_id, kind, run_at, status, attempts, last_error)
SELECT
    kind_prefix || '-res-' || n,
    'res-' || n,
    kind,
    now() + (n %% 365) * interval '1 day' + (n %% 24) * interval '1 hour'
        + CASE WHEN kind = 'revoke' THEN interval '4 days' ELSE interval '0' END,
    CASE WHEN n %% 97 = 0 THEN 'failed' WHEN n %% 365 = 0 THEN 'enqueued' ELSE 'scheduled' END,
    CASE WHEN n %% 97 = 0 THEN 5 ELSE 0 END,
    CASE WHEN n %% 97 = 0 THEN 'Lock provider answered 503.' END
FROM generate_series(1, %(reservations)s) AS n,
     (VALUES ('gen', 'generate'), ('rev', 'revoke')) AS kinds (kind_prefix, kind);
"""


def prepare_database(url: str) -> None:
    """Create the database if missing, drop its public schema and apply the migrations."""
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    admin = psycopg2.connect(admin_url)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()

    connection = psycopg2.connect(url)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    connection.close()
    upgrade(url)


def seed(url: str) -> dict[str, int]:
    """Insert the history in three statements and return the row counts."""
    counts = {}
    connection = psycopg2.connect(url)
    with connection, connection.cursor() as cursor:
        cursor.execute(SEED_RUNS, {"runs": RUNS})
        cursor.execute(SEED_RUNNING, {"items": RUNNING_ITEMS})
        cursor.execute(SEED_STAYS, {"listings": LISTINGS, "reservations": RESERVATIONS})
        for table in ("reconciliation_logs", "reconciliation_items", "reservations", "pin_jobs"):
            cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 - fixed names
            counts[table] = cursor.fetchone()[0]
        cursor.execute("ANALYZE")
    connection.close()
    return counts


def percentile(samples: list[float], fraction: float) -> float:
    """Nearest-rank percentile of samples (milliseconds)."""
    ordered = sorted(samples)
    rank = max(1, round(fraction * len(ordered)))
    return ordered[rank - 1]


def time_requests(send: Callable[[str], int], path: str, count: int) -> dict[str, float]:
    """Send WARMUP_REQUESTS, then count timed requests; fail on any status but 200."""
    for _ in range(WARMUP_REQUESTS):
        send(path)
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        status = send(path)
        samples.append((time.perf_counter() - started) * 1000)
        if status != 200:
            raise SystemExit(f"GET {path} returned {status}, expected 200.")
    return {
        "p50": statistics.median(samples),
        "p95": percentile(samples, 0.95),
        "max": max(samples),
    }


def bench_test_client(app, headers: dict, count: int) -> dict[str, dict[str, float]]:
    client = app.test_client()

    def send(path: str) -> int:
        response = client.get(path, headers=headers)
        response.get_data()
        return response.status_code

    return {name: time_requests(send, path, count) for name, path in ENDPOINTS.items()}


def time_http(base: str, headers: dict, count: int) -> dict[str, dict[str, float]]:
    """Time GETs to a server at base, one TCP connection per request."""

    def send(path: str) -> int:
        return requests.get(base + path, headers=headers, timeout=10).status_code

    return {name: time_requests(send, path, count) for name, path in ENDPOINTS.items()}


def bench_werkzeug(app, headers: dict, count: int) -> dict[str, dict[str, float]]:
    """Time requests to a single-threaded Werkzeug server on 127.0.0.1."""
    server = make_server("127.0.0.1", 0, app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        return time_http(f"http://127.0.0.1:{server.server_port}", headers, count)
    finally:
        server.shutdown()
        thread.join(timeout=10)


def bench_gunicorn(headers: dict, count: int) -> dict[str, dict[str, float]]:
    """Time requests to gunicorn run as the Procfile's web entry, bound to 127.0.0.1."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "gunicorn", *GUNICORN_OPTIONS, "--bind", f"127.0.0.1:{port}"]
    env = {**os.environ, "JWT_SECRET_KEY": SIGNING_KEY}
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryFile() as log:
        server = subprocess.Popen(  # noqa: S603 - fixed command
            [*command, "app.web:create_app()"], cwd=REPOSITORY, env=env, stderr=log
        )
        try:
            _wait_for(base + "/healthz", server, log)
            return time_http(base, headers, count)
        finally:
            server.terminate()
            server.wait(timeout=10)


def _wait_for(url: str, server: subprocess.Popen, log, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            log.seek(0)
            output = log.read().decode(errors="replace")
            raise SystemExit(f"gunicorn exited with status {server.returncode}:\n{output}")
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"gunicorn did not respond at {url} within {seconds:.0f} s.")


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise SystemExit(f"{name} is not installed; the bench records its output.")
    return path


def machine_description() -> str:
    # Fixed commands with no input from outside, resolved on PATH.
    nproc = [_tool("nproc")]
    free = [_tool("free"), "-h"]
    cores = subprocess.run(nproc, capture_output=True, text=True).stdout.strip()  # noqa: S603
    memory = subprocess.run(free, capture_output=True, text=True).stdout.rstrip()  # noqa: S603
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown CPU",
    )
    return f"{cores} cores ({cpu}), Python {platform.python_version()}\n\n```\n{memory}\n```"


def postgres_version(url: str) -> str:
    connection = psycopg2.connect(url)
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
    connection.close()
    return version


def format_table(results: dict[str, dict[str, dict[str, float]]]) -> str:
    lines = [
        "| transport | endpoint | p50 ms | p95 ms | max ms |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    for transport, endpoints in results.items():
        for name, figures in endpoints.items():
            lines.append(
                f"| {transport} | `GET {ENDPOINTS[name]}` | {figures['p50']:.1f} "
                f"| {figures['p95']:.1f} | {figures['max']:.1f} |"
            )
    return "\n".join(lines)


def build_section(results, counts, count: int, command: str, database_url: str) -> str:
    seeded = ", ".join(f"{rows:,} {table}" for table, rows in counts.items())
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    return f"""{SECTION}

Latency of the status endpoint, of the dashboard request that the status page makes, and
of the page's HTML, with {RUNS:,} finished runs in `reconciliation_logs`. Target: p95
under {TARGET_P95_MILLISECONDS:.0f} ms for each.

- Command: `{command}`
- Measured: {datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")}, with PostgreSQL
  {postgres_version(database_url)} and the bench on the same machine.
- Data: {seeded}. One run is in progress, with half of its items processed.
- Requests: {count} timed GETs per endpoint and transport, after {WARMUP_REQUESTS} untimed.
- Transports: Flask's test client, without network; a single-threaded Werkzeug server
  (`make_server`); gunicorn with the Procfile's options (`{" ".join(GUNICORN_OPTIONS)}`).
  Both servers listen on 127.0.0.1, and the client opens one TCP connection per request.
- Load average when the bench ended (1, 5, 15 min): {load}. A load above the core
  count means that other processes shared the machine, which shows in the max column.
- Machine: {machine_description()}

{format_table(results)}

No migration was added, because EXPLAIN ANALYZE on the seeded data shows an index
serving every query of these requests:

- the latest run: `reconciliation_logs_started_at_idx`, with an incremental sort on `id`;
- the running run: the partial unique index `reconciliation_logs_one_running_key`;
- the run history: the primary key, scanned backward;
- the error rates: a `startedAt` range on `reconciliation_logs_started_at_idx`;
- the PIN job counts and lists: `pin_jobs_due_idx` and `pin_jobs_status_idx`.
"""


def write_section(section: str) -> None:
    """Replace the section in docs/benchmarks.md, or append it; other sections stay."""
    text = DOCS.read_text() if DOCS.exists() else "# Benchmarks\n"
    start = text.find(SECTION + "\n")
    if start == -1:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        end = text.find("\n## ", start + len(SECTION))
        tail = text[end + 1 :] if end != -1 else ""
        text = text[:start] + section + ("\n" + tail if tail else "")
    DOCS.parent.mkdir(exist_ok=True)
    DOCS.write_text(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL),
        help="database to create or wipe (default $BENCH_DATABASE_URL or %(default)s)",
    )
    parser.add_argument(
        "--redis-url", default=DEFAULT_REDIS_URL, help="Redis URL for the app (never written)"
    )
    parser.add_argument("--requests", type=int, default=500, help="timed requests per case")
    parser.add_argument("--write-docs", action="store_true", help="update docs/benchmarks.md")
    args = parser.parse_args(argv)

    # Werkzeug logs every request at INFO, which would drown the results.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    print(f"Seeding {args.database_url} ...", flush=True)
    prepare_database(args.database_url)
    counts = seed(args.database_url)
    print(f"Seeded: {counts}", flush=True)

    os.environ.update(DATABASE_URL=args.database_url, REDIS_URL=args.redis_url)
    from app.web import create_app

    app = create_app({"JWT_SECRET_KEY": SIGNING_KEY})
    token = mint_token("bench", "admin", timedelta(hours=1), SIGNING_KEY)
    headers = {"Authorization": f"Bearer {token}"}

    results = {
        "Flask test client": bench_test_client(app, headers, args.requests),
        "HTTP, Werkzeug": bench_werkzeug(app, headers, args.requests),
        "HTTP, gunicorn": bench_gunicorn(headers, args.requests),
    }
    print(format_table(results))

    if args.write_docs:
        command = "python bench/bench_status_api.py " + " ".join(argv or sys.argv[1:])
        write_section(
            build_section(results, counts, args.requests, command.strip(), args.database_url)
        )
        print(f"Wrote the {SECTION!r} section of {DOCS}.")

    slow = [
        f"{transport} {name}: p95 {figures['p95']:.1f} ms"
        for transport, endpoints in results.items()
        for name, figures in endpoints.items()
        if figures["p95"] >= TARGET_P95_MILLISECONDS
    ]
    if slow:
        print("Over the p95 target: " + "; ".join(slow), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
