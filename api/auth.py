"""JWT bearer authentication of the admin API and its admin role check.

flask-jwt-extended verifies the token (HS256 only, from the Authorization header). Its
default 422 responses to malformed tokens become 401 here, so every authentication failure
is a JSON 401 and only a valid token without the admin role gets 403.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable

from flask import Flask, g
from flask_jwt_extended import JWTManager, get_jwt, verify_jwt_in_request

from api.responses import json_error

logger = logging.getLogger(__name__)

ADMIN_ROLE = "admin"
BEARER_USAGE = "Send `Authorization: Bearer <token>`; mint one with `stays-reconciler token`."


def configure_jwt(app: Flask) -> JWTManager:
    """Set flask-jwt-extended's options and route its failures to JSON 401 responses."""
    app.config.update(
        JWT_ALGORITHM="HS256",
        JWT_DECODE_ALGORITHMS=["HS256"],
        JWT_TOKEN_LOCATION=["headers"],
        JWT_HEADER_NAME="Authorization",
        JWT_HEADER_TYPE="Bearer",
        # Tokens from other JWT libraries may carry a numeric sub, which PyJWT (2.15 here)
        # rejects by default. The identity is only logged, so any JSON value is accepted.
        JWT_VERIFY_SUB=False,
    )
    manager = JWTManager(app)
    manager.unauthorized_loader(_missing_token)
    manager.invalid_token_loader(_invalid_token)
    manager.expired_token_loader(_expired_token)
    return manager


def _unauthorized(code: str, message: str):
    response, status = json_error(401, code, f"{message} {BEARER_USAGE}")
    response.headers["WWW-Authenticate"] = f'Bearer error="{code}"'
    return response, status


def _missing_token(reason: str):
    return _unauthorized("missing_token", f"No usable bearer token: {reason}.")


def _invalid_token(reason: str):
    return _unauthorized("invalid_token", f"The token is invalid: {reason}.")


def _expired_token(_header: dict, _claims: dict):
    return _unauthorized("token_expired", "The token has expired.")


def has_admin_role(claims: dict) -> bool:
    """Tell whether the claims grant the admin role: role "admin", or "admin" in roles."""
    if claims.get("role") == ADMIN_ROLE:
        return True
    roles = claims.get("roles")
    return isinstance(roles, list) and ADMIN_ROLE in roles


def admin_required(view: Callable) -> Callable:
    """Decorate a view so that it runs only for a valid access token with the admin role.

    The caller's identity is stored in flask.g.identity as text for log lines.
    """

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        verify_jwt_in_request()
        claims = get_jwt()
        # flask-jwt-extended rejects refresh tokens here and reads a token without a type
        # claim as an access token, but lets other types (id, ...) through.
        if claims.get("type") != "access":
            return _invalid_token(f"expected an access token, got type {claims.get('type')!r}")
        g.identity = str(claims.get("sub"))
        if not has_admin_role(claims):
            logger.info("Token of %r lacks the admin role; responded 403.", g.identity)
            return json_error(
                403,
                "forbidden",
                "The token is valid but lacks the admin role. Mint one with "
                "`stays-reconciler token --role admin`.",
            )
        return view(*args, **kwargs)

    return wrapper
