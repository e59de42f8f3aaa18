"""Reservation records as the Stays sandbox filters and shows them: dates, queries, views."""

from __future__ import annotations

import dataclasses
import json
import re
from datetime import date, timedelta
from typing import Any

RESERVATION_TYPES = ("reserved", "booked", "contract", "blocked", "maintenance", "canceled")
# Stays returns only these types when a request has no `type` parameter.
DEFAULT_RESERVATION_TYPES = frozenset({"reserved", "booked", "contract"})
DATE_TYPES = ("arrival", "departure", "creation", "creationorig", "included")
RESERVATION_DATE_FIELDS = ("checkInDate", "checkOutDate", "creationDate")
# Top-level fields that Stays returns only from the detail endpoint. `guestsDetails.list` is
# also detail-only and is removed separately.
DETAIL_ONLY_FIELDS = frozenset({"agent", "operator", "internalNote"})

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def parse_date(value: object) -> date | None:
    """Parse a YYYY-MM-DD string, or return None for anything else (such as "2027-02-30")."""
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        return None

    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def shift_reservation_dates(record: dict[str, Any], days: int) -> dict[str, Any]:
    """Return a shallow copy of the record with its dates moved by `days`.

    A date that does not parse is copied unchanged.
    """
    shifted = dict(record)
    for field in RESERVATION_DATE_FIELDS:
        parsed = parse_date(record.get(field))
        if parsed is not None:
            shifted[field] = (parsed + timedelta(days=days)).isoformat()
    return shifted


def compact_json(value: Any) -> str:
    """Serialise without spaces, and with non-ASCII text as UTF-8 rather than \\u escapes."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def list_view(record: dict[str, Any]) -> dict[str, Any]:
    """Return the record as the list endpoint shows it, without the detail-only fields.

    The view shares nested values with the record, so callers must not mutate it.
    """
    view = {key: value for key, value in record.items() if key not in DETAIL_ONLY_FIELDS}
    details = record.get("guestsDetails")
    if isinstance(details, dict) and "list" in details:
        view["guestsDetails"] = {key: value for key, value in details.items() if key != "list"}
    return view


@dataclasses.dataclass(frozen=True)
class ReservationQuery:
    """The filters of GET /booking/reservations. `start` and `end` are inclusive."""

    start: date
    end: date
    date_type: str = "included"
    types: frozenset[str] = DEFAULT_RESERVATION_TYPES
    listing_ids: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if self.date_type not in DATE_TYPES:
            raise ValueError(
                f"Parameter dateType must be one of {', '.join(DATE_TYPES)}, "
                f"got {self.date_type!r}."
            )

        unknown = sorted(self.types - set(RESERVATION_TYPES))
        if unknown:
            raise ValueError(
                f"Parameter type must be one of {', '.join(RESERVATION_TYPES)}, got {unknown[0]!r}."
            )


@dataclasses.dataclass(frozen=True, slots=True)
class IndexedReservation:
    """A stored record with its dates parsed and its list view serialised, once.

    Serialising when the record is stored keeps that work out of the requests, and it stays
    valid because stored records are never mutated.
    """

    record: dict[str, Any]
    check_in: date | None
    check_out: date | None
    created: date | None
    list_json: str

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> IndexedReservation:
        return cls(
            record=record,
            check_in=parse_date(record.get("checkInDate")),
            check_out=parse_date(record.get("checkOutDate")),
            created=parse_date(record.get("creationDate")),
            list_json=compact_json(list_view(record)),
        )

    def matches(self, query: ReservationQuery) -> bool:
        """Return whether the record passes the query's type, listing and date filters.

        A stay whose check-out precedes its check-in counts as covering the days between.
        """
        if self.record.get("type") not in query.types:
            return False
        if query.listing_ids and self.record.get("_idlisting") not in query.listing_ids:
            return False

        dates = self._filter_dates(query.date_type)
        if not dates:
            return True
        return min(dates) <= query.end and max(dates) >= query.start

    def _filter_dates(self, date_type: str) -> list[date]:
        """Return the dates that decide whether the record is in a window of this type.

        A date that does not parse is left out, and the decision falls to the other stay
        date. An empty result means no date parsed, and the record is included.
        """
        if date_type in ("creation", "creationorig"):
            candidates = [self.created]
        elif date_type == "arrival":
            candidates = [self.check_in or self.check_out]
        elif date_type == "departure":
            candidates = [self.check_out or self.check_in]
        else:
            candidates = [self.check_in, self.check_out]
        return [value for value in candidates if value is not None]
