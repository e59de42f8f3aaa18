-- What each run read and did: one row per (run, reservation), written when a page is fetched
-- and given its outcome once. The collector finalises a run when no row lacks an outcome, and
-- the key makes a duplicated message unable to count a reservation twice. Pages record the
-- paging progress, so a redelivered page message neither fetches twice nor breaks the chain.
CREATE TABLE reconciliation_items (
    run_id bigint NOT NULL REFERENCES reconciliation_logs (id) ON DELETE CASCADE,
    stays_reservation_id text NOT NULL,
    outcome text,
    reason text,
    source text NOT NULL DEFAULT 'list',
    CONSTRAINT reconciliation_items_pkey PRIMARY KEY (run_id, stays_reservation_id),
    CONSTRAINT reconciliation_items_outcome_check CHECK (
        outcome IN ('created', 'updated', 'unchanged', 'deleted', 'error')
    ),
    CONSTRAINT reconciliation_items_source_check CHECK (source IN ('list', 'detail'))
);

CREATE INDEX reconciliation_items_pending_idx ON reconciliation_items (run_id)
    WHERE outcome IS NULL;

CREATE TABLE reconciliation_pages (
    run_id bigint NOT NULL REFERENCES reconciliation_logs (id) ON DELETE CASCADE,
    skip integer NOT NULL,
    item_count integer NOT NULL,
    pins_scheduled integer NOT NULL DEFAULT 0,
    pins_moved integer NOT NULL DEFAULT 0,
    pins_cancelled integer NOT NULL DEFAULT 0,
    completed_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT reconciliation_pages_pkey PRIMARY KEY (run_id, skip)
);
