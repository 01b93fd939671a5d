-- Verify pgcoord:force_release_races
BEGIN;
SELECT 1/(pg_catalog.strpos(pg_catalog.pg_get_functiondef('coord.force_release_lock(text, text)'::regprocedure),
                            'FOR UPDATE') > 0)::integer;
ROLLBACK;
