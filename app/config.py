"""Settings read from environment variables: one table with defaults and units."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter

from app.errors import ConfigurationError


def _text(value: str) -> str:
    return value.strip()


def _int_between(low: int, high: int) -> Callable[[str], int]:
    def parse(value: str) -> int:
        try:
            number = int(value.strip())
        except ValueError:
            raise ValueError("must be a whole number") from None
        if not low <= number <= high:
            raise ValueError(f"must be between {low} and {high}")
        return number

    return parse


def _cron(value: str) -> str:
    from periodiq import CronSpec

    expression = " ".join(value.split())
    if not croniter.is_valid(expression) or len(expression.split()) != 5:
        raise ValueError("must be a five-field cron expression such as '*/30 * * * *'")
    try:
        CronSpec.parse(expression)
    except ValueError as error:
        raise ValueError(
            f"is not supported by periodiq ({error}); use numbers, ranges, lists and steps"
        ) from None
    return expression


def _timezone(value: str) -> str:
    name = value.strip()
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as error:  # "America" is a folder
        raise ValueError("must be an IANA time zone name such as 'America/Sao_Paulo'") from error
    return name


def _url(*schemes: str) -> Callable[[str], str]:
    def parse(value: str) -> str:
        url = value.strip()
        if not url.startswith(tuple(f"{scheme}://" for scheme in schemes)):
            raise ValueError(f"must start with {' or '.join(s + '://' for s in schemes)}")
        return url.rstrip("/")

    return parse


def _lock_provider(value: str) -> str:
    name = value.strip()
    if name not in ("database",):
        raise ValueError("must be one of: database")
    return name


# name, parser, default (None: unset), description shown in the README.
VARIABLES: list[tuple[str, Callable[[str], object], str | None, str]] = [
    (
        "DATABASE_URL",
        _url("postgres", "postgresql"),
        "postgresql://postgres@127.0.0.1:5432/postgres",
        "PostgreSQL connection URL.",
    ),
    (
        "REDIS_URL",
        _url("redis", "rediss", "unix"),
        "redis://127.0.0.1:6379/0",
        "Redis URL of the Dramatiq broker.",
    ),
    (
        "STAYS_API_URL",
        _url("http", "https"),
        "http://127.0.0.1:8081/external/v1",
        "Base URL of the account's Stays API, such as https://ACCOUNT.stays.net/external/v1.",
    ),
    ("STAYS_CLIENT_ID", _text, "", "Stays API client id (HTTP Basic user)."),
    ("STAYS_CLIENT_SECRET", _text, "", "Stays API client secret (HTTP Basic password)."),
    ("STAYS_CONNECT_TIMEOUT_SECONDS", _int_between(1, 120), "5", "Connect timeout per Stays call."),
    ("STAYS_READ_TIMEOUT_SECONDS", _int_between(1, 600), "30", "Read timeout per Stays call."),
    (
        "STAYS_MAX_ATTEMPTS",
        _int_between(1, 20),
        "5",
        "Attempts per Stays call on timeouts, connection errors, 5xx and 429.",
    ),
    ("JWT_SECRET_KEY", _text, "", "HS256 key of the admin API's tokens; the web process needs it."),
    (
        "RECONCILE_CRON",
        _cron,
        "*/30 * * * *",
        "Schedule of the periodic run, in the clock process's time zone (TZ; UTC on Heroku).",
    ),
    ("RECONCILE_LOOKBACK_DAYS", _int_between(0, 3650), "7", "Window start: today minus days."),
    ("RECONCILE_HORIZON_DAYS", _int_between(1, 3650), "365", "Window end: today plus days."),
    (
        "RECONCILE_STALE_MINUTES",
        _int_between(1, 10080),
        "60",
        "A run still running after this many minutes is marked failed.",
    ),
    (
        "RECONCILE_COLLECT_TIMEOUT_MINUTES",
        _int_between(1, 1440),
        "10",
        "Minutes the collector waits for missing pages after the last one, then fails the run.",
    ),
    (
        "DEFAULT_TIMEZONE",
        _timezone,
        "America/Sao_Paulo",
        "Time zone of a listing that the listing configuration file does not name.",
    ),
    ("PIN_LEAD_MINUTES", _int_between(0, 10080), "120", "PIN created this long before check-in."),
    (
        "PIN_REVOKE_AFTER_MINUTES",
        _int_between(0, 43200),
        "1440",
        "PIN revoked this long after check-out.",
    ),
    (
        "PIN_DISPATCH_HORIZON_MINUTES",
        _int_between(1, 1440),
        "15",
        "PIN jobs due within this horizon are sent to the broker.",
    ),
    ("PIN_LENGTH", _int_between(4, 12), "6", "Digits per PIN."),
    ("LOCK_PROVIDER", _lock_provider, "database", "Where PINs are sent: database (records only)."),
]


@dataclass(frozen=True)
class Settings:
    DATABASE_URL: str
    REDIS_URL: str
    STAYS_API_URL: str
    STAYS_CLIENT_ID: str
    STAYS_CLIENT_SECRET: str
    STAYS_CONNECT_TIMEOUT_SECONDS: int
    STAYS_READ_TIMEOUT_SECONDS: int
    STAYS_MAX_ATTEMPTS: int
    JWT_SECRET_KEY: str
    RECONCILE_CRON: str
    RECONCILE_LOOKBACK_DAYS: int
    RECONCILE_HORIZON_DAYS: int
    RECONCILE_STALE_MINUTES: int
    RECONCILE_COLLECT_TIMEOUT_MINUTES: int
    DEFAULT_TIMEZONE: str
    PIN_LEAD_MINUTES: int
    PIN_REVOKE_AFTER_MINUTES: int
    PIN_DISPATCH_HORIZON_MINUTES: int
    PIN_LENGTH: int
    LOCK_PROVIDER: str


SECRET_VARIABLES = frozenset({"STAYS_CLIENT_SECRET", "JWT_SECRET_KEY", "DATABASE_URL", "REDIS_URL"})


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read every variable of VARIABLES, raising ConfigurationError on the first invalid one."""
    environ = os.environ if environ is None else environ
    values = {}
    for name, parse, default, _description in VARIABLES:
        raw = environ.get(name)
        if raw is None or (raw.strip() == "" and default):
            raw = default
        try:
            values[name] = parse(raw)
        except ValueError as error:
            shown = "(hidden)" if name in SECRET_VARIABLES else repr(raw)
            raise ConfigurationError(
                f"Invalid {name}={shown}: {error}. Fix or unset the environment variable."
            ) from None
    assert {f.name for f in fields(Settings)} == set(values)
    return Settings(**values)


_cached: Settings | None = None


def get_settings() -> Settings:
    """Return the process's settings, read once from the environment."""
    global _cached
    if _cached is None:
        _cached = load_settings()
    return _cached


def reset_settings() -> None:
    """Forget the cached settings so the next get_settings() reads the environment again."""
    global _cached
    _cached = None
