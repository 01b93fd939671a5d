-- Every lease request normalises its path, and the full check above sets up some
-- twenty expressions (each again in every transaction). A plain path - ASCII
-- letters, digits, '_', '-', '.', non-empty segments, none of them '.' or '..',
-- an optional trailing '/' - passes every one of those checks unchanged (ASCII is
-- its own NFC), so it is answered here; anything else takes the full check.
-- tests/test_paths_normalization.py checks both agree on generated paths.
CREATE OR REPLACE FUNCTION coord_private.normalize_path(p_path text)
RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
AS $fn$
BEGIN
    IF p_path ~ '^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*/?$'
       AND pg_catalog.strpos('/' || p_path || '/', '/./') = 0
       AND pg_catalog.strpos('/' || p_path || '/', '/../') = 0
       AND pg_catalog.length(p_path) <= coord_private.path_max_length() THEN
        RETURN p_path;
    END IF;
    RETURN coord_private.normalize_path_checked(p_path);
END
$fn$;
COMMENT ON FUNCTION coord_private.normalize_path(text) IS 'the one spelling of a lease path, or PC001/PC003';
