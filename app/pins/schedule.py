"""PIN times: local check-in and check-out in the listing's time zone, stored in UTC.

A local time can be missing on a daylight-saving change day (the clock jumps over it) or
happen twice (the clock falls back). Both are resolved in the guest's favour: check-in takes
the earlier of the candidate instants and check-out the later, so the PIN is never created
late nor revoked early. For a time the clock jumps over, the candidates are the wall time
read with the offsets before and after the change, one hour apart (for 02:30 in New York on
2027-03-14: 06:30 and 07:30 UTC).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

FALLBACK_CHECK_IN_TIME = time(15, 0)
FALLBACK_CHECK_OUT_TIME = time(11, 0)


@dataclass(frozen=True)
class PinWindow:
    generate_at: datetime  # UTC
    revoke_at: datetime  # UTC


def parse_time_of_day(text: str | None) -> time | None:
    if not text:
        return None
    hours, _, minutes = text.partition(":")
    return time(int(hours), int(minutes))


def local_to_utc(day: date, wall: time, zone: ZoneInfo, prefer_later: bool) -> datetime:
    """Return the UTC instant of a local wall time, resolving DST gaps and overlaps."""
    candidates = {
        datetime.combine(day, wall, tzinfo=zone).replace(fold=fold).astimezone(UTC)
        for fold in (0, 1)
    }
    return max(candidates) if prefer_later else min(candidates)


def pin_window(
    check_in_date: date,
    check_in_time: str | None,
    check_out_date: date,
    check_out_time: str | None,
    timezone_name: str,
    listing_check_in_time: str | None,
    listing_check_out_time: str | None,
    lead_minutes: int,
    revoke_after_minutes: int,
) -> PinWindow:
    """Compute when a stay's PIN is created and revoked.

    A time Stays omits comes from the listing's booking settings, and failing those from
    15:00 and 11:00."""
    zone = ZoneInfo(timezone_name)
    arrival = (
        parse_time_of_day(check_in_time)
        or parse_time_of_day(listing_check_in_time)
        or FALLBACK_CHECK_IN_TIME
    )
    departure = (
        parse_time_of_day(check_out_time)
        or parse_time_of_day(listing_check_out_time)
        or FALLBACK_CHECK_OUT_TIME
    )
    check_in = local_to_utc(check_in_date, arrival, zone, prefer_later=False)
    check_out = local_to_utc(check_out_date, departure, zone, prefer_later=True)
    return PinWindow(
        generate_at=check_in - timedelta(minutes=lead_minutes),
        revoke_at=check_out + timedelta(minutes=revoke_after_minutes),
    )
