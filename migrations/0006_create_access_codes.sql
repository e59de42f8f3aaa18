-- The door PINs themselves, one row per code sent to a lock. A partial unique index keeps
-- codes unique among the active codes of one lock, and allows one active code per stay.
CREATE TABLE access_codes (
    id bigserial PRIMARY KEY,
    stays_reservation_id text NOT NULL,
    lock_id text NOT NULL,
    code text NOT NULL,
    status text NOT NULL DEFAULT 'active',
    valid_from timestamptz NOT NULL,
    valid_until timestamptz NOT NULL,
    provider_ref text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz,
    CONSTRAINT access_codes_status_check CHECK (status IN ('active', 'revoked')),
    CONSTRAINT access_codes_window_check CHECK (valid_until > valid_from)
);

CREATE UNIQUE INDEX access_codes_lock_code_active_key ON access_codes (lock_id, code)
    WHERE status = 'active';
CREATE UNIQUE INDEX access_codes_reservation_active_key ON access_codes (stays_reservation_id)
    WHERE status = 'active';
