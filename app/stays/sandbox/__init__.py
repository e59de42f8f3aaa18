"""An HTTP server that imitates the Stays external API on loopback, for tests, demos and benchmarks.

It serves the packaged sample account (app/stays/sample) or records given in code, checks the
query parameters as Stays does, and can inject faults (error statuses, HTML bodies, truncated
JSON, delays) through /_sandbox control endpoints or in-process objects.
"""

from app.stays.sandbox.api import API_PREFIX
from app.stays.sandbox.application import create_sandbox_app
from app.stays.sandbox.control import CONTROL_PREFIX
from app.stays.sandbox.dataset import DEFAULT_DATA_DIR, SandboxDataset
from app.stays.sandbox.faults import FaultRule, FaultRules, RequestCounter
from app.stays.sandbox.reservations import RESERVATION_TYPES, ReservationQuery
from app.stays.sandbox.server import RunningSandbox, serve_sandbox, start_sandbox

__all__ = [
    "API_PREFIX",
    "CONTROL_PREFIX",
    "DEFAULT_DATA_DIR",
    "RESERVATION_TYPES",
    "FaultRule",
    "FaultRules",
    "RequestCounter",
    "ReservationQuery",
    "RunningSandbox",
    "SandboxDataset",
    "create_sandbox_app",
    "serve_sandbox",
    "start_sandbox",
]
