-- The PIN schedule lives here, not in the broker: one generate and one revoke job per
-- confirmed stay, ids gen-{stays _id} and rev-{stays _id}. The dispatcher sends the jobs due
-- within its horizon and re-sends those whose message was lost; version grows on every
-- reschedule so a message sent for an older schedule is recognised and ignored.
CREATE TABLE pin_jobs (
    id text PRIMARY KEY,
    stays_reservation_id text NOT NULL,
    kind text NOT NULL,
    run_at timestamptz NOT NULL,
    status text NOT NULL DEFAULT 'scheduled',
    version integer NOT NULL DEFAULT 1,
    attempts integer NOT NULL DEFAULT 0,
    last_error text,
    enqueued_at timestamptz,
    completed_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pin_jobs_kind_check CHECK (kind IN ('generate', 'revoke')),
    CONSTRAINT pin_jobs_status_check CHECK (
        status IN ('scheduled', 'enqueued', 'done', 'cancelled', 'failed')
    ),
    CONSTRAINT pin_jobs_reservation_kind_key UNIQUE (stays_reservation_id, kind)
);

CREATE INDEX pin_jobs_due_idx ON pin_jobs (run_at) WHERE status IN ('scheduled', 'enqueued');
CREATE INDEX pin_jobs_status_idx ON pin_jobs (status, run_at);
