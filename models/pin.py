import peewee

from models.base import BaseModel

PIN_JOB_STATUSES = ("scheduled", "enqueued", "done", "cancelled", "failed")
ACTIVE_JOB_STATUSES = ("scheduled", "enqueued")


class PinJob(BaseModel):
    """A scheduled generate or revoke of one stay's PIN; the broker only carries its id."""

    id = peewee.TextField(primary_key=True)
    stays_reservation_id = peewee.TextField()
    kind = peewee.TextField()  # generate | revoke
    run_at = peewee.DateTimeField()  # UTC
    status = peewee.TextField(default="scheduled")
    version = peewee.IntegerField(default=1)
    attempts = peewee.IntegerField(default=0)
    last_error = peewee.TextField(null=True)
    enqueued_at = peewee.DateTimeField(null=True)
    completed_at = peewee.DateTimeField(null=True)
    created_at = peewee.DateTimeField(constraints=[peewee.SQL("DEFAULT now()")])
    updated_at = peewee.DateTimeField(constraints=[peewee.SQL("DEFAULT now()")])

    class Meta:
        table_name = "pin_jobs"


class AccessCode(BaseModel):
    """A PIN on a lock. The code column is secret: never log it or return it from the API."""

    stays_reservation_id = peewee.TextField()
    lock_id = peewee.TextField()
    code = peewee.TextField()
    status = peewee.TextField(default="active")  # active | revoked
    valid_from = peewee.DateTimeField()
    valid_until = peewee.DateTimeField()
    provider_ref = peewee.TextField(null=True)
    created_at = peewee.DateTimeField(constraints=[peewee.SQL("DEFAULT now()")])
    updated_at = peewee.DateTimeField(constraints=[peewee.SQL("DEFAULT now()")])
    revoked_at = peewee.DateTimeField(null=True)

    class Meta:
        table_name = "access_codes"

    def __repr__(self) -> str:
        return f"<AccessCode {self.id} lock={self.lock_id} status={self.status}>"
