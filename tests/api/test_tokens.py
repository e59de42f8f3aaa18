"""app.tokens and the `stays-reconciler token` command."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt
import pytest
from admin_factories import SECRET, bearer

from app.cli import main
from app.config import reset_settings
from app.errors import ReconcilerError
from app.tokens import mint_token, parse_duration


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30s", timedelta(seconds=30)),
        ("15m", timedelta(minutes=15)),
        ("1h", timedelta(hours=1)),
        ("7d", timedelta(days=7)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        (" 2H ", timedelta(hours=2)),
        ("90m", timedelta(minutes=90)),
    ],
)
def test_parse_duration(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "1", "h", "1x", "-1h", "1.5h", "1 hour", "0s", "0h0m"])
def test_parse_duration_rejects(text):
    with pytest.raises(ValueError, match="Invalid duration") as caught:
        parse_duration(text)

    assert isinstance(caught.value, ReconcilerError)


def test_parse_duration_message_shows_the_forms():
    with pytest.raises(ValueError, match="30s, 15m, 1h or 7d"):
        parse_duration("soon")


def test_mint_token_claims():
    issued = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)

    token = mint_token("ops@example.com", "admin", timedelta(hours=1), SECRET, now=issued)

    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    claims = jwt.decode(token, SECRET, algorithms=["HS256"], options={"verify_exp": False})
    assert claims["sub"] == "ops@example.com"
    assert claims["role"] == "admin"
    assert claims["type"] == "access"
    assert claims["iat"] == int(issued.timestamp())
    assert claims["exp"] == int((issued + timedelta(hours=1)).timestamp())
    assert claims["jti"]


def test_mint_token_rejects_empty_secret():
    with pytest.raises(ValueError, match="JWT_SECRET_KEY"):
        mint_token("ops", "admin", timedelta(hours=1), "")


@pytest.fixture
def secret_env(monkeypatch):
    monkeypatch.setenv("JWT_SECRET_KEY", SECRET)
    reset_settings()
    yield
    monkeypatch.delenv("JWT_SECRET_KEY")
    reset_settings()


def test_token_command_prints_a_working_token(secret_env, client, capsys):
    exit_code = main(["token", "--identity", "ops", "--role", "admin", "--expires-in", "1h"])

    assert exit_code == 0
    token = capsys.readouterr().out.strip()
    response = client.get("/api/admin/reconciliation/status", headers=bearer(token))
    assert response.status_code == 200
    claims = jwt.decode(token, SECRET, algorithms=["HS256"])
    assert claims["exp"] - claims["iat"] == 3600


def test_token_command_rejects_a_bad_duration(secret_env, capsys):
    exit_code = main(["token", "--identity", "ops", "--expires-in", "forever"])

    assert exit_code == 2
    assert "Invalid duration 'forever'" in capsys.readouterr().err


def test_token_command_without_secret(monkeypatch, capsys):
    monkeypatch.setenv("JWT_SECRET_KEY", "")
    reset_settings()
    try:
        exit_code = main(["token", "--identity", "ops"])
    finally:
        reset_settings()

    assert exit_code == 2
    assert "export JWT_SECRET_KEY" in capsys.readouterr().err
