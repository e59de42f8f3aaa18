"""Run the Stays sandbox over HTTP: in a background thread for tests, or blocking for the CLI."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from flask import Flask
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from app.stays.sandbox.api import API_PREFIX
from app.stays.sandbox.application import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    create_sandbox_app,
)
from app.stays.sandbox.dataset import SandboxDataset
from app.stays.sandbox.faults import FaultRules, RequestCounter

logger = logging.getLogger(__name__)

# How often the serving thread checks for stop(), which waits up to this long.
SHUTDOWN_POLL_SECONDS = 0.1


class _RequestHandler(WSGIRequestHandler):
    """Request handler that logs at debug level, not werkzeug's info, so benchmarks stay quiet."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        logger.debug("Sandbox served %s %s: %s.", self.command, self.path, code)


class RunningSandbox:
    """A sandbox server running in a background daemon thread, as start_sandbox returns it."""

    def __init__(
        self,
        server: BaseWSGIServer,
        app: Flask,
        dataset: SandboxDataset,
        faults: FaultRules,
        request_counter: RequestCounter,
    ):
        self.app = app
        self.dataset = dataset
        self.faults = faults
        self.request_counter = request_counter
        self.base_url = _base_url(server.host, server.server_port)
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": SHUTDOWN_POLL_SECONDS},
            name="stays-sandbox",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop accepting requests and wait for the serving thread. A second call does nothing."""
        if not self._thread.is_alive():
            return
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
        logger.debug("Sandbox at %s stopped.", self.base_url)

    def __enter__(self) -> RunningSandbox:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def start_sandbox(
    dataset: SandboxDataset | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    client_id: str = DEFAULT_CLIENT_ID,
    client_secret: str = DEFAULT_CLIENT_SECRET,
) -> RunningSandbox:
    """Serve the sandbox in a background thread and return once it accepts connections.

    `dataset` defaults to the packaged sample in state 0, and port 0 picks a free port.
    """
    if dataset is None:
        dataset = SandboxDataset.from_directory()
    faults = FaultRules()
    request_counter = RequestCounter()
    app = create_sandbox_app(
        dataset, client_id, client_secret, faults=faults, request_counter=request_counter
    )
    server = make_server(host, port, app, threaded=True, request_handler=_RequestHandler)
    sandbox = RunningSandbox(server, app, dataset, faults, request_counter)
    logger.debug("Sandbox started at %s.", sandbox.base_url)
    return sandbox


def serve_sandbox(
    host: str,
    port: int,
    state: int,
    client_id: str,
    client_secret: str,
    data_dir: Path | None = None,
) -> None:
    """Serve the sandbox until interrupted (Ctrl-C), loading `data_dir` (default: the sample)."""
    dataset = SandboxDataset.from_directory(data_dir)
    if state != dataset.state:
        dataset.set_state(state)
    app = create_sandbox_app(dataset, client_id, client_secret)
    server = make_server(host, port, app, threaded=True)
    logger.info("Stays sandbox serving %s in state %d.", _base_url(host, server.server_port), state)
    # werkzeug's serve_forever returns on Ctrl-C (KeyboardInterrupt) and closes the socket.
    server.serve_forever()
    logger.info("Stays sandbox stopped.")


def _base_url(host: str, port: int) -> str:
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}{API_PREFIX}"
