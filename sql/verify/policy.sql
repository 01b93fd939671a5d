-- Verify pgcoord:policy
BEGIN;
DO $$
DECLARE
    d coord_private.decision;
BEGIN
    d := coord_private.native_decide('no such role', 'no_such_operation', NULL, '{}');
    IF d.allowed OR d.reason <> 'unknown_operation' THEN
        RAISE EXCEPTION 'verify policy: an unknown operation must be denied (fail closed)';
    END IF;
    PERFORM 'coord_private.authorize(text, text, jsonb, text)'::regprocedure;
END
$$;
ROLLBACK;
