-- Deploy pgcoord:dependents_in_order
-- A completion takes one dependency off each dependent task (INV-DEPS). Two
-- completions with shared dependents, or a completion and a failure's settlement,
-- locked those dependents in whatever order the join produced, and PostgreSQL broke
-- the cycle by failing one of them with 40P01: an agent's own valid completion
-- refused with a deadlock (seen in test_INV_DEPS_failures_settle_dependents_while_submitting).
-- Now coord_private.release_dependents locks the dependents in task_id order before
-- it updates them, and retries (a few times, after a short random pause) when a
-- settlement walk, which locks along the graph, still crosses it: the subtransaction
-- it retries in releases its row locks, so the other side finishes.
BEGIN;
SET LOCAL ROLE coord_owner;

CREATE FUNCTION coord_private.release_dependents(p_task_id bigint)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    FOR v_attempt IN 1 .. 5 LOOP
        BEGIN
            PERFORM 1 FROM coord_private.tasks x
             WHERE x.task_id IN (SELECT d.task_id FROM coord_private.task_deps d WHERE d.depends_on = p_task_id)
             ORDER BY x.task_id
               FOR UPDATE;
            UPDATE coord_private.tasks x SET unmet_deps = x.unmet_deps - 1
              FROM coord_private.task_deps d
             WHERE d.depends_on = p_task_id AND x.task_id = d.task_id;
            RETURN;
        EXCEPTION WHEN deadlock_detected THEN
            IF v_attempt = 5 THEN
                RAISE;
            END IF;
            PERFORM pg_catalog.pg_sleep(pg_catalog.random() * 0.005 * v_attempt);
        END;
    END LOOP;
END
$$;
COMMENT ON FUNCTION coord_private.release_dependents(bigint) IS
    'INV-DEPS: one unmet dependency fewer for every dependent of a completed task, its rows locked in task_id order; a deadlock with a settlement walk is retried (up to five times)';

\ir ../parts/dependents_in_order/coord.complete_task.sql

COMMIT;
