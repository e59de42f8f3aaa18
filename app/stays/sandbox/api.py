"""The Stays external API endpoints of the sandbox, and the helpers its blueprints share."""

from __future__ import annotations

import dataclasses
import re
from datetime import date
from typing import Any

from flask import Blueprint, Response, abort, current_app, request
from werkzeug.datastructures import MultiDict

from app.stays.sandbox.dataset import SandboxDataset
from app.stays.sandbox.faults import FaultRules, RequestCounter
from app.stays.sandbox.reservations import (
    DATE_TYPES,
    DEFAULT_RESERVATION_TYPES,
    ReservationQuery,
    compact_json,
    parse_date,
)

API_PREFIX = "/external/v1"
DEFAULT_PAGE_LIMIT = 20
# The published schema's maximum for `limit`. Stays rejects a larger value with 400.
MAX_PAGE_LIMIT = 100

EXTENSION_NAME = "stays_sandbox"
_WHOLE_NUMBER = re.compile(r"[0-9]+")

api = Blueprint("stays_api", __name__)


@dataclasses.dataclass(frozen=True)
class SandboxState:
    """State shared by the sandbox endpoints, stored in app.extensions[EXTENSION_NAME]."""

    dataset: SandboxDataset
    faults: FaultRules
    request_counter: RequestCounter
    client_id: str
    client_secret: str = dataclasses.field(repr=False)


def sandbox_state() -> SandboxState:
    return current_app.extensions[EXTENSION_NAME]


def json_response(payload: Any, status: int = 200) -> Response:
    """Return a response with the payload serialised as JSON.

    A str payload is taken as JSON text that is already serialised.
    """
    body = payload if isinstance(payload, str) else compact_json(payload)
    return Response(body, status=status, mimetype="application/json")


def integer_parameter(
    args: MultiDict, name: str, default: int, minimum: int, maximum: int | None = None
) -> int:
    """Parse a whole-number query parameter, or abort with 400 if it is invalid or out of range."""
    raw = args.get(name)
    if raw is None:
        return default
    if not _WHOLE_NUMBER.fullmatch(raw) or int(raw) < minimum:
        abort(400, f"Parameter {name} must be a whole number of at least {minimum}, got {raw!r}.")
    if maximum is not None and int(raw) > maximum:
        abort(400, f"Parameter {name} must be at most {maximum}, got {raw!r}.")
    return int(raw)


def _page_bounds(args: MultiDict) -> tuple[int, int]:
    skip = integer_parameter(args, "skip", 0, minimum=0)
    limit = integer_parameter(args, "limit", DEFAULT_PAGE_LIMIT, minimum=1, maximum=MAX_PAGE_LIMIT)
    return skip, limit


def _required_date(args: MultiDict, name: str) -> date:
    raw = args.get(name)
    if raw is None:
        abort(400, f"Parameter {name} is missing. Send a date as YYYY-MM-DD.")

    value = parse_date(raw)
    if value is None:
        abort(400, f"Parameter {name} must be a date as YYYY-MM-DD, got {raw!r}.")
    return value


def _reservation_query(args: MultiDict) -> ReservationQuery:
    start = _required_date(args, "from")
    end = _required_date(args, "to")
    date_type = args.get("dateType")
    if date_type is None:
        abort(400, f"Parameter dateType is missing. Use one of {', '.join(DATE_TYPES)}.")

    types = frozenset(args.getlist("type")) or DEFAULT_RESERVATION_TYPES
    listing_ids = frozenset(args.getlist("listingId"))
    try:
        return ReservationQuery(start, end, date_type, types, listing_ids)
    except ValueError as error:
        abort(400, str(error))


@api.get("/booking/reservations")
def list_reservations() -> Response:
    query = _reservation_query(request.args)
    skip, limit = _page_bounds(request.args)
    return json_response(sandbox_state().dataset.list_reservations_json(query, skip, limit))


@api.get("/booking/reservations/<reservation_id>")
def get_reservation(reservation_id: str) -> Response:
    record = sandbox_state().dataset.reservation(reservation_id)
    if record is None:
        abort(404, f"Reservation {reservation_id!r} was not found.")
    return json_response(record)


@api.get("/booking/clients/<client_id>")
def get_client(client_id: str) -> Response:
    client = sandbox_state().dataset.client(client_id)
    if client is None:
        abort(404, f"Client {client_id!r} was not found.")
    return json_response(client)


@api.get("/content/listings")
def list_listings() -> Response:
    skip, limit = _page_bounds(request.args)
    return json_response(sandbox_state().dataset.listings(skip, limit))


@api.get("/content/listings/<listing_id>")
def get_listing(listing_id: str) -> Response:
    listing = sandbox_state().dataset.listing(listing_id)
    if listing is None:
        abort(404, f"Listing {listing_id!r} was not found.")
    return json_response(listing)


@api.get("/settings/listing/<listing_id>/booking")
def get_listing_booking_settings(listing_id: str) -> Response:
    settings = sandbox_state().dataset.listing_booking_settings(listing_id)
    if settings is None:
        abort(404, f"Booking settings of listing {listing_id!r} were not found.")
    return json_response(settings)
