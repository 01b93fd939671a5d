-- Verify pgcoord:path_hardening
BEGIN;
DO $$
DECLARE
    v_state text;
BEGIN
    IF coord_private.normalize_path('a/**/**/b') <> 'a/**/b'
       OR coord_private.normalize_path_checked('src/API/x.py') <> 'src/API/x.py'
       OR coord_private.normalize_path(U&'src/s\0435cret.py') <> U&'src/s\0435cret.py' THEN
        RAISE EXCEPTION 'verify path_hardening: normalisation is wrong';
    END IF;
    -- a zero-width space, a fullwidth solidus, a trailing dot, too many ** : PC003
    FOREACH v_state IN ARRAY ARRAY[U&'a\200Bb', U&'a\FF0Fb', 'a.py.', 'a/**/b/**/c/**/d/**/e/**/f'] LOOP
        BEGIN
            PERFORM coord_private.normalize_path(v_state);
            RAISE EXCEPTION 'verify path_hardening: % was accepted', v_state;
        EXCEPTION WHEN SQLSTATE 'PC003' THEN
            NULL;
        END;
    END LOOP;
    IF (SELECT s.path_case FROM coord_private.settings s) IS NULL
       OR coord_private.fold_path_case('VICTIM/Secret.PY') <> 'victim/secret.py' THEN
        RAISE EXCEPTION 'verify path_hardening: the case rule is missing';
    END IF;
    IF NOT pg_catalog.has_function_privilege('coord_admin', 'coord.set_path_case(text, text)', 'EXECUTE')
       OR pg_catalog.has_function_privilege('coord_agent', 'coord.set_path_case(text, text)', 'EXECUTE')
       OR NOT EXISTS (SELECT 1 FROM coord_private.operations o WHERE o.name = 'set_path_case' AND o.category = 'admin')
       OR NOT EXISTS (SELECT 1 FROM coord_private.error_codes e WHERE e.sqlstate = 'PC021') THEN
        RAISE EXCEPTION 'verify path_hardening: coord.set_path_case is missing or not coord_admin''s only';
    END IF;
    IF coord_private.check_locks_max_paths() <> 100 OR coord_private.path_max_segments() <> 64 THEN
        RAISE EXCEPTION 'verify path_hardening: the documented caps are wrong';
    END IF;
END
$$;
ROLLBACK;
