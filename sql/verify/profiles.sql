-- Verify pgcoord:profiles
BEGIN;
DO $$
BEGIN
    IF (SELECT pg_catalog.count(*) FROM coord_private.profiles
         WHERE name IN ('untrusted', 'reviewer', 'implementer', 'orchestrator', 'administrator')) <> 5 THEN
        RAISE EXCEPTION 'verify profiles: baseline profiles missing';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM coord_private.operations WHERE name = 'register_session') THEN
        RAISE EXCEPTION 'verify profiles: operation catalog missing';
    END IF;
END
$$;
ROLLBACK;
