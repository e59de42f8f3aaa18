-- One row per reconciliation run: the audit log that the admin API, the status page and
-- operators' dashboard queries read. The audit columns keep their camelCase names as quoted
-- identifiers. The partial unique index on status 'running' is what allows one active run
-- at a time, whatever the number of workers and triggers; trigger_key makes a scheduled
-- tick start at most one run even when two schedulers fire it.
CREATE TABLE reconciliation_logs (
    id bigserial PRIMARY KEY,
    "lastRunAt" timestamptz,
    "startedAt" timestamptz NOT NULL DEFAULT now(),
    "completedAt" timestamptz,
    duration integer,
    fetched integer NOT NULL DEFAULT 0,
    created integer NOT NULL DEFAULT 0,
    updated integer NOT NULL DEFAULT 0,
    unchanged integer NOT NULL DEFAULT 0,
    orphaned integer NOT NULL DEFAULT 0,
    deleted integer NOT NULL DEFAULT 0,
    errors integer NOT NULL DEFAULT 0,
    status text NOT NULL,
    message text,
    "createdAt" timestamptz NOT NULL DEFAULT now(),
    window_from date,
    window_to date,
    trigger_key text,
    trigger_message_id text,
    paging_completed_at timestamptz,
    page_count integer,
    pins_scheduled integer NOT NULL DEFAULT 0,
    pins_moved integer NOT NULL DEFAULT 0,
    pins_cancelled integer NOT NULL DEFAULT 0,
    CONSTRAINT reconciliation_logs_status_check CHECK (
        status IN ('running', 'success', 'failed', 'skipped')
    ),
    CONSTRAINT reconciliation_logs_duration_check CHECK (duration IS NULL OR duration >= 0)
);

COMMENT ON COLUMN reconciliation_logs.duration IS 'Run duration in milliseconds.';

CREATE UNIQUE INDEX reconciliation_logs_one_running_key ON reconciliation_logs ((true))
    WHERE status = 'running';
CREATE UNIQUE INDEX reconciliation_logs_trigger_key_key ON reconciliation_logs (trigger_key)
    WHERE status <> 'skipped';
CREATE INDEX reconciliation_logs_started_at_idx ON reconciliation_logs ("startedAt" DESC);
