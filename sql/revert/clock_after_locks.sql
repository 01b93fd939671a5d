-- Revert pgcoord:clock_after_locks
BEGIN;
SET LOCAL ROLE coord_owner;

CREATE OR REPLACE FUNCTION coord_private.current_time()
RETURNS timestamptz
LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT pg_catalog.now() $$;
COMMENT ON FUNCTION coord_private.current_time() IS 'the database clock used for every lease and expiry decision (INV-LOCK-EXPIRY)';

COMMIT;
