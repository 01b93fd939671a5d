-- Verify pgcoord:network_policy
BEGIN;
DO $$
BEGIN
    IF NOT pg_catalog.has_function_privilege('coord_agent', 'coord.check_network_access(text)', 'EXECUTE')
       OR pg_catalog.has_function_privilege('coord_agent', 'coord.add_network_rule(text, text, integer, text, text)', 'EXECUTE')
       OR NOT pg_catalog.has_function_privilege('coord_admin', 'coord.remove_network_rule(bigint, text)', 'EXECUTE') THEN
        RAISE EXCEPTION 'verify network_policy: agents check, only coord_admin manages rules';
    END IF;
    IF coord_private.normalize_host('https://user@BÜCHER.example.:8443/x?y') <> 'xn--bcher-kva.example'
       OR coord_private.network_candidates('github.com') <> ARRAY['github.com', '*.com']
       OR coord_private.network_pattern('*.GitHub.com.') <> '*.github.com' THEN
        RAISE EXCEPTION 'verify network_policy: normalisation or matching is wrong';
    END IF;
    PERFORM 1 FROM coord_private.network_rules WHERE false;
    PERFORM 1 FROM coord_private.network_decisions WHERE false;
END
$$;
ROLLBACK;
