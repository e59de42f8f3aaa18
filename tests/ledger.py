"""Expected run stats derived from the sample's manifest and the sandbox's own window, so
the tests do not reuse the reconciler's logic to judge it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources

import requests

UPDATE_CATEGORIES = (
    "canceled",
    "rescheduled",
    "guests_changed",
    "price_changed",
    "reactivated",
    "moved_listing",
)
TYPES = ("reserved", "booked", "contract", "blocked", "maintenance", "canceled")


def manifest() -> dict:
    text = resources.files("app.stays").joinpath("sample/manifest.json").read_text()
    return json.loads(text)


def ids_in_window(base_url: str, start, end) -> set[str]:
    """Every _id the sandbox lists for the window, paging with limit 100."""
    ids: set[str] = set()
    skip = 0
    while True:
        params = [("from", start.isoformat()), ("to", end.isoformat()), ("dateType", "included")]
        params += [("type", t) for t in TYPES] + [("skip", skip), ("limit", 100)]
        page = requests.get(
            base_url + "/booking/reservations",
            params=params,
            auth=("sandbox", "sandbox"),
            timeout=10,
        ).json()
        ids.update(r["_id"] for r in page)
        skip += len(page)
        if len(page) < 100:
            return ids


@dataclass(frozen=True)
class Expected:
    created: int
    updated: int
    deleted: int
    errors: int
    unchanged: int

    def matches(self, run) -> dict[str, tuple[int, int]]:
        """Return {stat: (expected, actual)} for every stat that differs."""
        fields = ("created", "updated", "deleted", "errors", "unchanged")
        return {
            name: (getattr(self, name), getattr(run, name))
            for name in fields
            if getattr(self, name) != getattr(run, name)
        }


def expected_first_run(window_ids: set[str]) -> Expected:
    malformed = set(manifest()["malformed_ids"])
    errors = len(window_ids & malformed)
    return Expected(
        created=len(window_ids) - errors, updated=0, deleted=0, errors=errors, unchanged=0
    )


def expected_no_change_run(window_ids: set[str]) -> Expected:
    malformed = set(manifest()["malformed_ids"])
    errors = len(window_ids & malformed)
    return Expected(
        created=0, updated=0, deleted=0, errors=errors, unchanged=len(window_ids) - errors
    )


def expected_state_1_run(ids_0: set[str], ids_1: set[str]) -> Expected:
    """State 0 stored (ids_0), then state 1 listed (ids_1): what the ledger implies."""
    changes = manifest()["changes_0_to_1"]
    malformed = set(manifest()["malformed_ids"])
    stored = ids_0 - malformed
    created = set(changes["created"]) & ids_1
    updated = {i for c in UPDATE_CATEGORIES for i in changes[c]} & stored
    deleted = set(changes["deleted"]) & stored
    errors = ids_1 & malformed
    touched = created | updated | deleted | errors
    unchanged = (ids_1 - touched) & stored
    return Expected(
        created=len(created),
        updated=len(updated),
        deleted=len(deleted),
        errors=len(errors),
        unchanged=len(unchanged),
    )
