-- Verify pgcoord:cedar_evaluator
-- Where the evaluator is installed, its bodies load the module.
BEGIN;
DO $$
BEGIN
    IF coord_private.cedar_available() AND NOT EXISTS (
           SELECT 1 FROM pg_catalog.pg_proc p
            WHERE p.oid = 'coord_private.cedar_decide(text, text, text, jsonb)'::regprocedure
              AND p.prosrc LIKE '%cedar_evaluator.py%') THEN
        RAISE EXCEPTION 'verify cedar_evaluator: coord_private.cedar_decide does not load sql/plpython/cedar_evaluator.py';
    END IF;
END
$$;
ROLLBACK;
