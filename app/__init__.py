"""stays-reconciler: a PostgreSQL copy of a Stays account's reservations and their door PINs."""
