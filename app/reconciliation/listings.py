"""Listings: Stays' own data, plus each unit's time zone and lock from a configuration file."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import peewee

from app.errors import ConfigurationError
from app.stays.client import StaysClient
from app.stays.records import OBJECT_ID
from models import Listing, database_proxy

logger = logging.getLogger(__name__)


def _line_of(text: str, key: str, occurrence: int = 1) -> int:
    """Return the 1-based line of the n-th occurrence of "key" in text (0 if not found)."""
    position = -1
    for _ in range(occurrence):
        position = text.find(f'"{key}"', position + 1)
        if position < 0:
            return 0
    return text.count("\n", 0, position) + 1


class _DuplicateKeyError(ValueError):
    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


def _no_duplicate_keys(pairs: list[tuple[str, object]]) -> dict:
    seen: dict = {}
    for key, value in pairs:
        if key in seen:
            raise _DuplicateKeyError(key)
        seen[key] = value
    return seen


def load_listing_config(path: Path) -> dict[str, dict]:
    """Read a file shaped like {listing _id: {"timezone": ..., "lock_id": ...}} and validate it."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        message = f"Cannot read listing configuration {path}: {error.strerror}."
        raise ConfigurationError(message) from None
    try:
        config = json.loads(text, object_pairs_hook=_no_duplicate_keys)
    except json.JSONDecodeError as error:
        raise ConfigurationError(
            f"{path} line {error.lineno}: invalid JSON ({error.msg})."
        ) from None
    except _DuplicateKeyError as error:
        line = _line_of(text, error.key, occurrence=2)
        raise ConfigurationError(
            f"{path} line {line}: listing {error.key!r} appears twice; keep one entry per listing."
        ) from None
    if not isinstance(config, dict):
        raise ConfigurationError(f"{path}: expected an object keyed by listing _id.")

    locks: dict[str, str] = {}
    for listing_id, entry in config.items():
        where = f"{path} line {_line_of(text, listing_id)}: listing {listing_id!r}"
        if not OBJECT_ID.match(listing_id):
            raise ConfigurationError(f"{where}: the key is not a 24-hex-digit Stays listing _id.")
        if not isinstance(entry, dict):
            raise ConfigurationError(f"{where}: expected an object with timezone and lock_id.")
        zone = entry.get("timezone")
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError, TypeError):
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


def import_listing_config(path: Path) -> int:
    """Store the file's time zones and locks; return the number of listings written."""
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
    """Store every listing Stays returns; a listing not configured gets default_timezone and
    no lock. Returns the number of listings Stays returned."""
    listings = client.list_listings()
    for item in listings:
        listing_id = item.get("_id") if isinstance(item, dict) else None
        if not isinstance(listing_id, str) or not OBJECT_ID.match(listing_id):
            logger.warning("Skipped a listing with an invalid _id %r.", listing_id)
            continue
        (
            Listing.insert(
                stays_listing_id=listing_id,
                short_id=item.get("id"),
                name=item.get("internalName"),
                timezone=default_timezone,
            )
            .on_conflict(
                conflict_target=[Listing.stays_listing_id],
                update={
                    Listing.short_id: item.get("id"),
                    Listing.name: item.get("internalName"),
                },
            )
            .execute()
        )
    return len(listings)
