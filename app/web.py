"""The web process: create_app() builds the Flask app that gunicorn serves (see Procfile)."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping

from flask import Flask

from app.config import get_settings
from app.db import init_database
from app.errors import ConfigurationError

logger = logging.getLogger(__name__)

# RFC 7518 section 3.2 requires an HS256 key of at least 256 bits. PyJWT accepts shorter
# keys with a warning, so a short key is logged, not rejected.
RECOMMENDED_SECRET_LENGTH = 32

UNSET_SIGNING_KEY_MESSAGE = (
    "JWT_SECRET_KEY is not set, so the admin API cannot verify tokens and the web process "
    "will not start. Set it to a long random value shared with whoever mints tokens, for "
    "example `export JWT_SECRET_KEY=$(python3 -c 'import secrets; "
    "print(secrets.token_urlsafe(48))')`, then mint a token with "
    "`stays-reconciler token --identity YOUR_NAME --role admin`."
)


def create_app(test_config: Mapping | None = None) -> Flask:
    """Build the app: admin API, status page and /healthz, configured from the environment.

    test_config overrides any configuration key (DATABASE_URL, REDIS_URL, JWT_SECRET_KEY,
    RECONCILE_CRON, RECONCILE_STALE_MINUTES, TESTING). Without JWT_SECRET_KEY the app raises
    ConfigurationError, except with TESTING, where a random key is used.
    """
    from api import BLUEPRINTS
    from api.auth import configure_jwt
    from api.responses import register_api_headers, register_error_handlers

    settings = get_settings()
    app = Flask(__name__)
    app.config.from_mapping(
        DATABASE_URL=settings.DATABASE_URL,
        REDIS_URL=settings.REDIS_URL,
        JWT_SECRET_KEY=settings.JWT_SECRET_KEY,
        RECONCILE_CRON=settings.RECONCILE_CRON,
        RECONCILE_STALE_MINUTES=settings.RECONCILE_STALE_MINUTES,
    )
    if test_config is not None:
        app.config.update(test_config)
    app.json.sort_keys = False
    _check_secret(app)

    # Importing actors declares them on the Redis broker of REDIS_URL without connecting,
    # so POST /api/admin/reconciliation/run can send "reconcile" (tests swap the broker).
    import actors  # noqa: F401

    # NOTE: each request thread keeps its own connection open between requests (peewee's
    # default), which saves a connect per request under gunicorn's fixed thread pool.
    # A thread that ends closes its connection; a dropped one reconnects on the next query.
    init_database(app.config["DATABASE_URL"])

    configure_jwt(app)
    register_error_handlers(app)
    register_api_headers(app)
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    return app


def _check_secret(app: Flask) -> None:
    secret = app.config.get("JWT_SECRET_KEY") or ""
    if not secret and app.config.get("TESTING"):
        app.config["JWT_SECRET_KEY"] = secrets.token_urlsafe(48)
        return
    if not secret:
        raise ConfigurationError(UNSET_SIGNING_KEY_MESSAGE)
    if len(secret.encode()) < RECOMMENDED_SECRET_LENGTH:
        logger.warning(
            "JWT_SECRET_KEY is %d bytes long; use at least %d random bytes.",
            len(secret.encode()),
            RECOMMENDED_SECRET_LENGTH,
        )
