"""The sandbox's Flask app: authentication, fault injection and JSON errors around the endpoints."""

from __future__ import annotations

import hmac
import json
import logging
import time

from flask import Flask, Response, abort, g, request
from werkzeug.exceptions import HTTPException

from app.stays.sandbox.api import (
    API_PREFIX,
    EXTENSION_NAME,
    SandboxState,
    api,
    json_response,
    sandbox_state,
)
from app.stays.sandbox.control import CONTROL_PREFIX, control
from app.stays.sandbox.dataset import SandboxDataset
from app.stays.sandbox.faults import FaultRule, FaultRules, RequestCounter

logger = logging.getLogger(__name__)

# The sandbox's well-known test credentials, not a secret.
DEFAULT_CLIENT_ID = "sandbox"
DEFAULT_CLIENT_SECRET = "sandbox"  # noqa: S105


def create_sandbox_app(
    dataset: SandboxDataset,
    client_id: str = DEFAULT_CLIENT_ID,
    client_secret: str = DEFAULT_CLIENT_SECRET,
    faults: FaultRules | None = None,
    request_counter: RequestCounter | None = None,
) -> Flask:
    """Build the sandbox app: the Stays API under /external/v1, controls under /_sandbox.

    Every endpoint needs HTTP Basic auth with `client_id` and `client_secret`. Pass `faults`
    and `request_counter` to arm faults and read request counts in-process.
    """
    app = Flask(__name__)
    app.extensions[EXTENSION_NAME] = SandboxState(
        dataset=dataset,
        faults=faults if faults is not None else FaultRules(),
        request_counter=request_counter if request_counter is not None else RequestCounter(),
        client_id=client_id,
        client_secret=client_secret,
    )
    app.register_blueprint(api, url_prefix=API_PREFIX)
    app.register_blueprint(control, url_prefix=CONTROL_PREFIX)
    app.before_request(_count_fault_and_authenticate)
    app.after_request(_apply_fault_to_response)
    app.register_error_handler(HTTPException, _json_error)
    return app


def _json_error(error: HTTPException) -> Response:
    logger.info(
        "Sandbox rejected %s %s with %s: %s",
        request.method,
        request.path,
        error.code,
        error.description,
    )
    response = json_response({"message": error.description}, error.code or 500)
    if error.code == 401:
        response.headers["WWW-Authenticate"] = 'Basic realm="Stays sandbox"'
    return response


def _count_fault_and_authenticate() -> Response | None:
    """Count an API request, serve its fault if one is armed, then check the credentials.

    Faults come before the credential check, as a failing gateway in front of Stays would.
    """
    state = sandbox_state()
    if request.path.startswith(API_PREFIX + "/"):
        api_path = request.path[len(API_PREFIX) :]
        state.request_counter.record(api_path)
        rule = state.faults.take(api_path)
        if rule is not None:
            g.sandbox_fault = rule
            logger.debug("Sandbox fault applied to %s: %r.", api_path, rule)
            if rule.delay_seconds:
                time.sleep(rule.delay_seconds)
            if rule.replaces_response:
                return _fault_response(rule)

    credentials = request.authorization
    if (
        credentials is None
        or credentials.type != "basic"
        or not _equal(credentials.username, state.client_id)
        or not _equal(credentials.password, state.client_secret)
    ):
        abort(
            401, "Invalid or missing credentials. Send the API client id and secret as Basic auth."
        )
    return None


def _equal(received: str | None, expected: str) -> bool:
    """Compare in constant time, so response timing does not reveal the credentials."""
    return received is not None and hmac.compare_digest(received.encode(), expected.encode())


def _fault_response(rule: FaultRule) -> Response:
    body = rule.body
    if body is None:
        body = json.dumps({"message": f"Injected sandbox fault: HTTP {rule.status}."})
    return Response(body, status=rule.status or 200, content_type=rule.content_type)


def _apply_fault_to_response(response: Response) -> Response:
    """Add the fault's headers and, for a truncating fault, cut the body to its first half.

    This applies to a scripted fault response as well as to the real one.
    """
    rule: FaultRule | None = g.pop("sandbox_fault", None)
    if rule is None:
        return response

    if rule.truncate:
        body = response.get_data()
        response.set_data(body[: len(body) // 2])
    response.headers.update(rule.headers)
    return response
