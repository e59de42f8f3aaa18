"""Exceptions raised by stays-reconciler; every message names the bad value and the fix."""


class ReconcilerError(Exception):
    """Base class of the project's own errors."""


class ConfigurationError(ReconcilerError):
    """An environment variable or configuration file is missing or invalid."""


class StaysError(ReconcilerError):
    """A call to the Stays API failed."""


class StaysUnavailableError(StaysError):
    """Stays returned no usable response after the retries (timeouts, 5xx, 429)."""


class StaysAuthenticationError(StaysError):
    """Stays rejected the credentials; retrying cannot help."""


class StaysResponseError(StaysError):
    """Stays returned a body that is not the JSON the API documents."""


class StaysRequestError(StaysError):
    """Stays rejected the request with a 4xx other than 401, 404 and 429."""


class MalformedReservationError(ReconcilerError):
    """A reservation record from Stays fails validation."""

    def __init__(self, stays_id: str, reason: str):
        super().__init__(f"Reservation {stays_id} is malformed: {reason}")
        self.stays_id = stays_id
        self.reason = reason
