from datetime import UTC, date, datetime, timedelta

from app.reconciliation.runs import fail_run, mark_stale_runs, start_run, window_for
from app.stays.client import Window
from models import ReconciliationLog

NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
WINDOW = Window(date(2027, 2, 22), date(2028, 3, 1))
STALE_MINUTES = 60


def test_window_spans_lookback_and_horizon():
    window = window_for(date(2027, 3, 1), 7, 365)

    assert window.start == date(2027, 2, 22)
    assert window.end == date(2028, 2, 29)


def test_start_inserts_one_running_row(db):
    started = start_run("manual:1", WINDOW, STALE_MINUTES, NOW)

    runs = list(ReconciliationLog.select())
    assert started.resumed is False
    assert started.skipped_reason is None
    assert len(runs) == 1
    assert runs[0].id == started.run_id
    assert runs[0].status == "running"
    assert runs[0].trigger_key == "manual:1"
    assert runs[0].window_from == WINDOW.start
    assert runs[0].window_to == WINDOW.end
    assert runs[0].started_at == NOW
    assert runs[0].completed_at is None


def test_start_records_last_success(db):
    first = start_run("manual:1", WINDOW, STALE_MINUTES, NOW)
    ReconciliationLog.update(status="success").where(ReconciliationLog.id == first.run_id).execute()

    second = start_run("manual:2", WINDOW, STALE_MINUTES, NOW + timedelta(minutes=30))

    assert ReconciliationLog.get_by_id(first.run_id).last_run_at is None
    assert ReconciliationLog.get_by_id(second.run_id).last_run_at == NOW


def test_second_start_is_skipped(db):
    running = start_run("manual:1", WINDOW, STALE_MINUTES, NOW)

    skipped = start_run("manual:2", WINDOW, STALE_MINUTES, NOW + timedelta(minutes=5))

    row = ReconciliationLog.get(ReconciliationLog.trigger_key == "manual:2")
    assert skipped.run_id is None
    assert skipped.resumed is False
    assert skipped.skipped_reason == f"Run {running.run_id} is still running."
    assert row.status == "skipped"
    assert row.message == skipped.skipped_reason
    assert row.duration == 0
    assert row.completed_at == NOW + timedelta(minutes=5)
    assert ReconciliationLog.get_by_id(running.run_id).status == "running"


def test_repeated_skips_are_each_recorded(db):
    start_run("manual:1", WINDOW, STALE_MINUTES, NOW)

    start_run("manual:2", WINDOW, STALE_MINUTES, NOW)
    start_run("manual:2", WINDOW, STALE_MINUTES, NOW)

    statuses = [run.status for run in ReconciliationLog.select().order_by(ReconciliationLog.id)]
    assert statuses == ["running", "skipped", "skipped"]


def test_same_trigger_resumes_running_run(db):
    running = start_run("schedule:2027-03-01T12:00Z", WINDOW, STALE_MINUTES, NOW)

    again = start_run("schedule:2027-03-01T12:00Z", WINDOW, STALE_MINUTES, NOW)

    assert again.run_id == running.run_id
    assert again.resumed is True
    assert again.skipped_reason is None
    assert ReconciliationLog.select().count() == 1


def test_same_trigger_after_end_is_skipped(db):
    first = start_run("schedule:2027-03-01T12:00Z", WINDOW, STALE_MINUTES, NOW)
    ReconciliationLog.update(status="success").where(ReconciliationLog.id == first.run_id).execute()

    again = start_run("schedule:2027-03-01T12:00Z", WINDOW, STALE_MINUTES, NOW)

    assert again.run_id is None
    assert again.skipped_reason == (
        f"Trigger schedule:2027-03-01T12:00Z already started run {first.run_id}."
    )
    assert ReconciliationLog.select().where(ReconciliationLog.status == "running").count() == 0


def test_stale_run_is_failed(db):
    stale = start_run("manual:1", WINDOW, STALE_MINUTES, NOW)
    later = NOW + timedelta(minutes=STALE_MINUTES, seconds=1)

    fresh = start_run("manual:2", WINDOW, STALE_MINUTES, later)

    old = ReconciliationLog.get_by_id(stale.run_id)
    assert fresh.run_id is not None
    assert fresh.run_id != stale.run_id
    assert old.status == "failed"
    assert "stale" in old.message
    assert old.completed_at == later
    assert old.errors == 1
    assert old.duration == (STALE_MINUTES * 60 + 1) * 1000
    assert ReconciliationLog.get_by_id(fresh.run_id).status == "running"


def test_run_at_stale_limit_keeps_running(db):
    running = start_run("manual:1", WINDOW, STALE_MINUTES, NOW)

    marked = mark_stale_runs(STALE_MINUTES, NOW + timedelta(minutes=STALE_MINUTES))

    assert marked == 0
    assert ReconciliationLog.get_by_id(running.run_id).status == "running"


def test_fail_run_marks_failed(db):
    running = start_run("manual:1", WINDOW, STALE_MINUTES, NOW)

    failed = fail_run(running.run_id, "Stays answered 401.", NOW + timedelta(seconds=90))

    run = ReconciliationLog.get_by_id(running.run_id)
    assert failed is True
    assert run.status == "failed"
    assert run.errors == 1
    assert run.message == "Stays answered 401."
    assert run.completed_at == NOW + timedelta(seconds=90)
    assert run.duration == 90_000


def test_fail_run_ignores_ended_run(db):
    running = start_run("manual:1", WINDOW, STALE_MINUTES, NOW)
    ReconciliationLog.update(status="success", message="Done.").where(
        ReconciliationLog.id == running.run_id
    ).execute()

    failed = fail_run(running.run_id, "Too late.", NOW + timedelta(minutes=1))

    run = ReconciliationLog.get_by_id(running.run_id)
    assert failed is False
    assert run.status == "success"
    assert run.errors == 0
    assert run.message == "Done."
    assert run.completed_at is None


def test_fail_run_ignores_missing_run(db):
    assert fail_run(12345, "No such run.", NOW) is False


def test_failed_run_frees_the_slot(db):
    first = start_run("manual:1", WINDOW, STALE_MINUTES, NOW)
    fail_run(first.run_id, "Stays answered 401.", NOW)

    second = start_run("manual:2", WINDOW, STALE_MINUTES, NOW)

    assert second.run_id is not None
    assert second.run_id != first.run_id
