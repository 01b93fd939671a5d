-- Verify pgcoord:audit
BEGIN;
DO $$
BEGIN
    IF (SELECT pg_catalog.count(*) FROM pg_catalog.pg_trigger
         WHERE tgrelid = 'coord_private.audit_events'::regclass AND NOT tgisinternal) <> 3 THEN
        RAISE EXCEPTION 'verify audit: immutability triggers missing';
    END IF;
    IF coord_private.audit_genesis(1) IS NULL THEN
        RAISE EXCEPTION 'verify audit: genesis hash missing';
    END IF;
END
$$;
ROLLBACK;
