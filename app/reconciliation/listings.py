"""Listings: Stays' own data, plus each unit's time zone and lock from a configuration file."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import peewee

from app.errors import ConfigurationError
from app.stays.client import StaysClient
from app.stays.records import OBJECT_ID, TIME_OF_DAY
from models import Listing, database_proxy

logger = logging.getLogger(__name__)


def _line_of(text: str, key: str, occurrence: int = 1) -> int:
    """Return the 1-based line of the n-th occurrence of "key" in text (0 if not found)."""
    quoted = json.dumps(key, ensure_ascii=False)  # as the file spells it, escapes included
    position = -1
    for _ in range(occurrence):
        position = text.find(quoted, position + 1)
        if position < 0:
            return 0
    return text.count("\n", 0, position) + 1


class _ObjectWithDuplicates(dict):
    """A decoded JSON object that remembers the keys it contained more than once."""

    duplicate_keys: tuple[str, ...] = ()


def _keep_duplicate_keys(pairs: list[tuple[str, object]]) -> dict:
    # The hook cannot tell the file's top level from a listing's entry, so it only records
    # the duplicates. load_listing_config reports them once it has the listing at hand.
    decoded = _ObjectWithDuplicates(pairs)
    keys = [key for key, _value in pairs]
    decoded.duplicate_keys = tuple(key for key in decoded if keys.count(key) > 1)
    return decoded


def load_listing_config(path: Path) -> dict[str, dict]:
    """Read a file shaped like {listing _id: {"timezone": ..., "lock_id": ...}} and validate it."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        message = f"Cannot read listing configuration {path}: {error.strerror}."
        raise ConfigurationError(message) from None
    except UnicodeDecodeError as error:
        message = (
            f"{path} is not UTF-8 text (invalid byte at offset {error.start}); save it as UTF-8."
        )
        raise ConfigurationError(message) from None
    try:
        config = json.loads(text, object_pairs_hook=_keep_duplicate_keys)
    except json.JSONDecodeError as error:
        lines = text.splitlines()
        line_text = lines[error.lineno - 1].strip() if error.lineno <= len(lines) else ""
        raise ConfigurationError(
            f"{path} line {error.lineno} column {error.colno}: invalid JSON ({error.msg}) "
            f"in {line_text[:80]!r}."
        ) from None
    if not isinstance(config, dict):
        raise ConfigurationError(f"{path}: expected an object keyed by listing _id.")
    if config.duplicate_keys:
        key = config.duplicate_keys[0]
        raise ConfigurationError(
            f"{path} line {_line_of(text, key, occurrence=2)}: listing {key!r} appears twice; "
            "keep one entry per listing."
        )

    locks: dict[str, str] = {}
    for listing_id, entry in config.items():
        where = f"{path} line {_line_of(text, listing_id)}: listing {listing_id!r}"
        if not OBJECT_ID.match(listing_id):
            raise ConfigurationError(f"{where}: the key is not a 24-hex-digit Stays listing _id.")
        if not isinstance(entry, dict):
            raise ConfigurationError(f"{where}: expected an object with timezone and lock_id.")
        if entry.duplicate_keys:
            raise ConfigurationError(
                f"{where}: key {entry.duplicate_keys[0]!r} appears twice in the entry; keep one."
            )
        zone = entry.get("timezone")
        if zone is None:
            raise ConfigurationError(
                f"{where}: timezone is missing; add an IANA name such as America/Sao_Paulo."
            )
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError, TypeError, OSError):  # OSError: a folder
            raise ConfigurationError(
                f"{where}: unknown timezone {zone!r}; use an IANA name such as America/Sao_Paulo."
            ) from None
        lock = entry.get("lock_id")
        if lock is not None and (not isinstance(lock, str) or not lock):
            raise ConfigurationError(f"{where}: lock_id {lock!r} must be a non-empty string.")
        if lock in locks:
            raise ConfigurationError(f"{where}: lock_id {lock!r} is also used by {locks[lock]!r}.")
        if lock:
            locks[lock] = listing_id
    return config


def import_listing_config(path: Path, default_timezone: str = "America/Sao_Paulo") -> int:
    """Make the file the whole configuration: store its time zones and locks, and reset a
    listing the file no longer names to default_timezone and no lock, so no PIN goes to a
    lock that was removed. Returns the number of listings the file configures."""
    config = load_listing_config(path)
    rows = [
        {
            "stays_listing_id": listing_id,
            "timezone": entry["timezone"],
            "lock_id": entry.get("lock_id"),
            "configured": True,
        }
        for listing_id, entry in config.items()
    ]
    with database_proxy.atomic():
        (
            Listing.update(
                timezone=default_timezone,
                lock_id=None,
                configured=False,
                updated_at=peewee.fn.now(),
            )
            .where(Listing.configured & Listing.stays_listing_id.not_in(list(config)))
            .execute()
        )
        (
            Listing.update(lock_id=None)
            .where(Listing.lock_id.in_([r["lock_id"] for r in rows if r["lock_id"]]))
            .execute()
        )
        for row in rows:
            (
                Listing.insert(**row)
                .on_conflict(
                    conflict_target=[Listing.stays_listing_id],
                    update={
                        Listing.timezone: row["timezone"],
                        Listing.lock_id: row["lock_id"],
                        Listing.configured: True,
                        Listing.updated_at: peewee.fn.now(),
                    },
                )
                .execute()
            )
    logger.info("Imported time zone and lock of %d listing(s) from %s.", len(rows), path)
    return len(rows)


def sync_listings(client: StaysClient, default_timezone: str) -> int:
    """Store every listing Stays returns with its default check-in and check-out times (one
    booking-settings call per listing per run). A listing not configured gets
    default_timezone and no lock. Returns the number of listings Stays returned."""
    listings = client.list_listings()
    for item in listings:
        listing_id = item.get("_id") if isinstance(item, dict) else None
        if not isinstance(listing_id, str) or not OBJECT_ID.match(listing_id):
            logger.warning("Skipped a listing with an invalid _id %r.", listing_id)
            continue
        settings = client.get_listing_booking_settings(listing_id) or {}
        fields = {
            Listing.short_id: item.get("id"),
            Listing.name: item.get("internalName"),
            Listing.check_in_time: _valid_time(settings.get("checkInTime"), listing_id),
            Listing.check_out_time: _valid_time(settings.get("checkOutTime"), listing_id),
        }
        (
            Listing.insert(
                {Listing.stays_listing_id: listing_id, Listing.timezone: default_timezone, **fields}
            )
            .on_conflict(conflict_target=[Listing.stays_listing_id], update=fields)
            .execute()
        )
    return len(listings)


def _valid_time(value: object, listing_id: str) -> str | None:
    if value is None or (isinstance(value, str) and TIME_OF_DAY.match(value)):
        return value
    logger.warning("Listing %s has an invalid default time %r; ignored.", listing_id, value)
    return None
