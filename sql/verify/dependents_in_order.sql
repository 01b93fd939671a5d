-- Verify pgcoord:dependents_in_order
BEGIN;
DO $$
BEGIN
    IF pg_catalog.strpos(pg_catalog.pg_get_functiondef('coord.complete_task(bigint, bigint, jsonb)'::regprocedure),
                         'coord_private.release_dependents') = 0 THEN
        RAISE EXCEPTION 'verify dependents_in_order: complete_task does not release its dependents in order';
    END IF;
END
$$;
ROLLBACK;
