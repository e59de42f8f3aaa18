"""Admin API of reconciliation runs: status, history and manual triggers."""

from __future__ import annotations

import logging

import dramatiq
import redis
from flask import Blueprint, current_app, g, jsonify, request

from api import run_queries
from api.auth import admin_required
from api.params import int_param, statuses_param
from api.responses import iso_utc, json_error
from app import clock
from app.runs_report import send_trigger

logger = logging.getLogger(__name__)

blueprint = Blueprint("reconciliation", __name__, url_prefix="/api/admin/reconciliation")

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 200


@blueprint.get("/status")
@admin_required
def status():
    data = run_queries.status_json(
        current_app.config["RECONCILE_CRON"],
        current_app.config["RECONCILE_STALE_MINUTES"],
        clock.utc_now(),
    )
    return jsonify({"data": data})


@blueprint.get("/runs")
@admin_required
def runs():
    """List runs newest first; `before` is the id cursor that nextBefore returns."""
    limit = int_param("limit", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE)
    before = int_param("before", None, 1)
    statuses = statuses_param("status", run_queries.RUN_STATUSES, run_queries.RUN_STATUSES)
    trigger_key = request.args.get("triggerKey", "").strip() or None

    page = run_queries.list_runs(limit + 1, before, statuses, trigger_key)
    more = len(page) > limit
    page = page[:limit]
    return jsonify(
        {
            "data": [run_queries.history_json(run) for run in page],
            "pagination": {
                "limit": limit,
                "before": before,
                "nextBefore": page[-1].id if more else None,
            },
        }
    )


@blueprint.post("/run")
@admin_required
def trigger_run():
    """Queue a manual trigger: 202 with its key, or 409 while a run is active."""
    now = clock.utc_now()
    stale_minutes = current_app.config["RECONCILE_STALE_MINUTES"]
    active = run_queries.running_run()
    if active is not None and not run_queries.is_stale(active, stale_minutes, now):
        return json_error(
            409,
            "run_active",
            f"Run {active.id} has been running since {iso_utc(active.started_at)}; "
            "wait for it to finish before triggering another.",
            runId=active.id,
        )

    try:
        trigger_key = send_trigger()
    except (redis.RedisError, dramatiq.errors.DramatiqError) as error:
        logger.warning("Manual trigger by %r not queued: %s", g.identity, error)
        return json_error(
            503,
            "broker_unavailable",
            "The trigger could not be queued because the broker (Redis) is unreachable; "
            "check REDIS_URL and /healthz, then retry.",
        )

    logger.info("Manual trigger %s queued by %r.", trigger_key, g.identity)
    location = f"{blueprint.url_prefix}/runs?triggerKey={trigger_key}"
    body = {"data": {"triggerKey": trigger_key, "status": "queued", "queuedAt": iso_utc(now)}}
    return jsonify(body), 202, {"Location": location}
