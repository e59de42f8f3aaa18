"""The peewee database: one proxy bound at start-up from DATABASE_URL."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

import peewee
from playhouse.shortcuts import ReconnectMixin
from psycopg2.extensions import parse_dsn

from models import database_proxy

logger = logging.getLogger(__name__)


class ReconnectingPostgresqlDatabase(ReconnectMixin, peewee.PostgresqlDatabase):
    """Reconnects once when a query outside a transaction finds its connection closed,
    as after a PostgreSQL restart or a killed backend."""

    reconnect_errors = (
        *ReconnectMixin.reconnect_errors,
        (peewee.OperationalError, "terminating connection"),
        (peewee.OperationalError, "server closed the connection"),
        (peewee.InterfaceError, "connection already closed"),
        (peewee.OperationalError, "connection to server"),
    )


class HideAccessCodeParameters(logging.Filter):
    """Drop the parameters of peewee's DEBUG query lines that touch access_codes, because
    they carry the PINs. The SQL text stays, so the query is still visible."""

    def filter(self, record: logging.LogRecord) -> bool:
        query = record.msg
        if isinstance(query, tuple) and len(query) == 2 and "access_codes" in str(query[0]):
            record.msg = (query[0], "(parameters hidden: they contain PINs)")
        return True


logging.getLogger("peewee").addFilter(HideAccessCodeParameters())


def describe_database_url(url: str) -> str:
    """Return the URL without its password, for log lines and error messages."""
    parts = urlsplit(url)
    host = parts.hostname or "local socket"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


def create_database(url: str) -> peewee.PostgresqlDatabase:
    """Create a database object for the URL; connections open lazily, one per thread."""
    parameters = parse_dsn(url)
    name = parameters.pop("dbname", None) or parameters.get("user") or "postgres"
    return ReconnectingPostgresqlDatabase(name, **parameters)


def init_database(url: str) -> peewee.PostgresqlDatabase:
    """Bind the models' proxy to a database at url and return it."""
    database = create_database(url)
    database_proxy.initialize(database)
    logger.debug("Database bound to %s.", describe_database_url(url))
    return database
