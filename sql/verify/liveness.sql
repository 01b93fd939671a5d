-- Verify pgcoord:liveness
-- The tables (row level security on), the loss triggers (enabled), the operations,
-- and the API functions: definers with the pinned settings, granted as documented.
BEGIN;
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_class c
                WHERE c.oid IN ('coord_private.liveness_settings'::regclass, 'coord_private.agent_liveness'::regclass,
                                'coord_private.lost_grants'::regclass)
                  AND NOT c.relrowsecurity) THEN
        RAISE EXCEPTION 'verify liveness: a liveness table has no row level security';
    END IF;
    IF (SELECT pg_catalog.count(*) FROM coord_private.liveness_settings) <> 1 THEN
        RAISE EXCEPTION 'verify liveness: coord_private.liveness_settings does not hold exactly one row';
    END IF;
    IF (SELECT pg_catalog.count(*) FROM pg_catalog.pg_trigger t
         WHERE (t.tgname, t.tgrelid) IN (('locks_record_loss', 'coord_private.locks'::regclass),
                                         ('tasks_record_claim_loss', 'coord_private.tasks'::regclass))
           AND t.tgenabled = 'O') <> 2 THEN
        RAISE EXCEPTION 'verify liveness: a loss trigger is missing or disabled';
    END IF;
    IF (SELECT pg_catalog.count(*) FROM coord_private.operations o
         WHERE o.name IN ('heartbeat', 'set_stale_threshold')) <> 2 THEN
        RAISE EXCEPTION 'verify liveness: heartbeat or set_stale_threshold is missing from the operation catalog';
    END IF;
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_proc p
                WHERE p.oid IN ('coord.heartbeat(text, text[])'::regprocedure,
                                'coord.discover_agents(text, text)'::regprocedure,
                                'coord.lease_status()'::regprocedure,
                                'coord.set_stale_threshold(interval, text)'::regprocedure)
                  AND NOT (p.prosecdef AND coalesce(p.proconfig, '{}') @> ARRAY['search_path=pg_catalog, pg_temp',
                                                                   'lock_timeout=5s', 'standard_conforming_strings=on'])) THEN
        RAISE EXCEPTION 'verify liveness: an API function is no definer or lacks its pinned settings';
    END IF;
    IF NOT (pg_catalog.has_function_privilege('coord_agent', 'coord.heartbeat(text, text[])', 'EXECUTE')
            AND pg_catalog.has_function_privilege('coord_agent', 'coord.lease_status()', 'EXECUTE')
            AND pg_catalog.has_function_privilege('coord_agent', 'coord.discover_agents(text, text)', 'EXECUTE')
            AND pg_catalog.has_function_privilege('coord_admin', 'coord.set_stale_threshold(interval, text)', 'EXECUTE')
            AND NOT pg_catalog.has_function_privilege('coord_agent', 'coord.set_stale_threshold(interval, text)', 'EXECUTE')) THEN
        RAISE EXCEPTION 'verify liveness: the API is not granted as documented';
    END IF;
END
$$;
ROLLBACK;
