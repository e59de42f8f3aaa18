"""Everything the status page shows, read in one request so the page makes one round trip."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from api import run_queries
from api.auth import admin_required
from api.pin_job_queries import pin_job_overview
from api.responses import iso_utc
from app import clock

blueprint = Blueprint("dashboard", __name__, url_prefix="/api/admin/dashboard")

CHART_RUNS = 50
PIN_JOBS_SHOWN = 20


@blueprint.get("")
@admin_required
def dashboard():
    """Return the status data, the last 50 runs that were not skipped, the error rates over
    24 hours and 7 days, and the PIN job counts and lists."""
    now = clock.utc_now()
    status = run_queries.status_json(
        current_app.config["RECONCILE_CRON"],
        current_app.config["RECONCILE_STALE_MINUTES"],
        now,
    )
    runs = run_queries.list_runs(CHART_RUNS, None, ("running", *run_queries.FINISHED_STATUSES))
    return jsonify(
        {
            "data": {
                "status": status,
                "runs": [run_queries.history_json(run) for run in runs],
                "errorRates": run_queries.error_rates(now),
                "pinJobs": pin_job_overview(now, PIN_JOBS_SHOWN),
                "generatedAt": iso_utc(now),
            }
        }
    )
