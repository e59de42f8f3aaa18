"""HTTP client of the Stays external API: Basic auth, timeouts, retries and paging."""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime

import requests
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_random_exponential,
)

from app.errors import (
    ConfigurationError,
    StaysAuthenticationError,
    StaysRequestError,
    StaysResponseError,
    StaysUnavailableError,
)

logger = logging.getLogger(__name__)

PAGE_LIMIT = 100
RESERVATION_TYPES = ("reserved", "booked", "contract", "blocked", "maintenance", "canceled")
RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})
MAX_RETRY_AFTER_SECONDS = 120.0
# Failures of the connection, retried like a 5xx. ChunkedEncodingError is a body cut off
# before its Content-Length because the server or a proxy closed the connection.
TRANSPORT_ERRORS = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
)


class _RetryableResponse(Exception):
    """A 429 or 5xx response, with its Retry-After delay in seconds, if any."""

    def __init__(self, status: int, path: str, retry_after: float | None):
        super().__init__(f"Stays answered {status} to {path}")
        self.status = status
        self.retry_after = retry_after


def _parse_retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            # parsedate_to_datetime returns a naive datetime for a "-0000" offset, meaning UTC.
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    return max(0.0, min(seconds, MAX_RETRY_AFTER_SECONDS))


class _RetryAfterOrBackoff:
    """Wait the Retry-After delay the server sent, else exponential backoff with full jitter."""

    def __init__(self, base_seconds: float, max_seconds: float = 30.0):
        self.backoff = wait_random_exponential(multiplier=base_seconds, max=max_seconds)

    def __call__(self, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, _RetryableResponse) and error.retry_after is not None:
            return error.retry_after
        return self.backoff(state)


def _log_retry(state: RetryCallState) -> None:
    error = state.outcome.exception() if state.outcome else None
    logger.warning(
        "Stays call failed (attempt %d): %s; retrying in %.1f s.",
        state.attempt_number,
        error,
        state.next_action.sleep if state.next_action else 0,
    )


@dataclass(frozen=True)
class Window:
    """An inclusive range of stay dates, as Stays' from/to parameters take it."""

    start: date
    end: date


