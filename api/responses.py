"""JSON error bodies, timestamp formatting and the JSON handlers of HTTP errors."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import peewee
from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

logger = logging.getLogger(__name__)

JSON_PATH_PREFIXES = ("/api/", "/healthz")


class InvalidParameterError(Exception):
    """A query parameter of an API request is invalid; the handler responds 400."""

    def __init__(self, name: str, value: str, expected: str):
        super().__init__(f"Invalid query parameter {name}={value!r}: {expected}")
        self.name = name


def json_error(status: int, code: str, message: str, **extra) -> tuple[Response, int]:
    """Build the body every API error shares: {"error": {"code", "message", ...}}."""
    return jsonify({"error": {"code": code, "message": message, **extra}}), status


def iso_utc(value: datetime | None) -> str | None:
    """Format a timestamp as ISO 8601 in UTC with a Z suffix; a naive value is taken as UTC."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    text = value.astimezone(UTC).isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")


def register_api_headers(app: Flask) -> None:
    """Mark admin API responses as not cacheable, since they describe guests and runs."""

    @app.after_request
    def add_no_store(response: Response) -> Response:
        if request.path.startswith("/api/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response


def register_error_handlers(app: Flask) -> None:
    """Return JSON for HTTP errors under /api/ and /healthz instead of Werkzeug's HTML."""

    @app.errorhandler(InvalidParameterError)
    def handle_invalid_parameter(error: InvalidParameterError):
        return json_error(400, "invalid_parameter", str(error), parameter=error.name)

    @app.errorhandler(HTTPException)
    def handle_http_exception(error: HTTPException):
        if not request.path.startswith(JSON_PATH_PREFIXES):
            return error
        code = (error.name or "error").lower().replace(" ", "_")
        response, status = json_error(error.code or 500, code, error.description or error.name)
        if error.code == 405 and error.valid_methods:
            response.headers["Allow"] = ", ".join(error.valid_methods)
        return response, status

    @app.errorhandler(peewee.OperationalError)
    @app.errorhandler(peewee.InterfaceError)
    def handle_database_error(error: peewee.DatabaseError):
        logger.warning(
            "Request %s %s failed on the database: %s", request.method, request.path, error
        )
        return json_error(
            503,
            "database_unavailable",
            "PostgreSQL is unreachable or failed; check DATABASE_URL and /healthz, then retry.",
        )

    @app.errorhandler(Exception)
    def handle_unexpected_error(error: Exception):
        if isinstance(error, HTTPException):
            return handle_http_exception(error)
        logger.exception("Request %s %s failed.", request.method, request.path)
        if not request.path.startswith(JSON_PATH_PREFIXES):
            return "Internal server error.", 500
        return json_error(500, "internal_error", "The request failed on the server; see its log.")
