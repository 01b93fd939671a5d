-- Deploy pgcoord:write_coverage
-- Issue 14: the agents' doors decide no rule themselves. The hooks (pre-tool-use and
-- git pre-commit, docs/hooks.md) decided in Python, over check_locks and check_fence
-- rows, whether the caller's leases cover a path for writing; the rule is now here:
--
--   coord.check_write_coverage(paths text[]) answers, per given path and in the
--   order given, whether a write to it is covered, by which lease, or why not.
--
-- The rule (INV-LOCK-EXCL, INV-LOCK-FENCE, INV-LOCK-EXPIRY): a write to a path needs
-- a live EXCLUSIVE lease of the caller (session_user) overlapping it whose grant is
-- still fenced - no newer live exclusive grant overlaps the path (what
-- coord.check_fence(path, token) answers). A path spelled with glob characters
-- (*, ? or [, e.g. a file literally named [id].tsx) is a glob to the database: a lease
-- overlapping it need not contain the file, so only a lease on that very spelling or
-- a directory lease above it (its path ends with '/' and is a prefix of the spelling)
-- covers it. Expired leases are absent (overlapping_live_locks judges expiry by
-- coord_private.current_time()).
--
-- Reasons, in the order they are judged (the first that applies):
--   covered           a lease of the caller covers the path (lease_path, token and
--                     expires_at name it)
--   leased_by_other   another agent holds a live lease overlapping the path (holders)
--   shared_only       the caller's own overlapping leases include a shared one; a
--                     write needs an exclusive lease
--   not_newest_grant  an exclusive lease of the caller names the path but a newer
--                     exclusive grant overlapping the path fenced it out
--   glob_spelling     the caller's exclusive leases overlap the path but none names it
--                     (the path is spelled with glob characters; see above)
--   no_lease          no live lease overlaps the path
-- holders lists, whatever the reason, the other agents' live leases overlapping the
-- path (holder, path, mode, expires_at: what coord.live_locks shows everyone).
--
-- A read like check_locks: SECURITY DEFINER (coord_private is unreadable to callers),
-- search_path, lock_timeout and standard_conforming_strings pinned (INV-DEFINER), at
-- most check_locks_max_paths() = 100 paths per call (PC002), each path normalised by
-- coord_private.normalize_path (PC001 for NULL, PC003 for an invalid path), no audit
-- event and no write. The caller need not be a registered agent (check_locks does not
-- ask either): an unregistered role holds no lease, so nothing is covered for it.
BEGIN;
SET LOCAL ROLE coord_owner;

CREATE FUNCTION coord.check_write_coverage(p_paths text[])
RETURNS TABLE (path text, normalized_path text, covered boolean, reason text,
               lease_path text, token bigint, expires_at timestamptz, holders jsonb)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '5s'
SET standard_conforming_strings = on
AS $$
DECLARE
    p text;
    v_me text := (session_user::text COLLATE "default");
    v_locks coord_private.locks[];
    v_glob boolean;
BEGIN
    IF p_paths IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PC001', MESSAGE = 'paths must not be NULL',
            DETAIL = 'a required argument was NULL; nothing was changed',
            HINT = 'see the function documentation: \df+ coord.check_write_coverage';
    END IF;
    -- Each path costs a lease request's conflict search, as in check_locks.
    IF pg_catalog.cardinality(p_paths) > coord_private.check_locks_max_paths() THEN
        RAISE EXCEPTION USING ERRCODE = 'PC002',
            MESSAGE = pg_catalog.format('at most %s paths per check', coord_private.check_locks_max_paths()),
            DETAIL = pg_catalog.format('%s paths were given; an argument was malformed, empty, too long or out of range; nothing was changed',
                                       pg_catalog.cardinality(p_paths)),
            HINT = 'split the paths into several calls';
    END IF;
    FOREACH p IN ARRAY p_paths LOOP
        path := p;
        normalized_path := coord_private.normalize_path(p);
        v_glob := coord_private.path_kind(normalized_path) = 'glob';
        -- one reading of the live leases per path: the fence below is check_fence's
        -- rule over this same set (the grant is live and overlaps the path, and no
        -- newer exclusive grant overlaps it)
        v_locks := coord_private.overlapping_live_locks(normalized_path);
        lease_path := NULL; token := NULL; expires_at := NULL;
        SELECT l.path, l.token, l.expires_at INTO lease_path, token, expires_at
          FROM pg_catalog.unnest(v_locks) l
         WHERE l.holder = v_me AND l.mode = 'exclusive'
           AND NOT EXISTS (SELECT 1 FROM pg_catalog.unnest(v_locks) n
                            WHERE n.mode = 'exclusive' AND n.token > l.token)
           AND (NOT v_glob OR l.path = normalized_path
                OR (pg_catalog.right(l.path, 1) = '/' AND pg_catalog.starts_with(normalized_path, l.path)))
         ORDER BY l.token
         LIMIT 1;
        covered := FOUND;
        holders := coord_private.holders_json(ARRAY(SELECT l FROM pg_catalog.unnest(v_locks) l
                                                     WHERE l.holder <> v_me));
        reason := CASE
            WHEN covered THEN 'covered'
            WHEN holders <> '[]'::jsonb THEN 'leased_by_other'
            WHEN EXISTS (SELECT 1 FROM pg_catalog.unnest(v_locks) l WHERE l.holder = v_me AND l.mode = 'shared')
                THEN 'shared_only'
            WHEN EXISTS (SELECT 1 FROM pg_catalog.unnest(v_locks) l
                          WHERE l.holder = v_me
                            AND (NOT v_glob OR l.path = normalized_path
                                 OR (pg_catalog.right(l.path, 1) = '/' AND pg_catalog.starts_with(normalized_path, l.path))))
                THEN 'not_newest_grant'
            WHEN EXISTS (SELECT 1 FROM pg_catalog.unnest(v_locks) l WHERE l.holder = v_me)
                THEN 'glob_spelling'
            ELSE 'no_lease' END;
        RETURN NEXT;
    END LOOP;
END
$$;
COMMENT ON FUNCTION coord.check_write_coverage(text[]) IS
    'any pgcoord role: per given path (at most 100, in order), whether a write is covered by a live exclusive lease of the caller whose grant is still fenced (INV-LOCK-EXCL, INV-LOCK-FENCE; expired leases are absent, INV-LOCK-EXPIRY); a path spelled with glob characters only by a lease on that spelling or a directory above it. reason: covered, leased_by_other, shared_only, not_newest_grant, glob_spelling or no_lease; holders: the other agents'' live overlapping leases. Read-only, not audited. Errors PC001-PC003';

REVOKE ALL ON FUNCTION coord.check_write_coverage(text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION coord.check_write_coverage(text[]) TO coord_agent, coord_admin, coord_auditor;

COMMIT;
