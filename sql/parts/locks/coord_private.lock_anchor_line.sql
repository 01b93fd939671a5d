-- Take the advisory locks that serialise requests on one root-to-leaf line.
CREATE OR REPLACE FUNCTION coord_private.lock_anchor_line(p_anchor text)
RETURNS void LANGUAGE plpgsql 
AS $$
DECLARE
    a text;
BEGIN
    FOREACH a IN ARRAY coord_private.anchor_ancestors(p_anchor) LOOP
        IF a = p_anchor THEN
            PERFORM pg_catalog.pg_advisory_xact_lock(1885570817, pg_catalog.hashtext(a));
        ELSE
            PERFORM pg_catalog.pg_advisory_xact_lock_shared(1885570817, pg_catalog.hashtext(a));
        END IF;
    END LOOP;
END
$$;
COMMENT ON FUNCTION coord_private.lock_anchor_line(text) IS
    'advisory locks: shared on every ancestor anchor, exclusive on the anchor (serialises overlapping acquires)';
