import peewee

from models.base import BaseModel

STAT_FIELDS = ("fetched", "created", "updated", "unchanged", "orphaned", "deleted", "errors")


class ReconciliationLog(BaseModel):
    """One reconciliation run; the camelCase columns are the audit log's public names."""

    last_run_at = peewee.DateTimeField(column_name="lastRunAt", null=True)
    started_at = peewee.DateTimeField(column_name="startedAt")
    completed_at = peewee.DateTimeField(column_name="completedAt", null=True)
    duration = peewee.IntegerField(null=True)  # milliseconds
    fetched = peewee.IntegerField(default=0)
    created = peewee.IntegerField(default=0)
    updated = peewee.IntegerField(default=0)
    unchanged = peewee.IntegerField(default=0)
    orphaned = peewee.IntegerField(default=0)
    deleted = peewee.IntegerField(default=0)
    errors = peewee.IntegerField(default=0)
    status = peewee.TextField()
    message = peewee.TextField(null=True)
    created_at = peewee.DateTimeField(column_name="createdAt")
    window_from = peewee.DateField(null=True)
    window_to = peewee.DateField(null=True)
    trigger_key = peewee.TextField(null=True)
    trigger_message_id = peewee.TextField(null=True)  # distinguishes a redelivery from a duplicate
    paging_completed_at = peewee.DateTimeField(null=True)
    page_count = peewee.IntegerField(null=True)  # known once the last page is fetched
    pins_scheduled = peewee.IntegerField(default=0)
    pins_moved = peewee.IntegerField(default=0)
    pins_cancelled = peewee.IntegerField(default=0)

    class Meta:
        table_name = "reconciliation_logs"

    def stats(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in STAT_FIELDS}


class ReconciliationItem(BaseModel):
    run = peewee.ForeignKeyField(ReconciliationLog, column_name="run_id", backref="items")
    stays_reservation_id = peewee.TextField()
    outcome = peewee.TextField(null=True)
    reason = peewee.TextField(null=True)
    source = peewee.TextField(default="list")

    class Meta:
        table_name = "reconciliation_items"
        primary_key = peewee.CompositeKey("run", "stays_reservation_id")


class ReconciliationPage(BaseModel):
    run = peewee.ForeignKeyField(ReconciliationLog, column_name="run_id")
    skip = peewee.IntegerField()
    item_count = peewee.IntegerField()
    pins_scheduled = peewee.IntegerField(default=0)
    pins_moved = peewee.IntegerField(default=0)
    pins_cancelled = peewee.IntegerField(default=0)
    completed_at = peewee.DateTimeField()

    class Meta:
        table_name = "reconciliation_pages"
        primary_key = peewee.CompositeKey("run", "skip")
