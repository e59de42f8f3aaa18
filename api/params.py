"""Parsing and validation of query parameters; each failure raises InvalidParameterError."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time

from flask import request

from api.responses import InvalidParameterError

# An unencoded "+" of a UTC offset arrives as a space: 2025-01-31T12:00:00 03:00.
_OFFSET_AFTER_SPACE = re.compile(r"(T.*) (\d{2}:?\d{2})$")


def int_param(name: str, default: int | None, minimum: int, maximum: int | None = None):
    """Read an integer parameter within [minimum, maximum]; default when absent or empty."""
    raw = request.args.get(name, "").strip()
    if raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidParameterError(name, raw, "expected a whole number.") from None

    if value < minimum or (maximum is not None and value > maximum):
        upper = f" and at most {maximum}" if maximum is not None else ""
        raise InvalidParameterError(name, raw, f"expected at least {minimum}{upper}.")
    return value


def statuses_param(name: str, allowed: tuple[str, ...], default: tuple[str, ...]):
    """Read a comma-separated list of statuses, each one of allowed; default when absent."""
    raw = request.args.get(name, "").strip()
    if raw == "":
        return default

    values = tuple(dict.fromkeys(part.strip().lower() for part in raw.split(",") if part.strip()))
    unknown = [value for value in values if value not in allowed]
    if unknown or not values:
        raise InvalidParameterError(
            name, raw, f"expected a comma-separated list of: {', '.join(allowed)}."
        )
    return values


def datetime_param(name: str) -> datetime | None:
    """Read an ISO 8601 date or date-time; a value without an offset is taken as UTC and a
    bare date as its midnight UTC."""
    raw = request.args.get(name, "").strip()
    if raw == "":
        return None

    try:
        if len(raw) == 10:
            value = datetime.combine(date.fromisoformat(raw), time())
        else:
            text = _OFFSET_AFTER_SPACE.sub(r"\1+\2", raw).replace("Z", "+00:00")
            value = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidParameterError(
            name, raw, "expected an ISO 8601 date or date-time such as 2025-01-31T12:00:00Z."
        ) from None

    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value
