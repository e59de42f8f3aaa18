"""Plain-words descriptions of RECONCILE_CRON and its next tick."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from api.schedule import describe_cron, next_run


@pytest.mark.parametrize(
    ("expression", "english", "portuguese"),
    [
        ("*/30 * * * *", "every 30 minutes", "a cada 30 minutos"),
        ("*/15 * * * *", "every 15 minutes", "a cada 15 minutos"),
        ("* * * * *", "every minute", "a cada minuto"),
        ("*/1 * * * *", "every minute", "a cada minuto"),
        ("5 * * * *", "hourly at :05", "de hora em hora, no minuto :05"),
        ("0,30 * * * *", "hourly at :00 and :30", "de hora em hora, no minuto :00 e :30"),
        (
            "45,0,15 * * * *",
            "hourly at :00, :15 and :45",
            "de hora em hora, no minuto :00, :15 e :45",
        ),
        ("30 2 * * *", "daily at 02:30 UTC", "diariamente às 02:30 UTC"),
        ("0 6,18 * * *", "daily at 06:00 and 18:00 UTC", "diariamente às 06:00 e 18:00 UTC"),
        ("0 */6 * * *", "every 6 hours at :00 (UTC)", "a cada 6 horas, no minuto :00 (UTC)"),
        ("*/7 * * * *", "cron: */7 * * * *", "cron: */7 * * * *"),
        ("0 9 * * 1-5", "cron: 0 9 * * 1-5", "cron: 0 9 * * 1-5"),
        ("0-10 * * * *", "cron: 0-10 * * * *", "cron: 0-10 * * * *"),
        ("0 */5 * * *", "cron: 0 */5 * * *", "cron: 0 */5 * * *"),
        ("0 9 1 * *", "cron: 0 9 1 * *", "cron: 0 9 1 * *"),
    ],
)
def test_describe_cron(expression, english, portuguese):
    assert describe_cron(expression, "en") == english
    assert describe_cron(expression, "pt-BR") == portuguese


def test_describe_cron_defaults_to_english():
    assert describe_cron("*/30 * * * *") == "every 30 minutes"


def test_next_run_is_strictly_after_now():
    on_a_tick = datetime(2025, 1, 1, 12, 30, tzinfo=UTC)

    assert next_run("*/30 * * * *", on_a_tick) == datetime(2025, 1, 1, 13, 0, tzinfo=UTC)


def test_next_run_crosses_midnight_in_utc():
    late = datetime(2025, 1, 31, 23, 50, tzinfo=UTC)

    assert next_run("15 3 * * *", late) == datetime(2025, 2, 1, 3, 15, tzinfo=UTC)
