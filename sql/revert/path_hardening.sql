-- Revert pgcoord:path_hardening
-- The definitions before the change, exactly: normalize_path, normalize_path_checked,
-- segment_regex and glob_regex as paths.sql made them, check_locks as locks.sql made
-- it (with the settings it has besides search_path, which earlier changes own),
-- coord.enforcement as reads_api.sql made it; everything added is dropped.
BEGIN;
SET LOCAL ROLE coord_owner;

DROP VIEW coord.enforcement;

-- check_locks as locks.sql made it, with the settings earlier changes gave it
-- besides search_path (kept here across the include, which writes them anew;
-- the search path is re-pinned at the end).
SELECT pg_catalog.set_config('pgcoord.revert_check_locks_settings',
                             coalesce(pg_catalog.array_to_string(p.proconfig, E'\n'), ''), true) IS NOT NULL AS kept
  FROM pg_catalog.pg_proc p WHERE p.oid = 'coord.check_locks(text[])'::regprocedure;
\ir ../parts/locks/coord.check_locks.sql
DO $do$
DECLARE
    v_item text;
BEGIN
    FOREACH v_item IN ARRAY pg_catalog.string_to_array(
            pg_catalog.current_setting('pgcoord.revert_check_locks_settings'), E'\n') LOOP
        CONTINUE WHEN v_item LIKE 'search_path=%';
        EXECUTE pg_catalog.format('ALTER FUNCTION coord.check_locks(text[]) SET %I = %L',
                                  pg_catalog.split_part(v_item, '=', 1), pg_catalog.substr(v_item, pg_catalog.strpos(v_item, '=') + 1));
    END LOOP;
END
$do$;

DROP FUNCTION coord.set_path_case(text, text);
DROP TRIGGER locks_path_case_guard ON coord_private.locks;
DROP FUNCTION coord_private.locks_path_case_guard();

\ir ../parts/paths/coord_private.normalize_path.sql
\ir ../parts/paths/coord_private.normalize_path_checked.sql
\ir ../parts/paths/coord_private.segment_regex.sql
\ir ../parts/paths/coord_private.glob_regex.sql

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
\ir ../parts/definer_search_path/pin.sql
COMMIT;
