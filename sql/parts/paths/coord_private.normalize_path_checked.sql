-- One spelling per path: NFC, relative, no '.', '..' or empty segments, no
-- backslashes or control characters, at most path_max_length() characters.
-- coord_private.normalize_path below answers plain paths itself and calls this for
-- every other one.
CREATE OR REPLACE FUNCTION coord_private.normalize_path_checked(p_path text)
RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
AS $fn$
DECLARE
    v text;
    v_seg text;
    v_segs text[];
BEGIN
    IF p_path IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PC001', MESSAGE = 'path must not be NULL',
            DETAIL = 'a required argument was NULL; nothing was changed',
            HINT = 'paths are relative and /-separated: a/b.py, a/ or a/**/*.py';
    END IF;
    IF p_path ~ '[[:cntrl:]]' THEN
        RAISE EXCEPTION USING ERRCODE = 'PC003', MESSAGE = 'invalid path: control character',
            DETAIL = pg_catalog.format('path %s contains a control character', pg_catalog.quote_literal(pg_catalog.regexp_replace(p_path, '[[:cntrl:]]', '?', 'g'))),
            HINT = 'paths are relative, /-separated, printable';
    END IF;
    v := pg_catalog.normalize(p_path, 'NFC');
    IF v = '' OR v = '/' THEN
        RAISE EXCEPTION USING ERRCODE = 'PC003', MESSAGE = 'invalid path: empty', HINT = 'lock a file (a/b.py), a directory (a/) or a glob (a/**/*.py)',
            DETAIL = 'the path was refused; nothing was changed';
    END IF;
    IF pg_catalog.length(v) > coord_private.path_max_length() THEN
        RAISE EXCEPTION USING ERRCODE = 'PC003', MESSAGE = 'invalid path: too long',
            DETAIL = pg_catalog.format('%s characters (the maximum is %s)', pg_catalog.length(v), coord_private.path_max_length()),
            HINT = 'lock a directory (a/) or a glob instead of a very long path';
    END IF;
    IF pg_catalog.left(v, 1) = '/' THEN
        RAISE EXCEPTION USING ERRCODE = 'PC003', MESSAGE = 'invalid path: absolute',
            DETAIL = pg_catalog.format('path %L starts with /', v), HINT = 'paths are relative to the repository root';
    END IF;
    IF pg_catalog.strpos(v, E'\\') > 0 THEN
        RAISE EXCEPTION USING ERRCODE = 'PC003', MESSAGE = 'invalid path: backslash',
            DETAIL = pg_catalog.format('path %L contains \\', v), HINT = 'use / as the separator';
    END IF;
    v_segs := pg_catalog.string_to_array(CASE WHEN pg_catalog.right(v, 1) = '/' THEN pg_catalog.left(v, -1) ELSE v END, '/');
    FOREACH v_seg IN ARRAY v_segs LOOP
        IF v_seg = '' OR v_seg = '.' OR v_seg = '..' THEN
            RAISE EXCEPTION USING ERRCODE = 'PC003',
                MESSAGE = pg_catalog.format('invalid path: %s segment', CASE v_seg WHEN '' THEN 'empty' ELSE pg_catalog.quote_literal(v_seg) END),
                DETAIL = pg_catalog.format('path %L', v), HINT = 'no empty, . or .. segments: one spelling per path';
        END IF;
        IF pg_catalog.strpos(v_seg, '**') > 0 AND v_seg <> '**' THEN
            RAISE EXCEPTION USING ERRCODE = 'PC003', MESSAGE = 'invalid path: ** must be a whole segment',
                DETAIL = pg_catalog.format('segment %L of %L', v_seg, v),
                HINT = 'paths are relative and /-separated: a/b.py, a/ or a/**/*.py';
        END IF;
        IF v_seg ~ '\[' AND v_seg !~ '^([^\[\]]|\[!?\]?[^\]]+\])*$' THEN
            RAISE EXCEPTION USING ERRCODE = 'PC003', MESSAGE = 'invalid path: unbalanced [ ] class',
                DETAIL = pg_catalog.format('segment %L of %L', v_seg, v),
                HINT = 'paths are relative and /-separated: a/b.py, a/ or a/**/*.py';
        END IF;
    END LOOP;
    IF v ~ '\[' THEN
        -- a class must compile (e.g. no reversed range [z-a])
        BEGIN
            PERFORM '' ~ coord_private.glob_regex(v);
        EXCEPTION WHEN invalid_regular_expression THEN
            RAISE EXCEPTION USING ERRCODE = 'PC003', MESSAGE = 'invalid path: bad [ ] class',
                DETAIL = pg_catalog.format('path %L: %s', v, SQLERRM),
                HINT = 'paths are relative and /-separated: a/b.py, a/ or a/**/*.py';
        END;
    END IF;
    IF v ~ '[*?\[]' AND pg_catalog.right(v, 1) = '/' THEN
        RAISE EXCEPTION USING ERRCODE = 'PC003', MESSAGE = 'invalid path: a glob cannot end with /',
            DETAIL = pg_catalog.format('path %L', v), HINT = 'use dir/** for everything beneath dir';
    END IF;
    RETURN v;
END
$fn$;
COMMENT ON FUNCTION coord_private.normalize_path_checked(text) IS
    'the one spelling of a lease path, or PC001/PC003, by every check (normalize_path''s slow path)';
