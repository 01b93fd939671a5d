-- Verify pgcoord:codes
BEGIN;
DO $$
BEGIN
    IF (SELECT pg_catalog.count(*) FROM coord_private.error_codes) < 14 THEN
        RAISE EXCEPTION 'verify codes: error codes missing';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM coord_private.reason_codes WHERE code = 'trust_too_low') THEN
        RAISE EXCEPTION 'verify codes: reason codes missing';
    END IF;
END
$$;
ROLLBACK;
