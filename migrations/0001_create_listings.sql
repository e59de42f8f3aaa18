-- Listings as Stays returns them, plus what Stays lacks and the reconciler needs per unit:
-- the time zone that PIN times are computed in and the smart lock that receives the PIN.
CREATE TABLE listings (
    stays_listing_id text PRIMARY KEY,
    short_id text,
    name text,
    timezone text NOT NULL,
    lock_id text,
    check_in_time text,
    check_out_time text,
    configured boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX listings_lock_id_key ON listings (lock_id) WHERE lock_id IS NOT NULL;
