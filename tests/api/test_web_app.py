"""create_app() configuration, and gunicorn serving it as the Procfile's web entry does."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from admin_factories import SECRET, bearer, closed_port

from app.errors import ConfigurationError
from app.tokens import mint_token
from app.web import create_app

REPOSITORY = Path(__file__).resolve().parents[2]
GUNICORN_START_SECONDS = 30


def test_create_app_without_secret_raises(services, monkeypatch):
    monkeypatch.setitem(os.environ, "JWT_SECRET_KEY", "")

    with pytest.raises(ConfigurationError) as caught:
        create_app({"JWT_SECRET_KEY": ""})

    message = str(caught.value)
    assert "JWT_SECRET_KEY is not set" in message
    assert "export JWT_SECRET_KEY=" in message
    assert "stays-reconciler token" in message


def test_create_app_in_tests_makes_up_a_secret(make_app):
    app = make_app(JWT_SECRET_KEY="")

    assert len(app.config["JWT_SECRET_KEY"]) >= 32


def test_create_app_warns_about_a_short_secret(make_app, caplog):
    make_app(JWT_SECRET_KEY="short", TESTING=False)

    assert any("JWT_SECRET_KEY is 5 bytes long" in r.getMessage() for r in caplog.records)


def gunicorn_command(port: int) -> list[str]:
    """The Procfile's web command, bound to loopback on a free port with one worker."""
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        "1",
        "--threads",
        "4",
        "--bind",
        f"127.0.0.1:{port}",
        "app.web:create_app()",
    ]


def server_env(services, **overrides) -> dict[str, str]:
    database_url, redis_url = services
    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url}
    env.update(overrides)
    return env


def test_procfile_web_entry_is_gunicorn_create_app():
    procfile = (REPOSITORY / "Procfile").read_text()

    assert "web: gunicorn" in procfile
    assert "'app.web:create_app()'" in procfile


def test_gunicorn_serves_the_app(services, db):
    port = closed_port()
    server = subprocess.Popen(
        gunicorn_command(port),
        cwd=REPOSITORY,
        env=server_env(services, JWT_SECRET_KEY=SECRET),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + GUNICORN_START_SECONDS
        health = None
        while time.monotonic() < deadline and server.poll() is None:
            try:
                health = requests.get(f"{base}/healthz", timeout=2)
                break
            except requests.ConnectionError:
                time.sleep(0.2)
        assert health is not None, "gunicorn did not respond to /healthz in time"
        assert health.status_code == 200

        token = mint_token("ops", "admin", timedelta(minutes=5), SECRET)
        status = requests.get(
            f"{base}/api/admin/reconciliation/status", headers=bearer(token), timeout=5
        )
        assert status.status_code == 200
        assert status.json()["data"]["currentStatus"] == "idle"
        assert requests.get(f"{base}/admin", timeout=5).status_code == 200
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_gunicorn_refuses_to_start_without_secret(services):
    completed = subprocess.run(
        gunicorn_command(closed_port()),
        cwd=REPOSITORY,
        env=server_env(services, JWT_SECRET_KEY=""),
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert completed.returncode != 0
    assert "JWT_SECRET_KEY is not set" in completed.stderr
    assert "export JWT_SECRET_KEY=" in completed.stderr
