-- Verify pgcoord:locks
BEGIN;
SELECT lock_id, path, kind, anchor, mode, holder, token, reason, granted_at, expires_at FROM coord_private.locks WHERE false;
DO $$
BEGIN
    IF (SELECT pg_catalog.count(*) FROM coord_private.operations WHERE name LIKE '%lock') <> 4 THEN
        RAISE EXCEPTION 'verify locks: lock operations missing from the catalog';
    END IF;
    IF NOT pg_catalog.has_function_privilege('coord_agent', 'coord.acquire_lock(text, interval, text, text)', 'EXECUTE') THEN
        RAISE EXCEPTION 'verify locks: agents must be able to acquire locks';
    END IF;
END
$$;
ROLLBACK;
