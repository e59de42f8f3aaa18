"""Fixtures of the admin API tests: apps bound to the test database, and admin headers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from admin_factories import SECRET, bearer

from app.tokens import mint_token
from app.web import create_app


@pytest.fixture
def make_app(services, db):
    """Build apps on the test services; rebind the database afterwards, because create_app
    binds the shared model proxy to its own DATABASE_URL."""
    database_url, redis_url = services

    def build(**overrides):
        config = {
            "TESTING": True,
            "JWT_SECRET_KEY": SECRET,
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            **overrides,
        }
        return create_app(config)

    yield build
    from app.db import init_database

    init_database(database_url)


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def admin_headers() -> dict[str, str]:
    return bearer(mint_token("ops@example.com", "admin", timedelta(hours=1), SECRET))
