-- Deploy pgcoord:force_release_races
-- A forced release reports and deletes exactly the leases it released.
--
-- force_release_lock as locks made it read the path's live leases, decided and
-- audited with that list, then deleted every row on the path. Under READ COMMITTED
-- each statement sees what committed before it, so with the holder's release_lock
-- (or an acquire) committing in between:
--   * both calls answered ok, and the trail held two releases of one lease, the
--     forced one naming a holder whose lease it never deleted (shown by
--     tests/test_races_liveness.py and the isolation spec before this change);
--   * a lease granted on the path between its read and its delete (one call, two
--     statements) could be deleted unnamed, the event naming the lease before it
--     (a window no test can hold open inside one function; closed by deleting by id).
-- Now the rows are locked first (FOR UPDATE: a row another transaction is releasing
-- is waited for and skipped once gone), liveness is judged by the clock read after
-- those locks (clock_after_locks), the decision and its event name exactly the live
-- locked rows, and only the locked rows are deleted (by id). Of a holder's release
-- and a forced release of the same lease, exactly one proceeds; the other is
-- refused with lock_not_held (isolation/specs/force_release_vs_release.spec,
-- tests/test_races_liveness.py). Expired rows on the path are locked and tidied
-- away too, as before, but not reported as released.
BEGIN;
SET LOCAL ROLE coord_owner;

CREATE OR REPLACE FUNCTION coord.force_release_lock(p_path text, p_reason text,
    OUT ok boolean, OUT reason text, OUT released jsonb, OUT event_id bigint)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan
SET enable_bitmapscan = off
SET max_parallel_workers_per_gather = 0
SET lock_timeout = '5s'
SET standard_conforming_strings = on
AS $$
DECLARE
    v coord_private.verdict;
    v_path text := coord_private.normalize_path(p_path);
    v_rows coord_private.locks[];
    v_live coord_private.locks[];
    v_now timestamptz;
BEGIN
    PERFORM coord_private.require_read_committed();
    IF p_reason IS NULL OR pg_catalog.length(pg_catalog.btrim(p_reason)) = 0 THEN
        RAISE EXCEPTION USING ERRCODE = CASE WHEN p_reason IS NULL THEN 'PC001' ELSE 'PC002' END,
            MESSAGE = 'a forced release needs a reason', HINT = 'it is recorded in the audit trail',
            DETAIL = 'nothing was changed';
    END IF;
    -- The path's rows, locked in id order (a concurrent release or forced release of
    -- one of them is waited for; a row it deleted is skipped).
    SELECT pg_catalog.array_agg(x ORDER BY x.lock_id) INTO v_rows
      FROM (SELECT * FROM coord_private.locks l WHERE l.path = v_path ORDER BY l.lock_id FOR UPDATE) x;
    -- Liveness by the clock after the locks; recorded as the event's 'at'.
    v_now := coord_private.current_time();
    SELECT pg_catalog.array_agg(r ORDER BY r.lock_id) INTO v_live
      FROM pg_catalog.unnest(v_rows) r WHERE r.expires_at > v_now;
    released := coord_private.holders_json(v_live);
    v := coord_private.authorize('force_release_lock', v_path,
        pg_catalog.jsonb_build_object('why', p_reason, 'released', released, 'at', v_now),
        CASE WHEN v_live IS NULL THEN 'lock_not_held' END);
    ok := v.proceed; reason := v.reason; event_id := v.event_id;
    IF v.proceed THEN
        DELETE FROM coord_private.locks l
         WHERE l.lock_id = ANY (ARRAY(SELECT r.lock_id FROM pg_catalog.unnest(v_rows) r));
    END IF;
END
$$;
COMMENT ON FUNCTION coord.force_release_lock(text, text) IS
    'elevated agent (trust >= 3): release every live lease on exactly this path, whoever holds it; audited with its reason; reports and deletes exactly the leases it locked (force_release_races). Errors PC001-PC003';

COMMIT;
