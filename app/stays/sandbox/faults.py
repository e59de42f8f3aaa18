"""Fault injection and request counting for the Stays sandbox, used by retry and timeout tests."""

from __future__ import annotations

import dataclasses
import logging
import math
import threading
from collections import Counter
from typing import Any

logger = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class FaultRule:
    """A scripted misbehaviour for API requests whose path starts with `path`.

    `path` is relative to /external/v1 and matches by plain prefix, so "/booking/reservations"
    also matches "/booking/reservations/QT41K". The rule applies to the next `times` matching
    requests and is then removed.

    A rule with `status` or `body` replaces the response. The status defaults to 200 when
    only a body is given, and the body to a JSON message when only a status is given.
    Otherwise the real response is served. Either response gets `headers` added, is cut to
    its first half when `truncate` is set, and waits `delay_seconds` before it is sent.
    """

    path: str
    status: int | None = None
    times: int = 1
    headers: dict[str, str] = dataclasses.field(default_factory=dict)
    body: str | None = None
    content_type: str = "application/json"
    delay_seconds: float = 0.0
    truncate: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.path, str) or not self.path.startswith("/"):
            raise ValueError(f"Fault path must be a string starting with '/', got {self.path!r}.")
        if self.status is not None and not _is_integer(self.status, 100, 599):
            raise ValueError(
                f"Fault status must be an HTTP status from 100 to 599, got {self.status!r}."
            )
        if not _is_integer(self.times, 1):
            raise ValueError(
                f"Fault times must be a whole number of at least 1, got {self.times!r}."
            )
        if not isinstance(self.headers, dict) or not all(
            isinstance(name, str) and isinstance(value, str) for name, value in self.headers.items()
        ):
            raise ValueError(f"Fault headers must map strings to strings, got {self.headers!r}.")
        if self.body is not None and not isinstance(self.body, str):
            raise ValueError(f"Fault body must be a string, got {type(self.body).__name__}.")
        if not isinstance(self.content_type, str) or not self.content_type:
            raise ValueError(f"Fault content_type must be a media type, got {self.content_type!r}.")
        if not _is_seconds(self.delay_seconds):
            raise ValueError(
                "Fault delay_seconds must be a finite number of at least 0, "
                f"got {self.delay_seconds!r}."
            )
        if not isinstance(self.truncate, bool):
            raise ValueError(f"Fault truncate must be true or false, got {self.truncate!r}.")

    @classmethod
    def from_json(cls, data: object) -> FaultRule:
        """Build a rule from the JSON body of POST /_sandbox/faults, or raise ValueError."""
        if not isinstance(data, dict):
            raise ValueError("A fault must be a JSON object with at least a path.")

        fields = {field.name for field in dataclasses.fields(cls)}
        unknown = sorted(set(data) - fields)
        if unknown:
            raise ValueError(
                f"Fault field {unknown[0]!r} is not known. Use: {', '.join(sorted(fields))}."
            )
        if "path" not in data:
            raise ValueError('A fault needs a path, such as "/booking/reservations".')
        return cls(**data)

    @property
    def replaces_response(self) -> bool:
        return self.status is not None or self.body is not None

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


class FaultRules:
    """The armed fault rules of one sandbox app. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._armed: list[list[Any]] = []  # [rule, uses left], oldest first

    def add(self, rule: FaultRule) -> None:
        """Arm a rule. When several rules match a request, the oldest applies."""
        with self._lock:
            self._armed.append([rule, rule.times])
        logger.info("Sandbox fault armed for %s: %r.", rule.path, rule)

    def take(self, api_path: str) -> FaultRule | None:
        """Return the rule that applies to this request path, using up one of its times."""
        with self._lock:
            for armed in self._armed:
                rule = armed[0]
                if api_path.startswith(rule.path):
                    armed[1] -= 1
                    if armed[1] == 0:
                        self._armed.remove(armed)
                    return rule
        return None

    def clear(self) -> int:
        """Disarm every rule and return how many were armed."""
        with self._lock:
            count = len(self._armed)
            self._armed.clear()
        logger.info("Sandbox faults cleared: %d rules.", count)
        return count

    def __len__(self) -> int:
        with self._lock:
            return len(self._armed)


class RequestCounter:
    """Counter of the API requests received per path, faulted and rejected ones included."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()

    def record(self, api_path: str) -> None:
        with self._lock:
            self._counts[api_path] += 1

    def counts(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)

    def clear(self) -> None:
        with self._lock:
            self._counts.clear()


def _is_integer(value: object, minimum: int, maximum: int | None = None) -> bool:
    if isinstance(value, bool) or not isinstance(value, int):
        return False
    return value >= minimum and (maximum is None or value <= maximum)


def _is_seconds(value: object) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return math.isfinite(value) and value >= 0
