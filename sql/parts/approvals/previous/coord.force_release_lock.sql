-- coord.force_release_lock as force_release_races made it.
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
