"""Queue names. The trigger has its own queue so a backlog of reservations cannot delay it."""

RECONCILE_QUEUE = "reconcile"
PIPELINE_QUEUE = "reconciliation"
PINS_QUEUE = "pins"
