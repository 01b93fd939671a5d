-- Verify pgcoord:policy_hook_revision
BEGIN;
DO $$
BEGIN
    PERFORM 1 FROM coord_private.error_codes WHERE sqlstate = 'PC020' AND name = 'read_only_server';
    IF NOT FOUND OR pg_catalog.strpos(pg_catalog.pg_get_functiondef('coord_private.authorize(text, text, jsonb, text)'::regprocedure),
                                      'refuse_on_standby') = 0 THEN
        RAISE EXCEPTION 'verify policy_hook_revision: PC020 or the check in the policy hook is missing';
    END IF;
END
$$;
ROLLBACK;
