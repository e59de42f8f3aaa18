"""Benchmark: first sync and no-change run of 10,000 reservations with two worker processes.

First it measures the floor: paging every reservation from the sandbox, plus one COPY-based
upsert of them into PostgreSQL. Then it times a first sync and a run with no change, through
the Procfile's worker command started twice. Prints Markdown tables.

    python bench/bench_reconcile.py [--reservations 10000] [--workers 2]

Uses DATABASE_URL and REDIS_URL when set (the database's public schema is dropped and
recreated), embedded servers otherwise.
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import random
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import psutil
import psycopg2
import redis

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TYPES = (
    ["booked"] * 70
    + ["contract"] * 5
    + ["reserved"] * 10
    + ["canceled"] * 10
    + ["blocked"] * 3
    + ["maintenance"] * 2
)


def generate_reservations(count: int, listings: list[str], window, seed: int = 7) -> list[dict]:
    """Return count Stays-shaped detail records with stays inside the window."""
    rng = random.Random(seed)
    span = (window.end - window.start).days - 10
    records = []
    for number in range(count):
        check_in = window.start + timedelta(days=rng.randrange(span))
        nights = rng.randint(1, 9)
        total = round(rng.uniform(200, 6000), 2)
        records.append(
            {
                "_id": f"{0xBE00000000000000 + number:024x}",
                "id": f"BN{number:05d}",
                "creationDate": (check_in - timedelta(days=rng.randint(1, 90))).isoformat(),
                "checkInDate": check_in.isoformat(),
                "checkInTime": "15:00",
                "checkOutDate": (check_in + timedelta(days=nights)).isoformat(),
                "checkOutTime": "11:00",
                "_idlisting": rng.choice(listings),
                "type": rng.choice(TYPES),
                "_idclient": f"{number:024x}",
                "price": {"currency": "BRL", "_f_expected": total, "_f_total": total},
                "stats": {"_f_totalPaid": total},
                "guests": rng.randint(1, 6),
                "guestsDetails": {"adults": 2, "children": 0, "infants": 0, "list": []},
                "partner": {"_id": "p1", "name": "API airbnb", "commission": 0},
                "partnerCode": f"HM{number:08d}",
                "internalNote": "",
            }
        )
    return records


def reset_database(database_url: str) -> None:
    from app.migrate import upgrade

    connection = psycopg2.connect(database_url)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    connection.close()
    upgrade(database_url)


def measure_floor(client, window, database_url: str) -> dict[str, float]:
    """Time paging the window, then one COPY + INSERT ... ON CONFLICT of every record into
    a copy of the reservations table (same columns, constraints and indexes)."""
    from app.reconciliation.process import COLUMNS
    from app.stays.records import parse_reservation

    started = time.perf_counter()
    records = list(client.iter_reservations(window))
    paging = time.perf_counter() - started

    started = time.perf_counter()
    rows = io.StringIO()
    for raw in records:
        record = parse_reservation(raw)
        values = ["\\N" if v is None else str(v) for v in record.values()]
        rows.write("\t".join([*values, record.content_hash()]) + "\n")
    rows.seek(0)
    columns = [*COLUMNS, "content_hash"]
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in columns[1:])
    connection = psycopg2.connect(database_url)
    with connection, connection.cursor() as cursor:
        cursor.execute("CREATE TABLE floor_reservations (LIKE reservations INCLUDING ALL)")
        column_list = ", ".join(columns)  # constant names, never input
        cursor.execute(
            f"CREATE TEMP TABLE floor_copy AS SELECT {column_list} FROM reservations"  # noqa: S608
            " WITH NO DATA"
        )
        cursor.copy_from(rows, "floor_copy", columns=columns)
        cursor.execute(
            f"INSERT INTO floor_reservations ({column_list})"  # noqa: S608
            f" SELECT {column_list} FROM floor_copy"
            f" ON CONFLICT (stays_reservation_id) DO UPDATE SET {updates}"
        )
        cursor.execute("DROP TABLE floor_reservations")
    connection.close()
    upsert = time.perf_counter() - started
    return {"fetched": len(records), "paging": paging, "upsert": upsert}


class Sampler:
    """Sample the workers' total RSS and Redis memory every 50 ms."""

    def __init__(self, workers, redis_url: str):
        self.workers = workers
        self.redis = redis.Redis.from_url(redis_url)
        self.peak_rss = 0
        self.peak_redis = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _rss(self) -> int:
        total = 0
        for worker in self.workers:
            try:
                parent = psutil.Process(worker.process.pid)
                for process in [parent, *parent.children(recursive=True)]:
                    total += process.memory_info().rss
            except psutil.NoSuchProcess:
                continue
        return total

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_rss = max(self.peak_rss, self._rss())
            self.peak_redis = max(self.peak_redis, self.redis.info("memory")["used_memory"])
            time.sleep(0.05)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc_info):
        self._stop.set()
        self._thread.join()


