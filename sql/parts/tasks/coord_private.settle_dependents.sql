-- Settle every not-yet-terminal transitive dependent of a task that failed or was
-- cancelled (TLA+ SettleDependents): cancelled with reason dependency_failed, one
-- audit event each. Retried (up to five walks) when PostgreSQL picks it as a
-- deadlock victim.
CREATE OR REPLACE FUNCTION coord_private.settle_dependents(p_task_id bigint)
RETURNS integer LANGUAGE plpgsql
AS $$
DECLARE
    d bigint;
    n integer;
    v coord_private.verdict;
    v_frontier bigint[];
    v_next bigint[];
BEGIN
    FOR v_try IN 1 .. 5 LOOP
        BEGIN
            n := 0;
            v_frontier := ARRAY[p_task_id];
            -- Level by level, each level a new statement: a dependent submitted while we
            -- waited for the lock on its dependency (its submit held that row FOR SHARE)
            -- is committed by then, so the next level's snapshot sees it. One recursive
            -- query would take its snapshot before those waits and miss it.
            LOOP
                v_next := '{}';
                FOR d IN
                    SELECT t.task_id FROM coord_private.tasks t
                     WHERE t.task_id IN (SELECT x.task_id FROM coord_private.task_deps x WHERE x.depends_on = ANY (v_frontier))
                       AND t.status IN ('pending', 'claimed')
                     ORDER BY t.task_id
                       FOR UPDATE OF t
                LOOP
                    v := coord_private.authorize('settle_task', d::text,
                        pg_catalog.jsonb_build_object('settle_reason', 'dependency_failed', 'cause', p_task_id));
                    IF v.proceed THEN
                        UPDATE coord_private.tasks
                           SET status = 'cancelled', settle_reason = 'dependency_failed', claim_expires_at = NULL,
                               error = pg_catalog.format('dependency %s failed or was cancelled', p_task_id),
                               updated_at = coord_private.current_time(), finished_at = coord_private.current_time()
                         WHERE task_id = d;
                        n := n + 1;
                        v_next := v_next || d;
                    END IF;
                END LOOP;
                EXIT WHEN pg_catalog.cardinality(v_next) = 0;
                v_frontier := v_next;
            END LOOP;
            RETURN n;
        EXCEPTION WHEN deadlock_detected THEN
            -- Two walks of the DAG (two settlements whose closures cross, level by
            -- level in different orders) can wait on each other; PostgreSQL breaks the
            -- cycle by failing one. If it is this walk, the block's row locks, updates
            -- and audit events are rolled back, the other walk finishes, and this one
            -- starts again from the failed task and sees what the other settled.
            IF v_try = 5 THEN
                RAISE;
            END IF;
        END;
    END LOOP;
END
$$;
COMMENT ON FUNCTION coord_private.settle_dependents(bigint) IS
    'INV-DEPS: cancel (dependency_failed) every pending transitive dependent of a failed or cancelled task, each audited';
