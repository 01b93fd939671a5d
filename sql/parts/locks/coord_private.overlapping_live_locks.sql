-- Live locks whose path sets can overlap p_path (optionally: held by others than
-- p_other_than, and conflicting with a request in mode p_mode): index lookups on
-- anchors, then the exact overlap test on the few candidates.
-- Two plain index scans joined by UNION ALL rather than one OR: an OR becomes a
-- bitmap scan, and bitmap scans never mark dead index entries, so under lease
-- churn every acquire would revisit every dead grant of its anchor.
CREATE OR REPLACE FUNCTION coord_private.overlapping_live_locks(p_path text, p_other_than text DEFAULT NULL,
                                                     p_mode text DEFAULT NULL)
RETURNS coord_private.locks[] LANGUAGE plpgsql STABLE
AS $$
DECLARE
    v_anchor text := coord_private.path_anchor(p_path);
    v_file boolean := coord_private.path_kind(p_path) = 'file';
    -- Anchors strictly below v_anchor form the byte-order range (v_anchor, v_anchor
    -- with its final '/' replaced by '0'), searchable with a generic (cached) plan,
    -- unlike LIKE with a parameter. Only dirs and globs reach below their anchor.
    v_hi text := CASE WHEN v_anchor = '' THEN pg_catalog.chr(1114111)
                      ELSE pg_catalog.left(v_anchor, -1) || '0' END;
    v_locks coord_private.locks[];
BEGIN
    -- The clock is called in the statement, not passed in a variable: the cached
    -- generic plan is then estimated with the clock's value (the planner folds
    -- now()), so expired history on these anchors counts as nearly no rows and the
    -- plan stays an index scan however many expired grants the table holds.
    SELECT pg_catalog.array_agg(c) INTO v_locks
      FROM (SELECT l FROM coord_private.locks l
             WHERE l.anchor = ANY (coord_private.anchor_ancestors(v_anchor))
               AND l.expires_at > coord_private.current_time()
            UNION ALL
            SELECT l FROM coord_private.locks l
             WHERE NOT v_file AND l.anchor OPERATOR(pg_catalog.~>~) v_anchor
               AND l.anchor OPERATOR(pg_catalog.~<~) v_hi AND l.expires_at > coord_private.current_time()) s(c)
     WHERE (p_other_than IS NULL OR (s.c).holder <> p_other_than)
       AND (p_mode IS NULL OR (s.c).mode = 'exclusive' OR p_mode = 'exclusive')
       AND coord_private.paths_overlap((s.c).path, p_path);
    RETURN v_locks;
END
$$;
COMMENT ON FUNCTION coord_private.overlapping_live_locks(text, text, text) IS
    'INV-LOCK-EXCL / INV-LOCK-EXPIRY: the live locks that can overlap a path (NULL when none), optionally only those conflicting with another holder''s request';
