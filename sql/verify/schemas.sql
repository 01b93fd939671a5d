-- Verify pgcoord:schemas
BEGIN;
DO $$
BEGIN
    IF (SELECT pg_catalog.count(*) FROM pg_catalog.pg_namespace
         WHERE nspname IN ('coord', 'coord_private')
           AND nspowner = 'coord_owner'::regrole) <> 2 THEN
        RAISE EXCEPTION 'verify schemas: coord and coord_private must exist, owned by coord_owner';
    END IF;
    IF pg_catalog.has_schema_privilege('public', 'coord_private', 'USAGE') THEN
        RAISE EXCEPTION 'verify schemas: PUBLIC must not use coord_private';
    END IF;
END
$$;
ROLLBACK;