class StaysClient:
    def __init__(
        self,
        base_url: str,
        client_id: str,
        client_secret: str,
        connect_timeout_seconds: float = 5,
        read_timeout_seconds: float = 30,
        max_attempts: int = 5,
        backoff_base_seconds: float = 0.5,
    ):
        if not client_id or not client_secret:
            raise ConfigurationError(
                "STAYS_CLIENT_ID and STAYS_CLIENT_SECRET must be set to the account's Stays API "
                "credentials (for the local sandbox: sandbox / sandbox)."
            )
        self.base_url = base_url.rstrip("/")
        self.timeout = (connect_timeout_seconds, read_timeout_seconds)
        self.session = requests.Session()
        self.session.auth = (client_id, client_secret)
        self.session.headers["Accept"] = "application/json"
        self._retrying = Retrying(
            retry=retry_if_exception_type((_RetryableResponse, *TRANSPORT_ERRORS)),
            stop=stop_after_attempt(max_attempts),
            wait=_RetryAfterOrBackoff(backoff_base_seconds),
            before_sleep=_log_retry,
            reraise=True,
        )

    @classmethod
    def from_settings(cls, settings) -> StaysClient:
        return cls(
            settings.STAYS_API_URL,
            settings.STAYS_CLIENT_ID,
            settings.STAYS_CLIENT_SECRET,
            connect_timeout_seconds=settings.STAYS_CONNECT_TIMEOUT_SECONDS,
            read_timeout_seconds=settings.STAYS_READ_TIMEOUT_SECONDS,
            max_attempts=settings.STAYS_MAX_ATTEMPTS,
        )

    def get_json(self, path: str, params: dict | list | None = None, allow_404: bool = False):
        """GET base_url + path and decode its JSON, retrying what a retry can fix.

        Returns None for a 404 when allow_404 is set. Raises StaysUnavailableError once the
        attempts are spent, StaysAuthenticationError on 401 and StaysResponseError on a body
        that is not JSON."""
        try:
            return self._retrying(self._get_once, path, params, allow_404)
        except _RetryableResponse as error:
            raise StaysUnavailableError(f"{error} after every retry.") from None
        except TRANSPORT_ERRORS as error:
            raise StaysUnavailableError(
                f"Stays at {self.base_url} did not respond to {path}: {type(error).__name__}."
            ) from None

    def _get_once(self, path: str, params, allow_404: bool):
        response = self.session.get(
            self.base_url + path, params=params, timeout=self.timeout, stream=True
        )
        _read_body(response, self.timeout[1], path)
        status = response.status_code
        if status in RETRYABLE_STATUS:
            retry_after = _parse_retry_after(response.headers.get("Retry-After"))
            raise _RetryableResponse(status, path, retry_after)
        if status == 401:
            raise StaysAuthenticationError(
                f"Stays rejected the credentials (401) for {self.base_url}. Check "
                "STAYS_CLIENT_ID and STAYS_CLIENT_SECRET."
            )
        if status == 404 and allow_404:
            return None
        if status >= 400:
            raise StaysRequestError(
                f"Stays returned {status} for {path}: {_error_message(response)}"
            )
        try:
            return response.json()
        except ValueError:
            raise StaysResponseError(
                f"Stays returned a body that is not JSON for {path} "
                f"(Content-Type {response.headers.get('Content-Type')!r}, "
                f"{len(response.content)} bytes, starting {response.text[:60]!r})."
            ) from None

    def list_reservations_page(self, window: Window, skip: int, limit: int = PAGE_LIMIT) -> list:
        """Return one page of every reservation type whose stay overlaps the window."""
        params = [
            ("from", window.start.isoformat()),
            ("to", window.end.isoformat()),
            ("dateType", "included"),
            *(("type", kind) for kind in RESERVATION_TYPES),
            ("skip", skip),
            ("limit", limit),
        ]
        page = self.get_json("/booking/reservations", params)
        if not isinstance(page, list):
            raise StaysResponseError(
                f"Stays returned a {type(page).__name__} for /booking/reservations, "
                "not the documented JSON array."
            )
        return page

    def iter_reservations(self, window: Window, limit: int = PAGE_LIMIT) -> Iterator[dict]:
        """Page through the window, de-duplicating by _id; stops on a short page."""
        seen: set[str] = set()
        skip = 0
        while True:
            page = self.list_reservations_page(window, skip, limit)
            for record in page:
                key = record.get("_id") if isinstance(record, dict) else None
                if not isinstance(key, str):
                    # parse_reservation rejects the record. An _id such as a list is unhashable.
                    yield record
                    continue
                if key in seen:
                    continue
                seen.add(key)
                yield record
            skip += len(page)
            if len(page) < limit:
                return

    def get_reservation(self, stays_id: str) -> dict | None:
        """Return the detail view of a reservation, or None when Stays returns 404."""
        return self.get_json(f"/booking/reservations/{stays_id}", allow_404=True)

    def list_listings(self) -> list[dict]:
        listings: list[dict] = []
        while True:
            page = self.get_json("/content/listings", {"skip": len(listings), "limit": PAGE_LIMIT})
            if not isinstance(page, list):
                raise StaysResponseError("Stays returned no JSON array for /content/listings.")
            listings.extend(page)
            if len(page) < PAGE_LIMIT:
                return listings

    def get_listing_booking_settings(self, stays_listing_id: str) -> dict | None:
        path = f"/settings/listing/{stays_listing_id}/booking"
        settings = self.get_json(path, allow_404=True)
        if settings is not None and not isinstance(settings, dict):
            raise StaysResponseError(
                f"Stays returned a {type(settings).__name__} for {path}, "
                "not the documented JSON object."
            )
        return settings


def _read_body(response: requests.Response, deadline_seconds: float, path: str) -> None:
    """Read the whole body within deadline_seconds, else raise requests.Timeout.

    The read timeout bounds each socket read only, so a server trickling a byte at a time
    could otherwise hold a worker thread for ever. A timer shuts the socket down at the
    deadline, which ends the blocked read."""
    expired = threading.Event()

    def shut_down() -> None:
        expired.set()
        connection = getattr(response.raw, "connection", None)
        sock = getattr(connection, "sock", None)
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                logger.debug("The socket for %s was already closed.", path)

    timer = threading.Timer(deadline_seconds, shut_down)
    timer.start()
    try:
        response.content  # noqa: B018 - reads and keeps the body
    except requests.RequestException:
        if not expired.is_set():
            raise
    finally:
        timer.cancel()
    if expired.is_set():
        raise requests.Timeout(
            f"Stays took more than {deadline_seconds:g} s to send the body of {path}."
        )


def _error_message(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return f"non-JSON body starting {response.text[:60]!r}"
    if isinstance(body, dict) and "message" in body:
        return str(body["message"])
    return str(body)[:200]
