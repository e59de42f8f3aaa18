"""Admin API of PIN jobs: the schedule of PIN generation and revocation, never the PINs."""

from __future__ import annotations

from flask import Blueprint, jsonify

from api.auth import admin_required
from api.params import datetime_param, int_param, statuses_param
from api.pin_job_queries import DEFAULT_STATUSES, list_pin_jobs, pin_job_json
from api.responses import InvalidParameterError
from models import PIN_JOB_STATUSES

blueprint = Blueprint("pin_jobs", __name__, url_prefix="/api/admin/pin-jobs")

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 500


@blueprint.get("")
@admin_required
def list_jobs():
    """List PIN jobs by run time: by default the scheduled, enqueued and failed ones.

    `status` takes a comma-separated list of statuses. `from` and `to` bound run_at, with
    `to` excluded, and take ISO 8601 values that default to UTC. `limit` and `offset` page
    through the result.
    """
    statuses = statuses_param("status", PIN_JOB_STATUSES, DEFAULT_STATUSES)
    start = datetime_param("from")
    end = datetime_param("to")
    if start is not None and end is not None and start > end:
        raise InvalidParameterError("to", end.isoformat(), "expected a time after `from`.")
    limit = int_param("limit", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE)
    offset = int_param("offset", 0, 0)

    jobs, total = list_pin_jobs(statuses, start, end, limit, offset)
    return jsonify(
        {
            "data": [pin_job_json(job) for job in jobs],
            "pagination": {"limit": limit, "offset": offset, "total": total},
        }
    )
