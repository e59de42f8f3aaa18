"""Admin API tokens: HS256 JWTs that the web process verifies with JWT_SECRET_KEY."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import jwt

from app.errors import ReconcilerError

ALGORITHM = "HS256"

_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_DURATION_PART = re.compile(r"(\d+)([smhd])")
_DURATION = re.compile(r"(?:\d+[smhd])+")


class InvalidDurationError(ValueError, ReconcilerError):
    """A token lifetime such as '1h' could not be parsed.

    It is a ValueError for callers of parse_duration and a ReconcilerError so that the
    command line prints the message instead of a traceback."""


def parse_duration(text: str) -> timedelta:
    """Parse a lifetime such as 30s, 15m, 1h, 7d or 1h30m into a timedelta.

    Raises InvalidDurationError (a ValueError) for anything else, and for a zero lifetime.
    """
    compact = text.strip().lower().replace(" ", "")
    if not _DURATION.fullmatch(compact):
        raise InvalidDurationError(
            f"Invalid duration {text!r}: use a whole number followed by s, m, h or d, "
            "such as 30s, 15m, 1h or 7d."
        )

    seconds = sum(
        int(number) * _UNIT_SECONDS[unit] for number, unit in _DURATION_PART.findall(compact)
    )
    if seconds == 0:
        raise InvalidDurationError(
            f"Invalid duration {text!r}: a token must live at least one second."
        )
    return timedelta(seconds=seconds)


def mint_token(
    identity: str,
    role: str,
    expires_in: timedelta,
    secret: str,
    now: datetime | None = None,
) -> str:
    """Sign an access token for identity with the given role claim.

    The claims are those flask-jwt-extended writes (sub, iat, nbf, exp, jti, type, fresh),
    so the admin API treats the token like one it issued itself.
    """
    if not secret:
        raise ValueError("The signing secret is empty; set JWT_SECRET_KEY.")
    if not identity:
        raise ValueError("The identity is empty; pass the operator's name or e-mail.")

    issued_at = now or datetime.now(UTC)
    claims = {
        "sub": str(identity),
        "role": role,
        "iat": issued_at,
        "nbf": issued_at,
        "exp": issued_at + expires_in,
        "jti": str(uuid.uuid4()),
        "type": "access",
        "fresh": False,
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)
