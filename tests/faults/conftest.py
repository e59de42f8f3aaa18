import pytest

from tests.faults.stack import PrivateStack


@pytest.fixture
def private_stack(services, monkeypatch):
    """A restartable PostgreSQL and Redis bound for one test; the session's are rebound after."""
    from app.broker import create_redis_broker, use_broker
    from app.config import reset_settings
    from app.db import init_database

    database_url, redis_url = services
    stack = PrivateStack().start()
    monkeypatch.setenv("DATABASE_URL", stack.database_url)
    monkeypatch.setenv("REDIS_URL", stack.redis_url)
    reset_settings()
    stack.broker = stack.bind()
    yield stack
    stack.broker.close()
    stack.stop()
    init_database(database_url)
    use_broker(create_redis_broker(redis_url))
    reset_settings()
