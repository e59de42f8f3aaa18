"""PIN times for listings in several time zones, including the 2027 DST change days."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from app.pins.schedule import pin_window


def utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def window(zone, check_in, check_in_time, check_out, check_out_time, lead=120, after=1440):
    return pin_window(
        check_in, check_in_time, check_out, check_out_time, zone, None, None, lead, after
    )


@pytest.mark.parametrize(
    ("zone", "check_in", "check_out", "generate_at", "revoke_at"),
    [
        # Sao Paulo has had no DST since 2019: UTC-3 all year.
        (
            "America/Sao_Paulo",
            date(2027, 1, 10),
            date(2027, 1, 12),
            utc(2027, 1, 10, 16, 0),
            utc(2027, 1, 13, 14, 0),
        ),
        # Manaus: UTC-4 all year.
        (
            "America/Manaus",
            date(2027, 7, 1),
            date(2027, 7, 3),
            utc(2027, 7, 1, 17, 0),
            utc(2027, 7, 4, 15, 0),
        ),
        # Lisbon: WET (UTC+0) in winter, WEST (UTC+1) in summer.
        (
            "Europe/Lisbon",
            date(2027, 1, 5),
            date(2027, 1, 6),
            utc(2027, 1, 5, 13, 0),
            utc(2027, 1, 7, 11, 0),
        ),
        (
            "Europe/Lisbon",
            date(2027, 7, 5),
            date(2027, 7, 6),
            utc(2027, 7, 5, 12, 0),
            utc(2027, 7, 7, 10, 0),
        ),
        # New York: EST (UTC-5) in winter, EDT (UTC-4) in summer.
        (
            "America/New_York",
            date(2027, 1, 5),
            date(2027, 1, 6),
            utc(2027, 1, 5, 18, 0),
            utc(2027, 1, 7, 16, 0),
        ),
        (
            "America/New_York",
            date(2027, 7, 5),
            date(2027, 7, 6),
            utc(2027, 7, 5, 17, 0),
            utc(2027, 7, 7, 15, 0),
        ),
    ],
)
def test_window_in_each_zone(zone, check_in, check_out, generate_at, revoke_at):
    result = window(zone, check_in, "15:00", check_out, "11:00")

    assert result.generate_at == generate_at
    assert result.revoke_at == revoke_at


def test_stay_across_new_york_spring_change():
    # 2027-03-14 02:00 EST jumps to 03:00 EDT. Check-in before, check-out after.
    result = window("America/New_York", date(2027, 3, 13), "16:00", date(2027, 3, 15), "10:00")

    assert result.generate_at == utc(2027, 3, 13, 19, 0)  # 14:00 EST
    assert result.revoke_at == utc(2027, 3, 16, 14, 0)  # 10:00 EDT + 24 h


def test_check_in_inside_new_york_spring_gap():
    # 02:30 does not exist on 2027-03-14: the earlier reading (as EDT) is taken.
    result = window(
        "America/New_York", date(2027, 3, 14), "02:30", date(2027, 3, 16), "11:00", lead=0
    )

    assert result.generate_at == utc(2027, 3, 14, 6, 30)


def test_check_out_inside_new_york_spring_gap():
    # The later reading (as EST) is taken for check-out: 02:30 EST is 07:30 UTC.
    result = window(
        "America/New_York", date(2027, 3, 12), "15:00", date(2027, 3, 14), "02:30", after=0
    )

    assert result.revoke_at == utc(2027, 3, 14, 7, 30)


def test_check_in_in_new_york_autumn_overlap():
    # 2027-11-07 01:30 happens twice (EDT, then EST): check-in takes the first.
    result = window(
        "America/New_York", date(2027, 11, 7), "01:30", date(2027, 11, 8), "11:00", lead=0
    )

    assert result.generate_at == utc(2027, 11, 7, 5, 30)


def test_check_out_in_new_york_autumn_overlap():
    # Check-out takes the second 01:30 (EST), so the PIN is not revoked an hour early.
    result = window(
        "America/New_York", date(2027, 11, 5), "15:00", date(2027, 11, 7), "01:30", after=0
    )

    assert result.revoke_at == utc(2027, 11, 7, 6, 30)


def test_check_in_on_new_york_autumn_change_day():
    result = window("America/New_York", date(2027, 11, 7), "15:00", date(2027, 11, 9), "11:00")

    assert result.generate_at == utc(2027, 11, 7, 18, 0)  # 15:00 EST - 2 h


def test_check_in_inside_lisbon_spring_gap():
    # 2027-03-28 01:00 WET jumps to 02:00 WEST; 01:30 is read as 00:30 UTC.
    result = window("Europe/Lisbon", date(2027, 3, 28), "01:30", date(2027, 3, 30), "11:00", lead=0)

    assert result.generate_at == utc(2027, 3, 28, 0, 30)


def test_check_out_on_lisbon_spring_change_day():
    result = window("Europe/Lisbon", date(2027, 3, 25), "15:00", date(2027, 3, 28), "11:00")

    assert result.revoke_at == utc(2027, 3, 29, 10, 0)  # 11:00 WEST + 24 h


def test_check_in_in_lisbon_autumn_overlap():
    # 2027-10-31 01:30 happens at 00:30 UTC (WEST) and 01:30 UTC (WET).
    result = window(
        "Europe/Lisbon", date(2027, 10, 31), "01:30", date(2027, 11, 2), "11:00", lead=0
    )

    assert result.generate_at == utc(2027, 10, 31, 0, 30)


def test_check_out_in_lisbon_autumn_overlap():
    result = window(
        "Europe/Lisbon", date(2027, 10, 29), "15:00", date(2027, 10, 31), "01:30", after=0
    )

    assert result.revoke_at == utc(2027, 10, 31, 1, 30)


def test_missing_times_use_listing_defaults():
    result = pin_window(
        date(2027, 1, 10),
        None,
        date(2027, 1, 12),
        None,
        "America/Sao_Paulo",
        "16:00",
        "10:00",
        120,
        1440,
    )

    assert result.generate_at == utc(2027, 1, 10, 17, 0)
    assert result.revoke_at == utc(2027, 1, 13, 13, 0)


def test_missing_times_without_listing_defaults():
    result = pin_window(
        date(2027, 1, 10), None, date(2027, 1, 12), None, "America/Sao_Paulo", None, None, 120, 1440
    )

    assert result.generate_at == utc(2027, 1, 10, 16, 0)  # 15:00 local - 2 h
    assert result.revoke_at == utc(2027, 1, 13, 14, 0)  # 11:00 local + 24 h
