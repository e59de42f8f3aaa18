"""Validation of Stays reservation records into the typed fields the reconciler stores."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal, InvalidOperation

from app.errors import MalformedReservationError

# \A and \Z because "$" also matches before a trailing newline, and [0-9] because "\d"
# also matches non-ASCII digits.
OBJECT_ID = re.compile(r"\A[0-9a-f]{24}\Z")
TIME_OF_DAY = re.compile(r"\A([01][0-9]|2[0-3]):[0-5][0-9]\Z")
# date.fromisoformat also accepts 20270201 and 2027-W05-1 since Python 3.11.
CALENDAR_DATE = re.compile(r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
# Bounds of the reservations columns guests (integer) and price_total (numeric(14, 2)). A
# value beyond them would fail the insert of the whole page instead of this one record.
MAX_GUESTS = 2**31 - 1
MAX_PRICE_TOTAL = Decimal("999999999999.99")
RESERVATION_TYPES = frozenset(
    {"reserved", "booked", "contract", "blocked", "maintenance", "canceled"}
)


@dataclass(frozen=True)
class ReservationRecord:
    stays_reservation_id: str
    short_id: str
    stays_listing_id: str
    type: str
    check_in_date: date
    check_in_time: str | None
    check_out_date: date
    check_out_time: str | None
    guest_name: str | None
    guests: int | None
    price_total: Decimal | None
    currency: str | None
    partner_name: str | None

    def values(self) -> tuple:
        """Return the field values in declaration order (dataclasses.astuple deep-copies,
        which costs more than the rest of a page's work)."""
        return tuple(getattr(self, name) for name in FIELD_NAMES)

    def content_hash(self) -> str:
        """Hash the stored fields, so an unchanged record is found without comparing columns.

        The guest's name is left out because only the detail view carries it: a record read
        from the list and then from the detail view must hash the same."""
        hashed = [str(getattr(self, name)) for name in HASHED_FIELDS]
        canonical = json.dumps(hashed, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()[:32]


FIELD_NAMES = tuple(field.name for field in fields(ReservationRecord))
HASHED_FIELDS = tuple(name for name in FIELD_NAMES if name != "guest_name")


def record_key(raw: object, position: str) -> str:
    """Return the _id that identifies a raw record, or a stand-in naming its page position."""
    if isinstance(raw, dict) and isinstance(raw.get("_id"), str) and raw["_id"]:
        return raw["_id"][:64]
    return f"invalid@{position}"


def parse_reservation(raw: object) -> ReservationRecord:
    """Validate one reservation from the list or detail view; raise MalformedReservationError."""
    if not isinstance(raw, dict):
        raise MalformedReservationError(
            "(none)", f"expected a JSON object, got {type(raw).__name__}"
        )
    stays_id = raw.get("_id")
    if not isinstance(stays_id, str) or not OBJECT_ID.match(stays_id):
        raise MalformedReservationError(str(stays_id)[:64], "_id is not 24 hexadecimal digits")

    def fail(reason: str):
        raise MalformedReservationError(stays_id, reason)

    short_id = raw.get("id")
    if not isinstance(short_id, str) or not short_id:
        fail("id (the short code) is missing")
    kind = raw.get("type")
    if kind not in RESERVATION_TYPES:
        fail(f"type {kind!r} is not one of {sorted(RESERVATION_TYPES)}")
    listing_id = raw.get("_idlisting")
    if not isinstance(listing_id, str) or not OBJECT_ID.match(listing_id):
        fail(f"_idlisting {listing_id!r} is missing or not 24 hexadecimal digits")

    check_in = _date(raw, "checkInDate", fail)
    check_out = _date(raw, "checkOutDate", fail)
    if check_out < check_in:
        fail(f"checkOutDate {check_out} is before checkInDate {check_in}")

    record = ReservationRecord(
        stays_reservation_id=stays_id,
        short_id=short_id,
        stays_listing_id=listing_id,
        type=kind,
        check_in_date=check_in,
        check_in_time=_time(raw, "checkInTime", fail),
        check_out_date=check_out,
        check_out_time=_time(raw, "checkOutTime", fail),
        guest_name=_primary_guest_name(raw),
        guests=_guests(raw, fail),
        price_total=_price_total(raw, fail),
        currency=_currency(raw),
        partner_name=_partner_name(raw),
    )
    for name in FIELD_NAMES:
        value = getattr(record, name)
        if isinstance(value, str) and "\x00" in value:
            fail(f"{name} contains a NUL character, which a PostgreSQL text column cannot store")
    return record


def _date(raw: dict, field: str, fail) -> date:
    value = raw.get(field)
    if not isinstance(value, str):
        fail(f"{field} is missing")
    if not CALENDAR_DATE.match(value):
        fail(f"{field} {value!r} is not a valid YYYY-MM-DD date")
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"{field} {value!r} is not a valid YYYY-MM-DD date")


def _time(raw: dict, field: str, fail) -> str | None:
    value = raw.get(field)
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not TIME_OF_DAY.match(value):
        fail(f"{field} {value!r} is not a valid HH:mm time")
    return value


def _guests(raw: dict, fail) -> int | None:
    value = raw.get("guests")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        fail(f"guests {value!r} is not a non-negative whole number")
    if value > MAX_GUESTS:
        fail(f"guests {value!r} is above the maximum of {MAX_GUESTS}")
    return value


def _price_total(raw: dict, fail) -> Decimal | None:
    price = raw.get("price")
    if not isinstance(price, dict) or price.get("_f_total") is None:
        return None
    value = price["_f_total"]
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        fail(f"price._f_total {value!r} is not a number")
    try:
        total = Decimal(str(value)).quantize(Decimal("0.01"))
    except InvalidOperation:
        fail(f"price._f_total {value!r} is not a number")
    if not total.is_finite():
        fail(f"price._f_total {value!r} is not a number")
    if abs(total) > MAX_PRICE_TOTAL:
        fail(f"price._f_total {value!r} is beyond the maximum of {MAX_PRICE_TOTAL}")
    return total


def _currency(raw: dict) -> str | None:
    price = raw.get("price")
    currency = price.get("currency") if isinstance(price, dict) else None
    return currency if isinstance(currency, str) else None


def _partner_name(raw: dict) -> str | None:
    partner = raw.get("partner")
    name = partner.get("name") if isinstance(partner, dict) else None
    return name if isinstance(name, str) else None


def _primary_guest_name(raw: dict) -> str | None:
    """Return the primary guest's name, which only the detail view carries."""
    details = raw.get("guestsDetails")
    guests = details.get("list") if isinstance(details, dict) else None
    if not isinstance(guests, list):
        return None
    for guest in guests:
        if isinstance(guest, dict) and guest.get("primary") and isinstance(guest.get("name"), str):
            return guest["name"]
    return None
