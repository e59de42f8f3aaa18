"""The reconciliation run: trigger, pages, per-reservation processing and the collector."""
