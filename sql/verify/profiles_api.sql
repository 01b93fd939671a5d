-- Verify pgcoord:profiles_api
BEGIN;
DO $$
BEGIN
    IF pg_catalog.has_function_privilege('coord_agent',
           'coord.set_profile(text, integer, text, text[], text[], integer, integer, integer, integer)', 'EXECUTE') THEN
        RAISE EXCEPTION 'verify profiles_api: agents must not define profiles';
    END IF;
    PERFORM 'coord.get_my_profile()'::regprocedure;
END
$$;
ROLLBACK;
