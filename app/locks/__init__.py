"""Lock providers: where a PIN is sent. LOCK_PROVIDER picks one by name."""

from __future__ import annotations

from app.locks.base import LockProvider, ProviderCode
from app.locks.database import DatabaseLockProvider

PROVIDERS: dict[str, type[LockProvider]] = {"database": DatabaseLockProvider}


def get_provider(name: str) -> LockProvider:
    return PROVIDERS[name]()


__all__ = ["LockProvider", "ProviderCode", "get_provider"]
