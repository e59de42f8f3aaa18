"""The default provider: PINs are only recorded in access_codes, no lock is called.

The access_codes row written by the PIN actor is the record, so this provider's calls check
and return what the table holds."""

from __future__ import annotations

from datetime import datetime

from app.locks.base import LockProvider, ProviderCode
from models import AccessCode


class DatabaseLockProvider(LockProvider):
    def create_code(self, lock_id, reservation_reference, code, valid_from, valid_until) -> str:
        existing = (
            AccessCode.select(AccessCode.id)
            .where(
                (AccessCode.lock_id == lock_id)
                & (AccessCode.stays_reservation_id == reservation_reference)
                & (AccessCode.status == "active")
            )
            .first()
        )
        if existing is not None:
            return f"db:{existing.id}"
        return f"db:{lock_id}:{reservation_reference}"

    def update_window(
        self, lock_id: str, reference: str, valid_from: datetime, valid_until: datetime
    ) -> None:
        return None

    def delete_code(self, lock_id: str, reference: str) -> None:
        return None

    def list_codes(self, lock_id: str) -> list[ProviderCode]:
        rows = AccessCode.select().where(
            (AccessCode.lock_id == lock_id) & (AccessCode.status == "active")
        )
        return [
            ProviderCode(
                row.provider_ref or f"db:{row.id}",
                row.stays_reservation_id,
                row.valid_from,
                row.valid_until,
            )
            for row in rows
        ]
