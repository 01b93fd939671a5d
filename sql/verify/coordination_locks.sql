-- Verify pgcoord:coordination_locks
BEGIN;
DO $$
BEGIN
    IF (SELECT pg_catalog.count(*) FROM coord_private.lock_lines) <> 16385 OR coord_private.anchor_line('') <> 0 THEN
        RAISE EXCEPTION 'verify coordination_locks: the line rows are not 0..16384';
    END IF;
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_proc p
                WHERE p.pronamespace IN ('coord'::regnamespace, 'coord_private'::regnamespace)
                  AND p.prosrc ~ 'pg_advisory') THEN
        RAISE EXCEPTION 'verify coordination_locks: a pgcoord function still takes advisory locks';
    END IF;
END
$$;
ROLLBACK;
