-- The local copy of each Stays reservation. Only the fields the reconciler uses are kept
-- (no e-mail or phone), and content_hash over them tells a changed record from an unchanged
-- one, because Stays has no updated-at field. deleted_at marks a reservation that vanished
-- from Stays (its detail view returned 404); the row stays for the audit trail.
CREATE TABLE reservations (
    id bigserial PRIMARY KEY,
    stays_reservation_id text NOT NULL,
    short_id text NOT NULL,
    stays_listing_id text NOT NULL,
    type text NOT NULL,
    check_in_date date NOT NULL,
    check_in_time text,
    check_out_date date NOT NULL,
    check_out_time text,
    guest_name text,
    guests integer,
    price_total numeric(14, 2),
    currency text,
    partner_name text,
    content_hash text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    deleted_at timestamptz,
    CONSTRAINT reservations_stays_reservation_id_key UNIQUE (stays_reservation_id),
    CONSTRAINT reservations_type_check CHECK (
        type IN ('reserved', 'booked', 'contract', 'blocked', 'maintenance', 'canceled')
    ),
    CONSTRAINT reservations_dates_check CHECK (check_out_date >= check_in_date)
);

CREATE INDEX reservations_stay_idx ON reservations (check_in_date, check_out_date)
    WHERE deleted_at IS NULL;
