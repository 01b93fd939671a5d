-- TEST ONLY. Never install in production: it makes pgcoord's clock movable.
-- Replaces coord_private.current_time() (see sql/deploy/settings.sql) with the real
-- clock plus an offset that tests.advance_clock() moves forward, so lease expiry can
-- be tested without sleeping. A production deploy runs only sqitch.plan, which
-- never contains this file.
BEGIN;
CREATE SCHEMA IF NOT EXISTS tests;
REVOKE ALL ON SCHEMA tests FROM PUBLIC;
GRANT USAGE ON SCHEMA tests TO coord_owner;

CREATE TABLE IF NOT EXISTS tests.clock_offset (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    shift     interval NOT NULL DEFAULT '0'
);
INSERT INTO tests.clock_offset DEFAULT VALUES ON CONFLICT DO NOTHING;
GRANT SELECT ON tests.clock_offset TO coord_owner;

-- The production clock's reading (clock_timestamp(): the time of the call, see
-- sql/deploy/clock_after_locks.sql) plus the offset.
CREATE OR REPLACE FUNCTION coord_private.current_time()
RETURNS timestamptz
LANGUAGE plpgsql STABLE PARALLEL SAFE
AS $$
BEGIN
    RETURN pg_catalog.clock_timestamp() + (SELECT c.shift FROM tests.clock_offset c);
END
$$;
COMMENT ON FUNCTION coord_private.current_time() IS 'TEST CLOCK: the database clock plus tests.clock_offset (INV-LOCK-EXPIRY tests)';

CREATE OR REPLACE FUNCTION tests.advance_clock(p_by interval)
RETURNS timestamptz
LANGUAGE sql
AS $$
    UPDATE tests.clock_offset SET shift = shift + p_by;
    SELECT coord_private.current_time();
$$;
COMMENT ON FUNCTION tests.advance_clock(interval) IS 'TEST ONLY: move pgcoord''s clock forward';

CREATE OR REPLACE FUNCTION tests.reset_clock()
RETURNS void
LANGUAGE sql
AS $$ UPDATE tests.clock_offset SET shift = '0' $$;
COMMIT;
