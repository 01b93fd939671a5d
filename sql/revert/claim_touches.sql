-- Revert pgcoord:claim_touches
-- Back to the definitions of task_races (claims, submit, renewal, failure,
-- cancellation, exhausted claims) and dependents_in_order (completion), with the
-- settings definer_settings gave the coord definers and the privileges tasks gave.
-- Leases claims took stay as plain leases of their holders until they expire.
BEGIN;
SET LOCAL ROLE coord_owner;

DROP FUNCTION coord.claim_tasks(integer, text[], interval, boolean);
DROP FUNCTION coord.claim_task(text[], interval, boolean);
DROP FUNCTION coord_private.claim_one(text[], numeric, boolean, boolean);
DROP FUNCTION coord.submit_task(text, text, jsonb, integer, bigint[], text, integer, text[]);

\ir ../parts/task_races/coord_private.fail_exhausted_claim.sql
\ir ../parts/task_races/coord_private.claim_one.sql
\ir ../parts/task_races/coord.claim_task.sql
\ir ../parts/task_races/coord.claim_tasks.sql
\ir ../parts/task_races/coord.submit_task.sql
\ir ../parts/task_races/coord.renew_claim.sql
\ir ../parts/dependents_in_order/coord.complete_task.sql
\ir ../parts/task_races/coord.fail_task.sql
\ir ../parts/task_races/coord.cancel_task.sql

DO $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT p.oid::regprocedure AS fn
               FROM pg_catalog.pg_proc p
              WHERE p.oid IN ('coord.claim_task(text[], interval)'::regprocedure,
                              'coord.claim_tasks(integer, text[], interval)'::regprocedure,
                              'coord.submit_task(text, text, jsonb, integer, bigint[], text, integer)'::regprocedure,
                              'coord.renew_claim(bigint, bigint, interval)'::regprocedure,
                              'coord.fail_task(bigint, bigint, text, boolean)'::regprocedure,
                              'coord.cancel_task(bigint, text)'::regprocedure)
    LOOP
        EXECUTE pg_catalog.format('ALTER FUNCTION %s SET lock_timeout = ''5s''', r.fn);
        EXECUTE pg_catalog.format('ALTER FUNCTION %s SET standard_conforming_strings = on', r.fn);
    END LOOP;
END
$$;
REVOKE ALL ON FUNCTION coord.submit_task(text, text, jsonb, integer, bigint[], text, integer),
    coord.claim_task(text[], interval), coord.claim_tasks(integer, text[], interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION coord.submit_task(text, text, jsonb, integer, bigint[], text, integer),
    coord.claim_task(text[], interval), coord.claim_tasks(integer, text[], interval) TO coord_agent;

DROP FUNCTION coord_private.claim_lease_rows(bigint, bigint, boolean);
DROP FUNCTION coord_private.touch_conflicts(text[]);
DROP FUNCTION coord_private.lock_lease_paths(text[], boolean);
DROP FUNCTION coord_private.touches_now(text[]);
DROP FUNCTION coord_private.normalize_touches(text[]);
DROP TABLE coord_private.claim_leases;
DROP TABLE coord_private.task_touches;
DROP FUNCTION coord_private.claim_skip_max();
DROP FUNCTION coord_private.touches_max();

COMMIT;
