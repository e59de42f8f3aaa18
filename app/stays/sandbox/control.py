"""Endpoints under /_sandbox that tests and the demo use to change what the sandbox serves.

They are not part of the Stays API. Each one has an in-process equivalent on SandboxDataset,
FaultRules or RequestCounter.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, request

from app.stays.sandbox.api import integer_parameter, json_response, sandbox_state
from app.stays.sandbox.faults import FaultRule

CONTROL_PREFIX = "/_sandbox"

control = Blueprint("stays_sandbox_control", __name__)


def _json_body(expected: type) -> Any:
    body = request.get_json(silent=True)
    if not isinstance(body, expected):
        kind = "array" if expected is list else "object"
        abort(400, f"The request body must be a JSON {kind} sent as application/json.")
    return body


@control.post("/state")
def set_state() -> Response:
    """Serve reservations-{state}.json again: {"state": 1}."""
    dataset = sandbox_state().dataset
    try:
        dataset.set_state(_json_body(dict).get("state"))
    except ValueError as error:
        abort(400, str(error))
    return json_response({"state": dataset.state, "reservations": dataset.reservation_count()})


@control.put("/reservations")
def replace_reservations() -> Response:
    records = _json_body(list)
    try:
        sandbox_state().dataset.replace_reservations(records)
    except ValueError as error:
        abort(400, str(error))
    return json_response({"reservations": len(records)})


@control.post("/reservations")
def upsert_reservation() -> Response:
    """Add or replace one record. A new one goes at the `position` query parameter, if given."""
    record = _json_body(dict)
    position = None
    if "position" in request.args:
        position = integer_parameter(request.args, "position", 0, minimum=0)

    try:
        sandbox_state().dataset.upsert_reservation(record, position)
    except ValueError as error:
        abort(400, str(error))
    return json_response({"_id": record["_id"]})


@control.delete("/reservations/<stays_id>")
def delete_reservation(stays_id: str) -> Response:
    if not sandbox_state().dataset.delete_reservation(stays_id):
        abort(404, f"Reservation {stays_id!r} was not found.")
    return json_response({"_id": stays_id})


@control.post("/faults")
def add_fault() -> Response:
    """Arm a fault rule from a body with FaultRule's fields, of which only `path` is required."""
    try:
        rule = FaultRule.from_json(_json_body(dict))
    except (TypeError, ValueError) as error:
        abort(400, str(error))
    sandbox_state().faults.add(rule)
    return json_response(rule.to_json(), 201)


@control.delete("/faults")
def clear_faults() -> Response:
    return json_response({"cleared": sandbox_state().faults.clear()})


@control.get("/requests")
def request_counts() -> Response:
    """Return how many API requests each path received, such as {"/booking/reservations": 3}."""
    return json_response(sandbox_state().request_counter.counts())


@control.delete("/requests")
def clear_request_counts() -> Response:
    sandbox_state().request_counter.clear()
    return json_response({})
