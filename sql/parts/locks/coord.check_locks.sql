CREATE OR REPLACE FUNCTION coord.check_locks(p_paths text[])
RETURNS TABLE (requested text, path text, mode text, holder text, token bigint, expires_at timestamptz)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    p text;
BEGIN
    IF p_paths IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PC001', MESSAGE = 'paths must not be NULL',
            DETAIL = 'a required argument was NULL; nothing was changed',
            HINT = 'see the function documentation: \df+ coord.check_locks';
    END IF;
    IF pg_catalog.cardinality(p_paths) > 1000 THEN
        RAISE EXCEPTION USING ERRCODE = 'PC002', MESSAGE = 'at most 1000 paths per check',
            DETAIL = 'an argument was malformed, empty, too long or out of range; nothing was changed',
            HINT = 'see the function documentation: \df+ coord.check_locks';
    END IF;
    FOREACH p IN ARRAY p_paths LOOP
        requested := coord_private.normalize_path(p);
        FOR path, mode, holder, token, expires_at IN
            SELECT l.path, l.mode, l.holder, l.token, l.expires_at
              FROM pg_catalog.unnest(coord_private.overlapping_live_locks(requested)) l ORDER BY l.token
        LOOP
            RETURN NEXT;
        END LOOP;
    END LOOP;
END
$$;
COMMENT ON FUNCTION coord.check_locks(text[]) IS
    'agent: the live locks overlapping each given path or pattern (read-only; expired locks are absent). Errors PC001-PC003';
