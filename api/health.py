"""GET /healthz, without authentication: whether PostgreSQL and Redis respond."""

from __future__ import annotations

import logging

import psycopg2
import redis
from flask import Blueprint, current_app, jsonify

logger = logging.getLogger(__name__)

blueprint = Blueprint("health", __name__)

# A load balancer's probe usually times out after a few seconds; a black-holed host must
# not delay the response longer than that.
CHECK_TIMEOUT_SECONDS = 2
SERVICE_NAMES = {"postgresql": "PostgreSQL", "redis": "Redis"}


def check_postgresql(url: str) -> str | None:
    """Run SELECT 1 on a fresh connection; return the error, or None on success."""
    try:
        connection = psycopg2.connect(
            url,
            connect_timeout=CHECK_TIMEOUT_SECONDS,
            options=f"-c statement_timeout={CHECK_TIMEOUT_SECONDS * 1000}",
        )
    except psycopg2.Error as error:
        return _first_line(error)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return None
    except psycopg2.Error as error:
        return _first_line(error)
    finally:
        connection.close()


def check_redis(url: str) -> str | None:
    """Send PING; return the error, or None when Redis replied."""
    client = redis.Redis.from_url(
        url,
        socket_connect_timeout=CHECK_TIMEOUT_SECONDS,
        socket_timeout=CHECK_TIMEOUT_SECONDS,
    )
    try:
        client.ping()
        return None
    except redis.RedisError as error:
        return _first_line(error)
    finally:
        client.close()


def _first_line(error: Exception) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


@blueprint.get("/healthz")
def healthz():
    """Respond 200 when both services respond, else 503 naming the unreachable ones.

    The response names a failing service but not its error, because the error may show
    internal host names to an unauthenticated caller. The error goes to the log instead.
    """
    database_url = current_app.config["DATABASE_URL"]
    failures = {
        "postgresql": check_postgresql(database_url),
        "redis": check_redis(current_app.config["REDIS_URL"]),
    }
    checks = {
        name: "ok" if failure is None else "unreachable" for name, failure in failures.items()
    }
    down = [SERVICE_NAMES[name] for name, failure in failures.items() if failure is not None]
    if not down:
        return jsonify({"status": "ok", "checks": checks})

    for name, failure in failures.items():
        if failure is not None:
            logger.warning("Health check: %s unreachable: %s", SERVICE_NAMES[name], failure)
    message = f"{' and '.join(down)} unreachable."
    return jsonify({"status": "unavailable", "message": message, "checks": checks}), 503
