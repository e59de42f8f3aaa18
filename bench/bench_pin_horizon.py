"""Benchmark: Redis memory with 10,000 stays spread over the next year.

Reconciles the stays (two Procfile worker processes), runs the PIN dispatcher once, and
reports the PIN messages and memory Redis holds. For contrast, it then sends every PIN job as
a delayed message, as a design without the dispatcher's horizon would, and measures again.

    python bench/bench_pin_horizon.py [--stays 10000]

Uses DATABASE_URL and REDIS_URL when set (the database's public schema is dropped and the
Redis database flushed), embedded servers otherwise.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import redis

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_reconcile import benchmark_services, reset_database  # noqa: E402

LISTING = "4283fefc63f0cd0e873a0000"


def spread_stays(count: int, now) -> list[dict]:
    """count booked stays, check-ins spread evenly over the next 360 days."""
    zone = ZoneInfo("America/Sao_Paulo")
    step = timedelta(days=360) / count
    stays = []
    for number in range(count):
        check_in = (now + timedelta(hours=2, minutes=3) + step * number).astimezone(zone)
        stays.append(
            {
                "_id": f"{0xB0 << 88 | number:024x}",
                "id": f"HZ{number:05d}",
                "creationDate": "2026-11-01",
                "checkInDate": check_in.date().isoformat(),
                "checkInTime": check_in.strftime("%H:%M"),
                "checkOutDate": (check_in + timedelta(days=2)).date().isoformat(),
                "checkOutTime": "11:00",
                "_idlisting": LISTING,
                "type": "booked",
                "guests": 2,
            }
        )
    return stays


def pin_messages(client: redis.Redis) -> int:
    return client.hlen("dramatiq:pins.msgs") + client.hlen("dramatiq:pins.DQ.msgs")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stays", type=int, default=10_000)
    args = parser.parse_args()

    with benchmark_services() as (database_url, redis_url):
        return run(args, database_url, redis_url)


def run(args, database_url: str, redis_url: str) -> int:
    from app.stays.sandbox import start_sandbox

    reset_database(database_url)
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    sandbox = start_sandbox()
    os.environ.update(
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        STAYS_API_URL=sandbox.base_url,
        STAYS_CLIENT_ID="sandbox",
        STAYS_CLIENT_SECRET="sandbox",  # noqa: S106 - sandbox
        RECONCILE_CRON="0 0 1 1 *",
    )
    import dramatiq

    import actors  # noqa: F401 - binds the broker and database in this process
    from app import clock
    from app.config import get_settings
    from app.pins import service
    from app.reconciliation.listings import import_listing_config
    from app.runs_report import send_trigger, wait_for_run
    from models import PinJob
    from tests.integration.processes import ProcfileProcess

    config = ROOT / "app/stays/sample/listing-config.json"
    import_listing_config(config)
    sandbox.dataset.replace_reservations(spread_stays(args.stays, clock.utc_now()))
    log_folder = Path(tempfile.mkdtemp(prefix="bench-"))
    workers = [ProcfileProcess("worker", {}, log_folder, i) for i in range(2)]
    try:
        time.sleep(3)
        run = wait_for_run(send_trigger(), 600, poll_seconds=0.05)
    finally:
        for worker in workers:
            worker.stop()  # PIN messages stay in Redis, where they are counted
        sandbox.stop()
    service.dispatch()

    horizon = get_settings().PIN_DISPATCH_HORIZON_MINUTES
    jobs = PinJob.select().count()
    due = (
        PinJob.select().where(PinJob.run_at <= clock.utc_now() + timedelta(minutes=horizon)).count()
    )
    held, memory = pin_messages(client), client.info("memory")["used_memory"]

    broker = dramatiq.get_broker()
    now = clock.utc_now()
    for job in PinJob.select():
        delay = max(0, int((job.run_at - now).total_seconds() * 1000))
        actor = "generate_pin" if job.kind == "generate" else "revoke_pin"
        broker.get_actor(actor).send_with_options(args=(job.id, job.version), delay=delay)
    all_held, all_memory = pin_messages(client), client.info("memory")["used_memory"]
    client.flushdb()

    print(
        f"Run {run.id}: {run.created} stays created, {jobs} PIN jobs, {due} due within "
        f"{horizon} minutes.\n"
    )
    print("| design | PIN messages in Redis | Redis used_memory MiB |")
    print("|---|---|---|")
    print(f"| dispatcher with a {horizon}-minute horizon | {held} | {memory / 2**20:.2f} |")
    print(f"| every job sent with its delay | {all_held} | {all_memory / 2**20:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