def cpu_seconds(workers) -> dict[str, float]:
    """Return CPU seconds used so far by this process (the sandbox), the workers, PostgreSQL
    and Redis, to show where a run's time goes on a machine they all share."""
    totals = {
        "sandbox": sum(psutil.Process().cpu_times()[:2]),
        "workers": 0.0,
        "postgres": 0.0,
        "redis": 0.0,
    }
    worker_pids = set()
    for worker in workers:
        try:
            parent = psutil.Process(worker.process.pid)
            for process in [parent, *parent.children(recursive=True)]:
                worker_pids.add(process.pid)
                totals["workers"] += sum(process.cpu_times()[:2])
        except psutil.NoSuchProcess:
            continue
    for process in psutil.process_iter(["name", "cpu_times"]):
        name = process.info["name"] or ""
        if process.pid in worker_pids or not process.info["cpu_times"]:
            continue
        if name.startswith(("postgres", "postmaster")):
            totals["postgres"] += sum(process.info["cpu_times"][:2])
        elif name.startswith("redis"):
            totals["redis"] += sum(process.info["cpu_times"][:2])
    return totals


def timed_run(workers, redis_url: str):
    from app.runs_report import send_trigger, wait_for_run

    before = cpu_seconds(workers)
    with Sampler(workers, redis_url) as sampler:
        started = time.perf_counter()
        run = wait_for_run(send_trigger(), 600, poll_seconds=0.02)
        wall = time.perf_counter() - started
    after = cpu_seconds(workers)
    sampler.cpu = {name: after[name] - before[name] for name in after}
    return run, wall, sampler


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reservations", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    with benchmark_services() as (database_url, redis_url):
        return run_benchmark(args, database_url, redis_url)


@contextmanager
def benchmark_services():
    """Yield (DATABASE_URL, REDIS_URL) from the environment, or from embedded servers that
    are stopped afterwards when either is unset."""
    from app.embedded import EmbeddedServices

    database_url, redis_url = os.environ.get("DATABASE_URL"), os.environ.get("REDIS_URL")
    if database_url and redis_url:
        yield database_url, redis_url
        return
    with EmbeddedServices() as embedded:
        yield embedded.database_url, embedded.redis_url


def run_benchmark(args, database_url: str, redis_url: str) -> int:
    from app.stays.sandbox import start_sandbox

    reset_database(database_url)
    redis.Redis.from_url(redis_url).flushdb()
    sandbox = start_sandbox()
    os.environ.update(
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        STAYS_API_URL=sandbox.base_url,
        STAYS_CLIENT_ID="sandbox",
        STAYS_CLIENT_SECRET="sandbox",  # noqa: S106 - the sandbox's credentials
        RECONCILE_CRON="0 0 1 1 *",
    )
    import actors  # noqa: F401 - binds the broker and database in this process
    from app.config import get_settings
    from app.reconciliation.runs import window_for
    from app.reconciliation.trigger import today_for_account
    from app.stays.client import StaysClient
    from tests.integration.processes import ProcfileProcess

    settings = get_settings()
    window = window_for(
        today_for_account(), settings.RECONCILE_LOOKBACK_DAYS, settings.RECONCILE_HORIZON_DAYS
    )
    listings = [item["_id"] for item in sandbox.dataset.listings()]
    sandbox.dataset.replace_reservations(generate_reservations(args.reservations, listings, window))
    floor = measure_floor(StaysClient.from_settings(settings), window, database_url)
    floor_seconds = floor["paging"] + floor["upsert"]

    log_folder = Path(os.environ.get("BENCH_LOG_DIR") or tempfile.mkdtemp(prefix="bench-"))
    workers = [ProcfileProcess("worker", {}, log_folder, i) for i in range(args.workers)]
    try:
        time.sleep(3)  # let the workers boot
        results = [
            ("first sync", *timed_run(workers, redis_url)),
            ("no change", *timed_run(workers, redis_url)),
        ]
    finally:
        for worker in workers:
            worker.stop()
        sandbox.stop()

    print(
        f"Machine: {platform.platform()}, {os.cpu_count()} CPUs, "
        f"{psutil.virtual_memory().total / 2**30:.1f} GiB RAM, Python {platform.python_version()}"
    )
    print(
        f"Floor: paging {floor['fetched']} reservations {floor['paging']:.2f} s + COPY upsert "
        f"{floor['upsert']:.2f} s = {floor_seconds:.2f} s\n"
    )
    print(
        "| run | wall s | run duration ms | reservations/s | x floor | created | unchanged |"
        " peak worker RSS MiB | peak Redis MiB |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for label, run, wall, sampler in results:
        print(
            f"| {label} | {wall:.2f} | {run.duration} | {run.fetched / wall:,.0f} | "
            f"{wall / floor_seconds:.2f} | {run.created} | {run.unchanged} | "
            f"{sampler.peak_rss / 2**20:.0f} | {sampler.peak_redis / 2**20:.1f} |"
        )
    print("\nCPU seconds per run (sandbox and this script share one process):")
    for label, _run, _wall, sampler in results:
        print(f"- {label}: " + ", ".join(f"{k} {v:.2f}" for k, v in sampler.cpu.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
