CREATE OR REPLACE FUNCTION coord.renew_lock(p_path text, p_ttl interval,
    OUT ok boolean, OUT reason text, OUT token bigint, OUT expires_at timestamptz, OUT event_id bigint)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = ''
SET plan_cache_mode = force_generic_plan
SET enable_bitmapscan = off
SET max_parallel_workers_per_gather = 0
AS $$
DECLARE
    v coord_private.verdict;
    v_path text := coord_private.normalize_path(p_path);
    v_ttl numeric := coord_private.require_ttl(p_ttl);
    v_lock coord_private.locks;
    v_conflicts coord_private.locks[];
    v_now timestamptz := coord_private.current_time();
BEGIN
    PERFORM coord_private.require_read_committed();
    -- Serialise with acquires on the same root-to-leaf line, then re-check: a
    -- renewal that began just before expiry must not revive a lease another agent
    -- has taken over in the meantime (INV-LOCK-EXCL).
    PERFORM coord_private.lock_anchor_line(coord_private.path_anchor(v_path));
    SELECT * INTO v_lock FROM coord_private.locks l
     WHERE l.path = v_path AND l.holder = session_user AND l.expires_at > v_now
       FOR UPDATE;
    v_conflicts := coord_private.overlapping_live_locks(v_path, (session_user::text COLLATE "default"), coalesce(v_lock.mode, 'shared'));
    v := coord_private.authorize('renew_lock', v_path,
        pg_catalog.jsonb_build_object('ttl_seconds', v_ttl, 'lease_seconds', v_ttl, 'token', v_lock.token,
                                      'holders', coord_private.holders_json(v_conflicts)),
        CASE WHEN v_lock.lock_id IS NULL THEN 'lock_not_held'
             WHEN v_conflicts IS NOT NULL THEN 'lock_held_by_other' END);
    ok := v.proceed; reason := v.reason; event_id := v.event_id;
    IF v.proceed THEN
        UPDATE coord_private.locks l SET expires_at = v_now + pg_catalog.make_interval(secs => v_ttl)
         WHERE l.lock_id = v_lock.lock_id
        RETURNING l.token, l.expires_at INTO token, expires_at;
    END IF;
END
$$;
COMMENT ON FUNCTION coord.renew_lock(text, interval) IS
    'agent: extend a live lease the caller holds (TLA+ RenewLock); an expired lease cannot be renewed (lock_not_held). Errors PC001, PC003, PC004';
