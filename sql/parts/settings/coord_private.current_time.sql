-- The database clock every lease decision uses. Tests replace this function with
-- one that adds a test-controlled offset (tests/sql/test_clock.sql); a production
-- deploy never contains that replacement.
CREATE OR REPLACE FUNCTION coord_private.current_time()
RETURNS timestamptz
LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT pg_catalog.now() $$;
COMMENT ON FUNCTION coord_private.current_time() IS 'the database clock used for every lease and expiry decision (INV-LOCK-EXPIRY)';
