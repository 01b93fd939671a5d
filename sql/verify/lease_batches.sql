-- Verify pgcoord:lease_batches
BEGIN;
SELECT 'coord.acquire_locks(text[], interval, text, text)'::regprocedure;
SELECT 1 / count(*) FROM coord_private.reason_codes WHERE code = 'batch_refused';
SELECT 1 / count(*) FROM coord_private.function_catalog WHERE function_name = 'acquire_locks';
ROLLBACK;
