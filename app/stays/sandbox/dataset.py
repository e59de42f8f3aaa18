"""The account data the Stays sandbox serves: reservations, listings, booking settings, clients."""

from __future__ import annotations

import dataclasses
import json
import logging
import re
import threading
from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path
from typing import Any

from app.stays.sandbox.reservations import (
    IndexedReservation,
    ReservationQuery,
    shift_reservation_dates,
)

logger = logging.getLogger(__name__)

DEFAULT_DATA_DIR = Path(__file__).resolve().parent.parent / "sample"

# Distinct reservation queries whose results are kept between requests. Paging one window
# repeats one query, so a small cache turns every page after the first into a slice.
QUERY_CACHE_SIZE = 64

_STATE_FILE = re.compile(r"reservations-([0-9]+)\.json")


class SandboxDataset:
    """The account's data as the sandbox serves it. One lock makes it thread-safe.

    Stored records are never mutated: every change installs new records, and every
    accessor returns a copy. Listings, booking settings and clients are fixed at
    construction.
    """

    def __init__(
        self,
        *,
        listings: Iterable[dict[str, Any]] = (),
        listing_booking_settings: Mapping[str, dict[str, Any]] | None = None,
        clients: Iterable[dict[str, Any]] = (),
        reservation_states: Mapping[int, list[dict[str, Any]]] | None = None,
        shift_days: int = 0,
    ):
        self.shift_days = shift_days
        self._lock = threading.Lock()
        self._listings = list(listings)
        self._listings_by_id = _index_by_ids(self._listings)
        self._booking_settings = dict(listing_booking_settings or {})
        self._clients = {client["_id"]: client for client in clients}
        self._states = dict(reservation_states or {})
        self._state: int | None = None
        self._install([])

    @classmethod
    def from_directory(cls, path: Path | None = None, today: date | None = None) -> SandboxDataset:
        """Load a sample directory with its dates moved so that the data looks current.

        Every reservation date moves by (today - manifest.json's reference_date) days.
        `path` defaults to the packaged sample and `today` to date.today(). State 0 is
        served first.
        """
        directory = Path(path) if path is not None else DEFAULT_DATA_DIR
        manifest = _read_json(directory / "manifest.json")
        reference_date = date.fromisoformat(manifest["reference_date"])
        shift_days = ((today or date.today()) - reference_date).days

        states = {}
        for state_path in sorted(directory.glob("reservations-*.json")):
            match = _STATE_FILE.fullmatch(state_path.name)
            if match is None:
                continue
            records = _read_json(state_path)
            states[int(match[1])] = [shift_reservation_dates(r, shift_days) for r in records]

        dataset = cls(
            listings=_read_json(directory / "listings.json"),
            listing_booking_settings=_read_json(directory / "listing-booking-settings.json"),
            clients=_read_json(directory / "clients.json"),
            reservation_states=states,
            shift_days=shift_days,
        )
        dataset.set_state(min(states, default=0))
        logger.debug(
            "Sandbox data loaded from %s with dates moved by %d days.", directory, shift_days
        )
        return dataset

    @property
    def state(self) -> int | None:
        """The state being served, or None after replace_reservations or a change."""
        return self._state

    @property
    def states(self) -> list[int]:
        """The state numbers that set_state accepts."""
        return sorted(self._states)

    def set_state(self, state: int) -> None:
        """Serve the reservations of one state file, dropping any change made since."""
        if isinstance(state, bool) or not isinstance(state, int) or state not in self._states:
            available = ", ".join(str(number) for number in self.states) or "none"
            raise ValueError(f"State {state!r} is not available. Use one of: {available}.")

        with self._lock:
            self._install(self._states[state])
            self._state = state
        logger.info("Sandbox state set to %d: %d reservations.", state, len(self._states[state]))

    def replace_reservations(self, records: list[dict[str, Any]]) -> None:
        """Serve these records, in this order and without date shifting."""
        copies = _copy_json(records)
        if not isinstance(copies, list):
            raise ValueError(f"Reservations must be a JSON array, got {type(copies).__name__}.")

        seen: set[str] = set()
        for index, record in enumerate(copies):
            stays_id = _require_stays_id(record, f"Reservation at index {index}")
            if stays_id in seen:
                raise ValueError(
                    f"Reservation _id {stays_id!r} appears more than once. Make each _id unique."
                )
            seen.add(stays_id)

        with self._lock:
            self._install(copies)
            self._state = None
        logger.info("Sandbox reservations replaced: %d records.", len(copies))

    def upsert_reservation(self, record: dict[str, Any], position: int | None = None) -> None:
        """Replace the record with the same _id in place, or insert it.

        A new record goes at `position` in the served order (the end when None), so a
        test can insert before the page a client is about to read.
        """
        copy = _copy_json(record)
        stays_id = _require_stays_id(copy, "Reservation")

        with self._lock:
            records = [entry.record for entry in self._entries]
            existing = self._by_stays_id.get(stays_id)
            if existing is not None:
                records[self._entries.index(existing)] = copy
            elif position is None:
                records.append(copy)
            else:
                records.insert(position, copy)
            self._install(records)
            self._state = None
        logger.info("Sandbox reservation %r %s.", stays_id, "replaced" if existing else "added")

    def delete_reservation(self, stays_id: str) -> bool:
        """Remove a reservation by its long _id, and return whether there was one."""
        with self._lock:
            existing = self._by_stays_id.get(stays_id)
            if existing is None:
                return False
            self._install([entry.record for entry in self._entries if entry is not existing])
            self._state = None
        logger.info("Sandbox reservation %r deleted.", stays_id)
        return True

    def reservation_count(self) -> int:
        with self._lock:
            return len(self._entries)

    def reservations(self) -> list[dict[str, Any]]:
        """Return a copy of the current records (detail view), in served order."""
        with self._lock:
            records = [entry.record for entry in self._entries]
        return _copy_json(records)

    def reservation(self, reservation_id: str) -> dict[str, Any] | None:
        """Return the detail view of a reservation by _id, short id or partnerCode."""
        with self._lock:
            entry = (
                self._by_stays_id.get(reservation_id)
                or self._by_short_id.get(reservation_id)
                or self._by_partner_code.get(reservation_id)
            )
        return None if entry is None else _copy_json(entry.record)

    def list_reservations(
        self, query: ReservationQuery, skip: int = 0, limit: int = 20
    ) -> list[dict[str, Any]]:
        """Return a copy of one page of the records that match the query, as list views."""
        return json.loads(self.list_reservations_json(query, skip, limit))

    def list_reservations_json(
        self, query: ReservationQuery, skip: int = 0, limit: int = 20
    ) -> str:
        """Return one page of the records that match the query, as a JSON array of list views.

        Short listing ids in `query.listing_ids` match their listing's _id.
        """
        listing_ids = frozenset(self._stays_listing_id(value) for value in query.listing_ids)
        if listing_ids != query.listing_ids:
            query = dataclasses.replace(query, listing_ids=listing_ids)

        with self._lock:
            matches = self._query_cache.get(query)
            if matches is None:
                matches = [entry for entry in self._entries if entry.matches(query)]
                if len(self._query_cache) >= QUERY_CACHE_SIZE:
                    self._query_cache.clear()
                self._query_cache[query] = matches
        return "[" + ",".join(entry.list_json for entry in matches[skip : skip + limit]) + "]"

    def listings(self, skip: int = 0, limit: int | None = None) -> list[dict[str, Any]]:
        """Return a copy of one page of the listings (all of them when limit is None)."""
        end = None if limit is None else skip + limit
        return _copy_json(self._listings[skip:end])

    def listing(self, listing_id: str) -> dict[str, Any] | None:
        """Return a listing by its _id or short id."""
        listing = self._listings_by_id.get(listing_id)
        return None if listing is None else _copy_json(listing)

    def listing_booking_settings(self, listing_id: str) -> dict[str, Any] | None:
        """Return a listing's booking settings, such as the default check-in and check-out times.

        The listing may be named by _id or short id. The response carries `_idlisting`, as
        the published schema describes, although the sample file keys its entries by it.
        """
        stays_listing_id = self._stays_listing_id(listing_id)
        settings = self._booking_settings.get(stays_listing_id)
        if settings is None:
            return None
        return {"_idlisting": stays_listing_id, **_copy_json(settings)}

    def client(self, client_id: str) -> dict[str, Any] | None:
        """Return a guest by its _id."""
        client = self._clients.get(client_id)
        return None if client is None else _copy_json(client)

    def _stays_listing_id(self, listing_id: str) -> str:
        """Return the _id of the listing named by _id or short id. An unknown id is kept."""
        listing = self._listings_by_id.get(listing_id)
        return listing["_id"] if listing is not None else listing_id

    def _install(self, records: list[dict[str, Any]]) -> None:
        """Index `records` as the served set. The caller holds the lock, unless constructing."""
        self._entries = [IndexedReservation.from_record(record) for record in records]
        self._by_stays_id: dict[str, IndexedReservation] = {}
        self._by_short_id: dict[str, IndexedReservation] = {}
        self._by_partner_code: dict[str, IndexedReservation] = {}
        for entry in self._entries:
            self._by_stays_id.setdefault(entry.record["_id"], entry)
            for key, index in (("id", self._by_short_id), ("partnerCode", self._by_partner_code)):
                value = entry.record.get(key)
                if isinstance(value, str) and value:
                    index.setdefault(value, entry)
        self._query_cache: dict[ReservationQuery, list[IndexedReservation]] = {}


def _index_by_ids(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Map each record's _id and short id to it. An _id wins over a colliding short id."""
    index = {record["id"]: record for record in records if isinstance(record.get("id"), str)}
    index.update({record["_id"]: record for record in records})
    return index


def _require_stays_id(record: object, label: str) -> str:
    stays_id = record.get("_id") if isinstance(record, dict) else None
    if not isinstance(stays_id, str) or not stays_id:
        raise ValueError(f"{label} must be a JSON object with a non-empty string _id.")
    return stays_id


def _copy_json(value: Any) -> Any:
    """Deep-copy JSON data, faster than copy.deepcopy. Values JSON cannot hold raise TypeError."""
    return json.loads(json.dumps(value))


def _read_json(path: Path) -> Any:
    with path.open(encoding="utf-8") as file:
        return json.load(file)
