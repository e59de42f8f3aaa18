"""Peewee models of the reconciler's tables; the schema itself lives in migrations/."""

from models.base import BaseModel, database_proxy
from models.listing import Listing
from models.pin import ACTIVE_JOB_STATUSES, PIN_JOB_STATUSES, AccessCode, PinJob
from models.reconciliation import (
    STAT_FIELDS,
    ReconciliationItem,
    ReconciliationLog,
    ReconciliationPage,
)
from models.reservation import Reservation

__all__ = [
    "ACTIVE_JOB_STATUSES",
    "PIN_JOB_STATUSES",
    "AccessCode",
    "PinJob",
    "STAT_FIELDS",
    "BaseModel",
    "Listing",
    "ReconciliationItem",
    "ReconciliationLog",
    "ReconciliationPage",
    "Reservation",
    "database_proxy",
]
