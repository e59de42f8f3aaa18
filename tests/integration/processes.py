"""Start the Procfile's worker and clock commands as real processes for tests."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def procfile_command(name: str) -> tuple[dict[str, str], list[str]]:
    """Return the entry's leading VAR=value assignments and its command line."""
    for line in (ROOT / "Procfile").read_text().splitlines():
        process, _, command = line.partition(":")
        if process.strip() != name:
            continue
        words = shlex.split(command.strip())
        assignments = {}
        while words and "=" in words[0] and not words[0].startswith("-"):
            key, _, value = words.pop(0).partition("=")
            assignments[key] = value
        return assignments, words
    raise KeyError(f"Procfile has no {name!r} entry")


class ProcfileProcess:
    """One Procfile entry running in its own process group, with its output in a log file."""

    def __init__(self, name: str, environment: dict[str, str], log_folder: Path, index: int = 0):
        self.name = name
        self.log_path = log_folder / f"{name}-{index}.log"
        assignments, command = procfile_command(name)
        executable = Path(sys.executable).parent / command[0]
        if executable.exists():
            command[0] = str(executable)
        self._log = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env={**os.environ, **assignments, **environment},
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill(self) -> None:
        """SIGKILL the whole process group, as a crashed dyno."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self, timeout: float = 20) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        self._log.close()

    def output(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")


def wait_until(condition, timeout: float, interval: float = 0.2, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"Timed out after {timeout} s waiting for {what}.")
