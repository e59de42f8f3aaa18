"""The reconciliation schedule in plain words, and its next tick.

RECONCILE_CRON is read as UTC, as app.config documents. NOTE: periodiq 0.14 evaluates it
in the clock process's local time zone (pendulum.now()), so a clock process whose TZ is not
UTC fires at other times than nextRun shows. The describer covers the common five-field
forms and falls back to "cron: EXPR" for the rest.
"""

from __future__ import annotations

import re
from datetime import datetime

from croniter import croniter

_NUMBER = re.compile(r"\d+")
_STEP = re.compile(r"\*/(\d+)")

_WORDS = {
    "en": {
        "every_minute": "every minute",
        "every_minutes": "every {n} minutes",
        "hourly": "hourly at {minutes}",
        "every_hours": "every {n} hours at {minutes} (UTC)",
        "daily": "daily at {times} UTC",
        "and": "and",
    },
    "pt-BR": {
        "every_minute": "a cada minuto",
        "every_minutes": "a cada {n} minutos",
        "hourly": "de hora em hora, no minuto {minutes}",
        "every_hours": "a cada {n} horas, no minuto {minutes} (UTC)",
        "daily": "diariamente às {times} UTC",
        "and": "e",
    },
}


def next_run(expression: str, now: datetime) -> datetime:
    """Return the first tick of expression strictly after now (an aware UTC datetime)."""
    return croniter(expression, now).get_next(datetime)


def describe_cron(expression: str, lang: str = "en") -> str:
    """Describe a five-field cron expression in English ("en") or Portuguese ("pt-BR")."""
    words = _WORDS["pt-BR" if lang == "pt-BR" else "en"]
    fields = expression.split()
    if len(fields) != 5 or fields[2:] != ["*", "*", "*"]:
        return f"cron: {expression}"

    minute, hour = fields[0], fields[1]
    minutes = _numbers(minute, 59)
    if hour == "*":
        return _describe_hourly(minute, minutes, words) or f"cron: {expression}"

    hour_step = _STEP.fullmatch(hour)
    if minutes is not None and len(minutes) == 1 and hour_step:
        step = int(hour_step.group(1))
        if 0 < step < 24 and 24 % step == 0:
            return words["every_hours"].format(n=step, minutes=f":{minutes[0]:02d}")

    hours = _numbers(hour, 23)
    if minutes is not None and len(minutes) == 1 and hours is not None:
        times = [f"{h:02d}:{minutes[0]:02d}" for h in hours]
        return words["daily"].format(times=_join(times, words["and"]))
    return f"cron: {expression}"


def _describe_hourly(minute: str, minutes: list[int] | None, words: dict) -> str | None:
    if minute == "*":
        return words["every_minute"]

    step = _STEP.fullmatch(minute)
    if step:
        n = int(step.group(1))
        if n == 1:
            return words["every_minute"]
        # */7 fires at :56 and again at :00, so only divisors of 60 are "every N minutes".
        if 0 < n < 60 and 60 % n == 0:
            return words["every_minutes"].format(n=n)
        return None

    if minutes is None:
        return None
    return words["hourly"].format(minutes=_join([f":{m:02d}" for m in minutes], words["and"]))


def _numbers(field: str, maximum: int) -> list[int] | None:
    """Parse a field of plain numbers such as "5" or "0,30"; None for ranges and steps."""
    parts = field.split(",")
    if not all(_NUMBER.fullmatch(part) for part in parts):
        return None
    values = sorted({int(part) for part in parts})
    if values[-1] > maximum:
        return None
    return values


def _join(items: list[str], conjunction: str) -> str:
    if len(items) == 1:
        return items[0]
    return f"{', '.join(items[:-1])} {conjunction} {items[-1]}"
