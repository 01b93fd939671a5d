-- Revert pgcoord:path_hardening
-- The definitions before the change, exactly: normalize_path, normalize_path_checked,
-- segment_regex and glob_regex as paths.sql made them, check_locks as locks.sql made
-- it (with the settings it has besides search_path, which earlier changes own),
-- coord.enforcement as reads_api.sql made it; everything added is dropped.
BEGIN;
SET LOCAL ROLE coord_owner;

DROP VIEW coord.enforcement;

DO $do$
DECLARE
    v_cfg text[] := (SELECT p.proconfig FROM pg_catalog.pg_proc p WHERE p.oid = 'coord.check_locks(text[])'::regprocedure);
    v_item text;
BEGIN
    CREATE OR REPLACE FUNCTION coord.check_locks(p_paths text[])
    RETURNS TABLE (requested text, path text, mode text, holder text, token bigint, expires_at timestamptz)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    p text;
BEGIN
    IF p_paths IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PC001', MESSAGE = 'paths must not be NULL',
            DETAIL = 'a required argument was NULL; nothing was changed',
            HINT = 'see the function documentation: \df+ coord.check_locks';
    END IF;
    IF pg_catalog.cardinality(p_paths) > 1000 THEN
        RAISE EXCEPTION USING ERRCODE = 'PC002', MESSAGE = 'at most 1000 paths per check',
            DETAIL = 'an argument was malformed, empty, too long or out of range; nothing was changed',
            HINT = 'see the function documentation: \df+ coord.check_locks';
    END IF;
    FOREACH p IN ARRAY p_paths LOOP
        requested := coord_private.normalize_path(p);
        FOR path, mode, holder, token, expires_at IN
            SELECT l.path, l.mode, l.holder, l.token, l.expires_at
              FROM pg_catalog.unnest(coord_private.overlapping_live_locks(requested)) l ORDER BY l.token
        LOOP
            RETURN NEXT;
        END LOOP;
    END LOOP;
END
$$;
    FOREACH v_item IN ARRAY coalesce(v_cfg, '{}') LOOP
        CONTINUE WHEN v_item LIKE 'search_path=%';
        EXECUTE pg_catalog.format('ALTER FUNCTION coord.check_locks(text[]) SET %I = %L',
                                  pg_catalog.split_part(v_item, '=', 1), pg_catalog.substr(v_item, pg_catalog.strpos(v_item, '=') + 1));
    END LOOP;
END
$do$;
COMMENT ON FUNCTION coord.check_locks(text[]) IS
    'agent: the live locks overlapping each given path or pattern (read-only; expired locks are absent). Errors PC001-PC003';

DROP FUNCTION coord.set_path_case(text, text);
DROP TRIGGER locks_path_case_guard ON coord_private.locks;
DROP FUNCTION coord_private.locks_path_case_guard();

\ir ../deploy/paths/coord_private.normalize_path.sql
\ir ../deploy/paths/coord_private.normalize_path_checked.sql
\ir ../deploy/paths/coord_private.segment_regex.sql
\ir ../deploy/paths/coord_private.glob_regex.sql

DROP FUNCTION coord_private.fold_path_case(text);
DROP FUNCTION coord_private.describe_code_point(text);
DROP FUNCTION coord_private.path_refused_regex();
DROP FUNCTION coord_private.path_refused_code_points();
DROP FUNCTION coord_private.check_locks_max_paths();
DROP FUNCTION coord_private.path_max_wildcards();
DROP FUNCTION coord_private.path_max_globstars();
DROP FUNCTION coord_private.path_max_wildcard_segments();
DROP FUNCTION coord_private.path_max_segments();

DELETE FROM coord_private.operations WHERE name = 'set_path_case';

-- settings without path_case. A dropped column keeps its number, so a later deploy
-- would add path_case as column 7 where a fresh deploy makes it 6: the table is
-- rebuilt with its columns numbered as before this change (same columns, defaults,
-- constraints, index, comments, row level security, row).
ALTER TABLE coord_private.settings DROP COLUMN path_case;
DO $do$
DECLARE
    v_old oid := 'coord_private.settings'::regclass;
    v_comment text := pg_catalog.obj_description('coord_private.settings'::regclass, 'pg_class');
    v_rls boolean;
    v_force boolean;
BEGIN
    SELECT c.relrowsecurity, c.relforcerowsecurity INTO v_rls, v_force FROM pg_catalog.pg_class c WHERE c.oid = v_old;
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_policy p WHERE p.polrelid = v_old)
       OR EXISTS (SELECT 1 FROM pg_catalog.pg_trigger t WHERE t.tgrelid = v_old AND NOT t.tgisinternal)
       OR (SELECT c.relacl FROM pg_catalog.pg_class c WHERE c.oid = v_old) IS NOT NULL THEN
        RAISE EXCEPTION 'revert path_hardening: coord_private.settings has policies, triggers or grants this rebuild would lose';
    END IF;
    CREATE TABLE coord_private.settings_rebuilt (LIKE coord_private.settings INCLUDING ALL);
    INSERT INTO coord_private.settings_rebuilt SELECT * FROM coord_private.settings;
    DROP TABLE coord_private.settings;
    ALTER TABLE coord_private.settings_rebuilt RENAME TO settings;
    ALTER INDEX coord_private.settings_rebuilt_pkey RENAME TO settings_pkey;
    IF v_rls THEN
        ALTER TABLE coord_private.settings ENABLE ROW LEVEL SECURITY;
    END IF;
    IF v_force THEN
        ALTER TABLE coord_private.settings FORCE ROW LEVEL SECURITY;
    END IF;
    EXECUTE pg_catalog.format('COMMENT ON TABLE coord_private.settings IS %L', v_comment);
END
$do$;

CREATE VIEW coord.enforcement AS
    SELECT s.enforcement_mode, s.policy_engine, s.updated_at, s.updated_by FROM coord_private.settings s;
COMMENT ON VIEW coord.enforcement IS 'the enforcement mode and the policy engine in force';
GRANT SELECT ON coord.enforcement TO coord_agent, coord_admin, coord_auditor;

DELETE FROM coord_private.error_codes WHERE sqlstate = 'PC021';
UPDATE coord_private.error_codes
   SET description = 'a path is not relative, has .. or empty segments, control characters, or exceeds the maximum length'
 WHERE sqlstate = 'PC003';

-- The definitions above pinned an empty search path, as written before definer_search_path.
\ir ../deploy/definer_search_path/pin.sql
COMMIT;
