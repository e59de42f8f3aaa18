"""Door PINs: when each stay's PIN is created and revoked, and the jobs that do it."""
