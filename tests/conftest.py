"""Shared fixtures: PostgreSQL and Redis (the machine's when DATABASE_URL and REDIS_URL are
set, embedded ones otherwise), the Stays sandbox, and brokers with in-process workers."""

from __future__ import annotations

import os

import dramatiq
import psycopg2
import pytest
import redis
from dramatiq.brokers.stub import StubBroker

from app.broker import create_redis_broker, use_broker
from app.config import reset_settings
from app.embedded import EmbeddedServices
from app.migrate import upgrade

TABLES = (
    "access_codes",
    "pin_jobs",
    "reconciliation_pages",
    "reconciliation_items",
    "reconciliation_logs",
    "reservations",
    "listings",
)


@pytest.fixture(scope="session")
def services():
    """Yield (database_url, redis_url) with a freshly migrated schema."""
    database_url = os.environ.get("DATABASE_URL")
    redis_url = os.environ.get("REDIS_URL")
    embedded = None
    if not database_url or not redis_url:
        embedded = EmbeddedServices().start()
        database_url = database_url or embedded.database_url
        redis_url = redis_url or embedded.redis_url

    connection = psycopg2.connect(database_url)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    connection.close()
    upgrade(database_url)

    os.environ.update(
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        STAYS_CLIENT_ID="sandbox",
        STAYS_CLIENT_SECRET="sandbox",
        STAYS_MAX_ATTEMPTS="3",
    )
    reset_settings()
    import actors  # noqa: F401 - declares the actors
    from app.db import init_database

    init_database(database_url)

    yield database_url, redis_url
    if embedded is not None:
        embedded.stop()


@pytest.fixture
def db(services):
    """Empty every table before the test."""
    from models import database_proxy

    database_proxy.execute_sql(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE")
    yield database_proxy
    database_proxy.close()


@pytest.fixture
def sandbox(services, monkeypatch):
    from app.reconciliation.trigger import reset_clients
    from app.stays.sandbox import start_sandbox

    running = start_sandbox()
    monkeypatch.setenv("STAYS_API_URL", running.base_url)
    reset_settings()
    reset_clients()
    yield running
    running.stop()
    reset_settings()
    reset_clients()


@pytest.fixture
def stub_broker(services):
    broker = use_broker(StubBroker())
    broker.emit_after("process_boot")
    yield broker
    broker.flush_all()
    broker.close()


@pytest.fixture
def redis_broker(services):
    _, redis_url = services
    redis.Redis.from_url(redis_url).flushdb()
    broker = use_broker(create_redis_broker(redis_url))
    yield broker
    broker.flush_all()
    broker.close()


def start_worker(broker, threads: int = 4) -> dramatiq.Worker:
    worker = dramatiq.Worker(broker, worker_threads=threads, worker_timeout=100)
    worker.start()
    return worker


@pytest.fixture
def stub_worker(stub_broker):
    worker = start_worker(stub_broker)
    yield worker
    worker.stop()


@pytest.fixture
def redis_worker(redis_broker):
    worker = start_worker(redis_broker)
    yield worker
    worker.stop()


@pytest.fixture
def started(tmp_path):
    """Start Procfile entries as processes: started("worker", environment). All are stopped
    at the end of the test."""
    from tests.integration.processes import ProcfileProcess

    processes: list[ProcfileProcess] = []

    def start(name: str, environment: dict) -> ProcfileProcess:
        process = ProcfileProcess(name, environment, tmp_path, index=len(processes))
        processes.append(process)
        return process

    yield start
    for process in processes:
        process.stop()
