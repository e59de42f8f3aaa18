"""The interface a smart-lock integration implements."""

from __future__ import annotations

import abc
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class ProviderCode:
    """A code as the lock reports it; the digits are never part of it."""

    reference: str
    reservation_reference: str
    valid_from: datetime
    valid_until: datetime


class LockProvider(abc.ABC):
    """Creates, moves and deletes PINs on locks.

    Calls may be retried after a timeout whose first attempt succeeded, so create_code must
    first look for a code already made for the reservation and return it instead of adding a
    second one."""

    @abc.abstractmethod
    def create_code(
        self,
        lock_id: str,
        reservation_reference: str,
        code: str,
        valid_from: datetime,
        valid_until: datetime,
    ) -> str:
        """Put the code on the lock for the window; return the provider's reference."""

    @abc.abstractmethod
    def update_window(
        self, lock_id: str, reference: str, valid_from: datetime, valid_until: datetime
    ) -> None:
        """Change when an existing code is valid, keeping its digits."""

    @abc.abstractmethod
    def delete_code(self, lock_id: str, reference: str) -> None:
        """Remove the code from the lock; deleting a code that is gone is not an error."""

    @abc.abstractmethod
    def list_codes(self, lock_id: str) -> list[ProviderCode]:
        """Return the codes the lock holds."""
