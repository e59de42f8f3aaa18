"""Peewee models of the reconciler's tables; the schema itself lives in migrations/."""

from models.base import BaseModel, database_proxy
from models.listing import Listing
from models.reconciliation import (
    STAT_FIELDS,
    ReconciliationItem,
    ReconciliationLog,
    ReconciliationPage,
)
from models.reservation import Reservation

__all__ = [
    "STAT_FIELDS",
    "BaseModel",
    "Listing",
    "ReconciliationItem",
    "ReconciliationLog",
    "ReconciliationPage",
    "Reservation",
    "database_proxy",
]
