-- Deploy pgcoord:path_hardening
-- INV-LOCK-EXCL rests on one spelling per file: two spellings of one file would be
-- two leases on it. The red team found spellings that are one file, or look like
-- one, and globs that are a denial of service. What changes:
--
--   * refused (PC003, the code point named as U+XXXX): invisible and format
--     characters (Unicode Cf: soft hyphen, zero-width space/joiners, bidirectional
--     embeddings, overrides and isolates, BOM, ...), C1 controls, non-ASCII white
--     space, fillers and blank characters, variation selectors, noncharacters, and
--     look-alikes of '/' and '\' that NFKC keeps (U+2215 division slash, U+2044
--     fraction slash, U+29F8 big solidus, U+2216 set minus, ...):
--     coord_private.path_refused_code_points() lists them. Explicit code-point
--     ranges, not regex classes: the database's ctype may be C, where [[:space:]]
--     and [[:cntrl:]] know ASCII only.
--   * refused: a path whose compatibility form (NFKC) has a '/' or '\' its NFC form
--     has not, or a segment that NFKC turns into '.' or '..' or makes end with '.':
--     U+FF0F fullwidth solidus, U+FF3C fullwidth reverse solidus, U+FE68, U+FF0E
--     fullwidth full stop, U+2024..2026 dot leaders, U+2100 (a/c), ... A reader, or a
--     tool that applies NFKC, would see another path.
--   * refused: a segment that ends with '.' or a space, or starts with a space
--     (Windows strips trailing dots and spaces: a.py. and a.py are one file there).
--   * mixed-script homoglyphs (Cyrillic е U+0435 for Latin e) are NOT refused: they
--     are different files on every file system, so leases on them are leases on
--     different files and INV-LOCK-EXCL is not at stake. Refusing them would refuse
--     every legitimately non-Latin path.
--   * case: coord_private.settings.path_case, 'sensitive' (the default) or
--     'insensitive' for repositories on case-insensitive file systems (NTFS, APFS by
--     default). Changed only by coord.set_path_case (coord_admin, audited), and only
--     while no lease is live: existing leases were compared under the old rule (a
--     request already spelled under the old rule is refused by a trigger, PC021).
--     Insensitive: coord_private.normalize_path folds case (fold_path_case below:
--     ICU's root locale; without ICU, non-ASCII paths are refused in that mode), so
--     VICTIM/SECRET.PY and victim/secret.py are one spelling; in coord.enforcement.
--   * glob complexity: repeated ** segments collapse to one (a/**/**/b is a/**/b);
--     at most path_max_segments() = 64 segments, path_max_wildcard_segments() = 8
--     segments with a wildcard, path_max_globstars() = 4 '**' and
--     path_max_wildcards() = 32 wildcard characters (*, ?, [) per path (PC003); one
--     coord.check_locks call takes at most check_locks_max_paths() = 100 paths (PC002).
--     segment_regex and glob_regex build the same expressions with less work.
--     Measured (2 cores, hand-run): one comparison of a file with the dearest glob
--     allowed costs ~9x one with src/**/*.py; before, the red team's 340-** glob cost
--     ~8,000x (a plain acquire beside 40 held: 7.8 s before, under 10 ms now).
--
-- coord_private.normalize_path becomes STABLE (it reads the case rule); its callers
-- are the lease API functions (acquire, renew, release, force release, check_locks,
-- check_fence), which evaluate it once per call into a variable, so no plan depends
-- on its volatility. normalize_path_checked (the spelling checks) stays IMMUTABLE.
BEGIN;
SET LOCAL ROLE coord_owner;

UPDATE coord_private.error_codes
   SET description = 'a path is not relative, has . .. or empty segments, control, invisible, bidirectional or separator look-alike characters, a trailing . or space, or exceeds the length, segment or wildcard caps'
 WHERE sqlstate = 'PC003';
INSERT INTO coord_private.error_codes (sqlstate, name, description) VALUES
    ('PC021', 'path_rule_in_use',
     'the path case rule cannot change while a lease is live (leases were compared under the old rule), or it changed while a lease was being granted');

ALTER TABLE coord_private.settings
    ADD COLUMN path_case text NOT NULL DEFAULT 'sensitive' CHECK (path_case IN ('sensitive', 'insensitive'));
COMMENT ON COLUMN coord_private.settings.path_case IS
    'sensitive: lease paths differing in case are different files; insensitive: case is folded (coord.set_path_case)';

INSERT INTO coord_private.operations (name, category, min_trust, description) VALUES
    ('set_path_case', 'admin', 4, 'choose case-sensitive or case-insensitive lease paths (only while no lease is live)');

-- ---------------------------------------------------------------- documented caps
CREATE FUNCTION coord_private.path_max_segments()
RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $fn$ SELECT 64 $fn$;
COMMENT ON FUNCTION coord_private.path_max_segments() IS 'documented maximum number of segments of a lease path (after ** collapse)';

CREATE FUNCTION coord_private.path_max_wildcard_segments()
RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $fn$ SELECT 8 $fn$;
COMMENT ON FUNCTION coord_private.path_max_wildcard_segments() IS
    'documented maximum number of segments of a glob that contain a wildcard (*, ?, [...], ** included)';

CREATE FUNCTION coord_private.path_max_globstars()
RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $fn$ SELECT 4 $fn$;
COMMENT ON FUNCTION coord_private.path_max_globstars() IS
    'documented maximum number of ** segments of a glob, after repeated ** segments collapse to one';

CREATE FUNCTION coord_private.path_max_wildcards()
RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $fn$ SELECT 32 $fn$;
COMMENT ON FUNCTION coord_private.path_max_wildcards() IS
    'documented maximum number of wildcard characters (*, ?, [) in a glob: a class counts once, a ** twice';

CREATE FUNCTION coord_private.check_locks_max_paths()
RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $fn$ SELECT 100 $fn$;
COMMENT ON FUNCTION coord_private.check_locks_max_paths() IS 'documented maximum number of paths one coord.check_locks call takes';

-- ---------------------------------------------------------------- refused code points
-- Every code point a lease path may not contain besides the ASCII controls
-- ([[:cntrl:]] below): first and last code point of each range and what it is.
CREATE FUNCTION coord_private.path_refused_code_points()
RETURNS TABLE (first_cp integer, last_cp integer, what text)
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $fn$
    SELECT v.f, v.l, v.w FROM (VALUES
        (x'0080'::integer,  x'009F'::integer,  'a C1 control character'),
        (x'00A0'::integer,  x'00A0'::integer,  'a non-ASCII space (no-break space)'),
        (x'00AD'::integer,  x'00AD'::integer,  'an invisible format character (soft hyphen)'),
        (x'034F'::integer,  x'034F'::integer,  'an invisible character (combining grapheme joiner)'),
        (x'0600'::integer,  x'0605'::integer,  'an invisible format character (Arabic number sign)'),
        (x'061C'::integer,  x'061C'::integer,  'a bidirectional control (Arabic letter mark)'),
        (x'06DD'::integer,  x'06DD'::integer,  'an invisible format character (Arabic end of ayah)'),
        (x'070F'::integer,  x'070F'::integer,  'an invisible format character (Syriac abbreviation mark)'),
        (x'0890'::integer,  x'0891'::integer,  'an invisible format character (Arabic pound/piastre mark above)'),
        (x'08E2'::integer,  x'08E2'::integer,  'an invisible format character (Arabic disputed end of ayah)'),
        (x'115F'::integer,  x'1160'::integer,  'an invisible filler (Hangul choseong/jungseong filler)'),
        (x'1680'::integer,  x'1680'::integer,  'a non-ASCII space (Ogham space mark)'),
        (x'1735'::integer,  x'1735'::integer,  'a look-alike of the separator / (Philippine single punctuation)'),
        (x'180B'::integer,  x'180F'::integer,  'an invisible variation selector or separator (Mongolian)'),
        (x'2000'::integer,  x'200A'::integer,  'a non-ASCII space'),
        (x'200B'::integer,  x'200F'::integer,  'an invisible format character (zero-width space/joiner, bidirectional mark)'),
        (x'2028'::integer,  x'2029'::integer,  'a line or paragraph separator'),
        (x'202A'::integer,  x'202E'::integer,  'a bidirectional embedding or override'),
        (x'202F'::integer,  x'202F'::integer,  'a non-ASCII space (narrow no-break space)'),
        (x'205F'::integer,  x'205F'::integer,  'a non-ASCII space (medium mathematical space)'),
        (x'2044'::integer,  x'2044'::integer,  'a look-alike of the separator / (fraction slash)'),
        (x'2060'::integer,  x'206F'::integer,  'an invisible format character (word joiner, invisible operator, bidirectional isolate)'),
        (x'2215'::integer,  x'2215'::integer,  'a look-alike of the separator / (division slash)'),
        (x'2216'::integer,  x'2216'::integer,  'a look-alike of \ (set minus)'),
        (x'2571'::integer,  x'2572'::integer,  'a look-alike of / or \ (box drawings diagonal)'),
        (x'27CB'::integer,  x'27CB'::integer,  'a look-alike of the separator / (mathematical rising diagonal)'),
        (x'27CD'::integer,  x'27CD'::integer,  'a look-alike of \ (mathematical falling diagonal)'),
        (x'29F5'::integer,  x'29F5'::integer,  'a look-alike of \ (reverse solidus operator)'),
        (x'29F8'::integer,  x'29F9'::integer,  'a look-alike of / or \ (big solidus, big reverse solidus)'),
        (x'2AFD'::integer,  x'2AFD'::integer,  'a look-alike of // (double solidus operator)'),
        (x'2800'::integer,  x'2800'::integer,  'a blank character (Braille pattern blank)'),
        (x'3000'::integer,  x'3000'::integer,  'a non-ASCII space (ideographic space)'),
        (x'3164'::integer,  x'3164'::integer,  'an invisible filler (Hangul filler)'),
        (x'FDD0'::integer,  x'FDEF'::integer,  'a noncharacter'),
        (x'FE00'::integer,  x'FE0F'::integer,  'a variation selector'),
        (x'FEFF'::integer,  x'FEFF'::integer,  'an invisible format character (zero-width no-break space, BOM)'),
        (x'FFA0'::integer,  x'FFA0'::integer,  'an invisible filler (halfwidth Hangul filler)'),
        (x'FFF9'::integer,  x'FFFB'::integer,  'an invisible format character (interlinear annotation)'),
        (x'110BD'::integer, x'110BD'::integer, 'an invisible format character (Kaithi number sign)'),
        (x'110CD'::integer, x'110CD'::integer, 'an invisible format character (Kaithi number sign above)'),
        (x'13430'::integer, x'1343F'::integer, 'an invisible format character (Egyptian hieroglyph format control)'),
        (x'1BCA0'::integer, x'1BCA3'::integer, 'an invisible format character (shorthand format control)'),
        (x'1D173'::integer, x'1D17A'::integer, 'an invisible format character (musical symbol format control)'),
        (x'E0001'::integer, x'E0001'::integer, 'an invisible format character (language tag)'),
        (x'E0020'::integer, x'E007F'::integer, 'an invisible format character (tag)'),
        (x'E0100'::integer, x'E01EF'::integer, 'a variation selector')) v(f, l, w)
    UNION ALL
    SELECT p * 65536 + 65534, p * 65536 + 65535, 'a noncharacter' FROM pg_catalog.generate_series(0, 16) p
$fn$;
COMMENT ON FUNCTION coord_private.path_refused_code_points() IS
    'the code points a lease path may not contain besides ASCII controls: invisible/format (Cf), C1 controls, non-ASCII spaces, fillers, variation selectors, noncharacters';

-- The ranges above as one regular-expression bracket. IMMUTABLE without arguments:
-- where it is called in an expression the planner evaluates it once, so a check is
-- one regex test of a compiled (cached) expression.
CREATE FUNCTION coord_private.path_refused_regex()
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $fn$
    SELECT '[' || pg_catalog.string_agg(
               pg_catalog.chr(r.first_cp) || CASE WHEN r.last_cp > r.first_cp THEN '-' || pg_catalog.chr(r.last_cp) ELSE '' END,
               '' ORDER BY r.first_cp) || ']'
      FROM coord_private.path_refused_code_points() r
$fn$;
COMMENT ON FUNCTION coord_private.path_refused_regex() IS
    'a regular-expression bracket matching every code point of coord_private.path_refused_code_points()';

-- U+XXXX and what the character is, for messages.
CREATE FUNCTION coord_private.describe_code_point(p_char text)
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $fn$
    SELECT 'U+' || pg_catalog.lpad(pg_catalog.upper(pg_catalog.to_hex(pg_catalog.ascii(p_char))),
                                   GREATEST(4, pg_catalog.length(pg_catalog.to_hex(pg_catalog.ascii(p_char)))), '0')
           || coalesce(', ' || (SELECT r.what FROM coord_private.path_refused_code_points() r
                                 WHERE pg_catalog.ascii(p_char) BETWEEN r.first_cp AND r.last_cp LIMIT 1), '')
$fn$;
COMMENT ON FUNCTION coord_private.describe_code_point(text) IS 'a character as U+XXXX, with what it is when paths refuse it';

-- ---------------------------------------------------------------- case folding
-- fold_path_case: the one spelling of a path's case under path_case = 'insensitive'.
-- With ICU (the "und-x-icu" collation, PostgreSQL built with ICU): lower(upper(lower(x)))
-- under the root locale, then NFC. The database's own ctype may be C, where lower()
-- folds ASCII only. lower() first and upper() next merge what Unicode case folding
-- merges (ẞ and ß and ss, ſ and s, K and the Kelvin sign) and what the
-- simple uppercase comparison of NTFS merges (ı and i, ς and σ); the final lower()
-- gives a readable spelling. tests/test_paths_adversarial.py checks this against
-- every code point: it merges every pair Python's casefold(), upper() or lower()
-- merge, and it is idempotent.
-- Without ICU no correct fold of non-ASCII text is available, so the safe choice is
-- made: ASCII is folded, and a path with a non-ASCII character is refused (PC003) in
-- insensitive mode rather than compared by a rule that could miss a case pair.
DO $do$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_collation c
                WHERE c.collname = 'und-x-icu' AND c.collnamespace = 'pg_catalog'::regnamespace) THEN
        CREATE FUNCTION coord_private.fold_path_case(p_path text)
        RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
        AS $fn$
            SELECT pg_catalog.normalize(pg_catalog.lower(pg_catalog.upper(pg_catalog.lower(p_path COLLATE "und-x-icu"))), 'NFC')
        $fn$;
    ELSE
        CREATE FUNCTION coord_private.fold_path_case(p_path text)
        RETURNS text LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
        AS $fn$
        BEGIN
            IF pg_catalog.octet_length(p_path) <> pg_catalog.length(p_path) THEN
                RAISE EXCEPTION USING ERRCODE = 'PC003', MESSAGE = 'invalid path: non-ASCII in a case-insensitive repository without ICU',
                    DETAIL = pg_catalog.format('path %L: this server has no ICU collation to fold the case of non-ASCII characters', p_path),
                    HINT = 'use ASCII paths, or a PostgreSQL built with ICU, or path_case = sensitive';
            END IF;
            RETURN pg_catalog.lower(p_path COLLATE "C");
        END
        $fn$;
    END IF;
END
$do$;
COMMENT ON FUNCTION coord_private.fold_path_case(text) IS
    'the case-folded spelling of a path (ICU root locale: NFC(lower(upper(lower(p))))); without ICU: ASCII folded, non-ASCII refused with PC003';

-- ---------------------------------------------------------------- the spelling checks
-- One spelling per path: NFC, relative, no '.', '..' or empty segments, no
-- backslash, control, invisible or format character (see the header), no segment
-- whose NFKC form is or holds a separator or ends with '.', no segment that ends
-- with '.' or a space or starts with a space, repeated ** collapsed, within the
-- caps above. Case is not folded here (that needs the setting; normalize_path does
-- it), so this stays IMMUTABLE.
CREATE OR REPLACE FUNCTION coord_private.normalize_path_checked(p_path text)
RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
AS $fn$
DECLARE
    v text;
    v_body text;          -- v without the trailing '/' of a directory
    v_ascii boolean;
    v_seg text;
    v_segs text[];
    v_c text;
    v_k text;
    v_ksegs text[];
    v_n integer;
BEGIN
    -- Every expression of a PL/pgSQL function is set up again in each transaction, so
    -- a valid path passes few, broad tests; a path one of them flags goes through the
    -- detailed checks below it, which find the rule it breaks for the message.
    IF p_path IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PC001', MESSAGE = 'path must not be NULL',
            DETAIL = 'a required argument was NULL; nothing was changed',
            HINT = 'paths are relative and /-separated: a/b.py, a/ or a/**/*.py';
    END IF;
    v_ascii := pg_catalog.octet_length(p_path) = pg_catalog.length(p_path);
    IF v_ascii THEN
        v := p_path;                     -- ASCII is its own NFC and NFKC
    ELSE
        -- before [[:cntrl:]], which knows C1 controls only in some ctypes: one message everywhere
        IF p_path ~ coord_private.path_refused_regex() THEN
            v_c := pg_catalog.substring(p_path, coord_private.path_refused_regex());
            RAISE EXCEPTION USING ERRCODE = 'PC003',
                MESSAGE = pg_catalog.format('invalid path: %s', coord_private.describe_code_point(v_c)),
                DETAIL = pg_catalog.format('path %s (each such character shown as ?) has %s at character %s',
                             pg_catalog.quote_literal(pg_catalog.regexp_replace(pg_catalog.regexp_replace(p_path, coord_private.path_refused_regex(), '?', 'g'), '[[:cntrl:]]', '?', 'g')),
                             coord_private.describe_code_point(v_c), pg_catalog.strpos(p_path, v_c)),
                HINT = 'invisible, format, bidirectional-control, non-ASCII space, filler, variation-selector and separator look-alike characters make a path look like another one: remove it';
        END IF;
        v := pg_catalog.normalize(p_path, 'NFC');
        -- Look-alike separators and dots. NFKC never maps '/' to anything else, so the
        -- segments correspond one to one unless NFKC made a new '/'.
        v_k := pg_catalog.normalize(v, 'NFKC');
        IF v_k <> v THEN
            v_segs := pg_catalog.string_to_array(v, '/');
            v_ksegs := pg_catalog.string_to_array(v_k, '/');
            FOR i IN 1 .. pg_catalog.cardinality(v_ksegs) LOOP
                IF pg_catalog.cardinality(v_ksegs) <> pg_catalog.cardinality(v_segs) OR pg_catalog.strpos(v_ksegs[i], E'\\') > 0
                   OR (v_ksegs[i] <> v_segs[i] AND (v_ksegs[i] IN ('.', '..') OR pg_catalog.right(v_ksegs[i], 1) = '.')) THEN
                    SELECT c INTO v_c
                      FROM pg_catalog.regexp_split_to_table(v, '') WITH ORDINALITY AS t(c, n)
                     WHERE c NOT IN ('/', '.') AND pg_catalog.normalize(c, 'NFKC') ~ '[/\\.]'
                     ORDER BY n LIMIT 1;
                    RAISE EXCEPTION USING ERRCODE = 'PC003',
                        MESSAGE = pg_catalog.format('invalid path: %s looks like a separator or a dot',
                                                    coord_private.describe_code_point(coalesce(v_c, '?'))),
                        DETAIL = pg_catalog.format('path %L reads as %L in its compatibility form (NFKC): another path, or a . or .. segment, or a segment ending with .', v, v_k),
                        HINT = 'use / as the only separator and ASCII . for dots';
                END IF;
            END LOOP;
        END IF;
    END IF;
    v_body := CASE WHEN pg_catalog.right(v, 1) = '/' THEN pg_catalog.left(v, -1) ELSE v END;

    -- ---------------------------------------------------------------- globs
    IF v_body ~ '[*?\[]' AND pg_catalog.length(v) <= coord_private.path_max_length() THEN
        -- a/**/**/b covers exactly what a/**/b covers (whole ** segments only)
        IF pg_catalog.strpos('/' || v_body || '/', '/**/**/') > 0 THEN
            v_body := pg_catalog.regexp_replace(v_body, '(^|/)\*\*(/\*\*)+(?=/|$)', '\1**', 'g');
            v := v_body || CASE WHEN pg_catalog.right(v, 1) = '/' THEN '/' ELSE '' END;
        END IF;
        -- ** within a segment, a glob ending with /, too many ** or wildcard characters
        -- (string functions, no regular expressions: a backend caches 32 compiled ones)
        IF pg_catalog.right(v, 1) = '/'
           OR pg_catalog.strpos(pg_catalog.replace('/' || v_body || '/', '/**/', '/'), '**') > 0
           OR pg_catalog.length(v_body) + 2 - pg_catalog.length(pg_catalog.replace('/' || v_body || '/', '/**/', '/'))
              > 3 * coord_private.path_max_globstars()
           OR pg_catalog.length(v_body) - pg_catalog.length(pg_catalog.translate(v_body, '*?[', ''))
              > coord_private.path_max_wildcards() THEN
            FOREACH v_seg IN ARRAY pg_catalog.string_to_array(v_body, '/') LOOP
                IF pg_catalog.strpos(v_seg, '**') > 0 AND v_seg <> '**' THEN
                    RAISE EXCEPTION USING ERRCODE = 'PC003', MESSAGE = 'invalid path: ** must be a whole segment',
                        DETAIL = pg_catalog.format('segment %L of %L', v_seg, v),
                        HINT = 'paths are relative and /-separated: a/b.py, a/ or a/**/*.py';
                END IF;
            END LOOP;
            IF pg_catalog.right(v, 1) = '/' THEN
                RAISE EXCEPTION USING ERRCODE = 'PC003', MESSAGE = 'invalid path: a glob cannot end with /',
                    DETAIL = pg_catalog.format('path %L', v), HINT = 'use dir/** for everything beneath dir';
            END IF;
            RAISE EXCEPTION USING ERRCODE = 'PC003', MESSAGE = 'invalid path: too complex',
                DETAIL = pg_catalog.format('%s ** segments (at most %s), %s wildcard characters *, ?, [ (at most %s) in %L',
                    (pg_catalog.length(v_body) + 2 - pg_catalog.length(pg_catalog.replace('/' || v_body || '/', '/**/', '/'))) / 3,
                    coord_private.path_max_globstars(),
                    pg_catalog.length(v_body) - pg_catalog.length(pg_catalog.translate(v_body, '*?[', '')),
                    coord_private.path_max_wildcards(), v),
                HINT = 'lock a directory (a/) or a simpler glob: every lease request compares its path with the live globs';
        END IF;
        -- segments with a wildcard: never more than the wildcard characters
        IF pg_catalog.length(v_body) - pg_catalog.length(pg_catalog.translate(v_body, '*?[', ''))
           > coord_private.path_max_wildcard_segments() THEN
            v_n := 0;
            FOREACH v_seg IN ARRAY pg_catalog.string_to_array(v_body, '/') LOOP
                IF v_seg ~ '[*?\[]' THEN
                    v_n := v_n + 1;
                END IF;
            END LOOP;
            IF v_n > coord_private.path_max_wildcard_segments() THEN
                RAISE EXCEPTION USING ERRCODE = 'PC003', MESSAGE = 'invalid path: too complex',
                    DETAIL = pg_catalog.format('%s segments with a wildcard (at most %s) in %L', v_n, coord_private.path_max_wildcard_segments(), v),
                    HINT = 'lock a directory (a/) or a simpler glob: every lease request compares its path with the live globs';
            END IF;
        END IF;
        IF pg_catalog.strpos(v_body, '[') > 0 THEN
            FOREACH v_seg IN ARRAY pg_catalog.string_to_array(v_body, '/') LOOP
                IF v_seg ~ '\[' AND v_seg !~ '^([^\[\]]|\[!?\]?[^\]]+\])*$' THEN
                    RAISE EXCEPTION USING ERRCODE = 'PC003', MESSAGE = 'invalid path: unbalanced [ ] class',
                        DETAIL = pg_catalog.format('segment %L of %L', v_seg, v),
                        HINT = 'paths are relative and /-separated: a/b.py, a/ or a/**/*.py';
                END IF;
            END LOOP;
            -- a class must compile (e.g. no reversed range [z-a])
            BEGIN
                PERFORM '' ~ coord_private.glob_regex(v);
            EXCEPTION WHEN invalid_regular_expression THEN
                RAISE EXCEPTION USING ERRCODE = 'PC003', MESSAGE = 'invalid path: bad [ ] class',
                    DETAIL = pg_catalog.format('path %L: %s', v, SQLERRM),
                    HINT = 'paths are relative and /-separated: a/b.py, a/ or a/**/*.py';
            END;
        END IF;
    END IF;

    -- ---------------------------------------------------------------- every path
    -- controls, backslash, length, segments: empty, '.', '..', ending with '.' or
    -- ' ', starting with ' ' (Windows strips trailing dots and spaces), their number
    -- (129 characters are needed for 65 segments)
    IF v_body ~ '[[:cntrl:]\\]|(^|/)( |/|$)|[. ](/|$)' OR pg_catalog.length(v) > coord_private.path_max_length()
       OR (pg_catalog.length(v_body) > 128
           AND pg_catalog.length(v_body) - pg_catalog.length(pg_catalog.replace(v_body, '/', '')) >= coord_private.path_max_segments()) THEN
        IF p_path ~ '[[:cntrl:]]' THEN
            RAISE EXCEPTION USING ERRCODE = 'PC003', MESSAGE = 'invalid path: control character',
                DETAIL = pg_catalog.format('path %s contains a control character', pg_catalog.quote_literal(pg_catalog.regexp_replace(p_path, '[[:cntrl:]]', '?', 'g'))),
                HINT = 'paths are relative, /-separated, printable';
        END IF;
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
        v_n := 0;
        FOREACH v_seg IN ARRAY pg_catalog.string_to_array(v_body, '/') LOOP
            IF v_seg = '' OR v_seg = '.' OR v_seg = '..' THEN
                RAISE EXCEPTION USING ERRCODE = 'PC003',
                    MESSAGE = pg_catalog.format('invalid path: %s segment', CASE v_seg WHEN '' THEN 'empty' ELSE pg_catalog.quote_literal(v_seg) END),
                    DETAIL = pg_catalog.format('path %L', v), HINT = 'no empty, . or .. segments: one spelling per path';
            END IF;
            IF pg_catalog.right(v_seg, 1) IN ('.', ' ') OR pg_catalog.left(v_seg, 1) = ' ' THEN
                RAISE EXCEPTION USING ERRCODE = 'PC003',
                    MESSAGE = CASE WHEN pg_catalog.right(v_seg, 1) = '.' THEN 'invalid path: a segment ends with .'
                                   ELSE 'invalid path: a segment starts or ends with a space' END,
                    DETAIL = pg_catalog.format('segment %L of %L', v_seg, v),
                    HINT = 'Windows strips trailing dots and spaces (a.py. and a.py are one file there): name the file without them';
            END IF;
            v_n := v_n + 1;
        END LOOP;
        RAISE EXCEPTION USING ERRCODE = 'PC003', MESSAGE = 'invalid path: too many segments',
            DETAIL = pg_catalog.format('%s segments (at most %s)', v_n, coord_private.path_max_segments()),
            HINT = 'lock a directory (a/) or a glob instead of a very deep path';
    END IF;
    RETURN v;
END
$fn$;
COMMENT ON FUNCTION coord_private.normalize_path_checked(text) IS
    'the one spelling of a lease path before case folding, or PC001/PC003, by every check (normalize_path''s slow path); refuses invisible/format characters and NFKC look-alike separators, keeps homoglyphs (other files)';

-- Every lease request normalises its path. A plain path - ASCII letters, digits,
-- '_', '-', '.', non-empty segments none of which ends with '.', an optional
-- trailing '/', at most path_max_segments() segments - passes every check of
-- normalize_path_checked unchanged (ASCII is its own NFC and NFKC), so it is
-- answered here; anything else takes the full check.
-- Case: a path that case folding cannot change (no A-Z, ASCII only) is returned
-- without reading the setting; any other reads coord_private.settings.path_case
-- and, when insensitive, is folded and checked again. Reading the setting makes
-- this STABLE (it was IMMUTABLE). Its callers, the lease API functions, evaluate it
-- once per call into a variable (PL/pgSQL) or as a parameter-dependent argument
-- (check_fence), so no cached plan folds it at plan time; nothing indexes it.
-- tests/test_paths_normalization.py and tests/test_paths_adversarial.py check that
-- it equals normalize_path_checked (then fold_path_case, when insensitive).
CREATE OR REPLACE FUNCTION coord_private.normalize_path(p_path text)
RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE
AS $fn$
DECLARE
    v text;
BEGIN
    -- The common case, one test: plain, lower case, at most 128 characters (129 are
    -- needed for 65 segments).
    IF p_path ~ '^[a-z0-9_.-]*[a-z0-9_-](/[a-z0-9_.-]*[a-z0-9_-])*/?$' AND pg_catalog.length(p_path) <= 128 THEN
        RETURN p_path;
    END IF;
    -- Plain with upper case, or longer (then the slashes are counted).
    IF p_path ~ '^[A-Za-z0-9_.-]*[A-Za-z0-9_-](/[A-Za-z0-9_.-]*[A-Za-z0-9_-])*/?$'
       AND (pg_catalog.length(p_path) <= 128
            OR (pg_catalog.length(p_path) <= coord_private.path_max_length()
                AND pg_catalog.length(p_path) - pg_catalog.length(pg_catalog.replace(p_path, '/', '')) < coord_private.path_max_segments())) THEN
        IF p_path = pg_catalog.lower(p_path COLLATE "C") THEN
            RETURN p_path;
        END IF;
        IF (SELECT s.path_case FROM coord_private.settings s) = 'insensitive' THEN
            RETURN pg_catalog.lower(p_path COLLATE "C");    -- still plain: no class to re-check
        END IF;
        RETURN p_path;
    END IF;
    v := coord_private.normalize_path_checked(p_path);
    -- Windows (and the case-insensitive mode is for Windows and macOS checkouts)
    -- reads 'a.py:x' and 'a.py::$DATA' as streams of a.py: another name for it.
    IF pg_catalog.strpos(v, ':') > 0 AND (SELECT s.path_case FROM coord_private.settings s) = 'insensitive' THEN
        RAISE EXCEPTION USING ERRCODE = 'PC003', MESSAGE = 'invalid path: '':'' in a case-insensitive repository',
            DETAIL = pg_catalog.format('path %L: on Windows a name with '':'' is a stream of another file (a.py::$DATA is a.py)', v),
            HINT = 'remove the '':''; case-insensitive mode is for Windows and macOS checkouts';
    END IF;
    IF pg_catalog.octet_length(v) = pg_catalog.length(v) AND v = pg_catalog.lower(v COLLATE "C") THEN
        RETURN v;
    END IF;
    IF (SELECT s.path_case FROM coord_private.settings s) = 'insensitive' THEN
        -- checked again: folding can lengthen a path or turn a class into a reversed range
        RETURN coord_private.normalize_path_checked(coord_private.fold_path_case(v));
    END IF;
    RETURN v;
END
$fn$;
COMMENT ON FUNCTION coord_private.normalize_path(text) IS
    'the one spelling of a lease path (case folded when coord_private.settings.path_case is insensitive), or PC001/PC003';

-- ---------------------------------------------------------------- glob regexes, cheaper
-- Every lease request compares its path with the live globs on its anchor line,
-- and each comparison of a file with a glob builds the glob's regular expression.
-- The same expressions as before (paths.sql), built faster: segment_regex escapes
-- a run of literal characters with one regexp_replace instead of one per
-- character, and glob_regex is PL/pgSQL (an SQL function with an aggregate is
-- planned afresh on every call). tests/test_paths_adversarial.py compares both with
-- the definitions of paths.sql on generated globs.
CREATE OR REPLACE FUNCTION coord_private.segment_regex(p_seg text)
RETURNS text LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
AS $fn$
DECLARE
    v text := '';
    c text;
    i integer := 1;
    n integer := pg_catalog.length(p_seg);
    j integer;
    k integer;
    cls text;
BEGIN
    WHILE i <= n LOOP
        c := pg_catalog.substr(p_seg, i, 1);
        IF c = '*' THEN
            v := v || '[^/]*';
        ELSIF c = '?' THEN
            v := v || '[^/]';
        ELSIF c = '[' THEN
            -- [...] / [!...]: the first character after [ or [! belongs to the
            -- class even when it is ]; a leading ^ is a literal, not a negation.
            k := i + 1;
            IF pg_catalog.substr(p_seg, k, 1) = '!' THEN k := k + 1; END IF;
            j := pg_catalog.strpos(pg_catalog.substr(p_seg, k + 1), ']') + k;
            cls := pg_catalog.substr(p_seg, k, j - k);
            IF pg_catalog.left(cls, 1) = '^' THEN cls := '\^' || pg_catalog.substr(cls, 2); END IF;
            -- A class stays within its segment: a negated class excludes '/' too, and a
            -- positive one (a range such as [+-0] spans '/') never matches it.
            v := v || CASE WHEN k > i + 1 THEN '[^' || cls || '/]' ELSE '(?!/)[' || cls || ']' END;
            i := j;
        ELSE
            -- the whole run of literal characters from here
            c := pg_catalog.substring(pg_catalog.substr(p_seg, i), '^[^*?\[]+');
            v := v || pg_catalog.regexp_replace(c, '([.^$+(){}|\\\]\[])', '\\\1', 'g');
            i := i + pg_catalog.length(c) - 1;
        END IF;
        i := i + 1;
    END LOOP;
    RETURN '^' || v || '$';
END
$fn$;
COMMENT ON FUNCTION coord_private.segment_regex(text) IS 'an anchored regular expression matching one glob segment';

CREATE OR REPLACE FUNCTION coord_private.glob_regex(p_glob text)
RETURNS text LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
AS $fn$
DECLARE
    v_segs text[] := pg_catalog.string_to_array(p_glob, '/');
    n integer := coalesce(pg_catalog.cardinality(v_segs), 0);
    v text := '^';
    r text;
BEGIN
    IF n = 0 THEN
        RETURN NULL;    -- as the aggregate over no segment was
    END IF;
    FOR i IN 1 .. n LOOP
        IF v_segs[i] = '**' THEN
            v := v || CASE WHEN i < n THEN '(.*/)?' ELSE '.*' END;
        ELSE
            r := coord_private.segment_regex(v_segs[i]);      -- '^...$'
            v := v || pg_catalog.substr(r, 2, pg_catalog.length(r) - 2) || CASE WHEN i < n THEN '/' ELSE '' END;
        END IF;
    END LOOP;
    RETURN v || '$';
END
$fn$;
COMMENT ON FUNCTION coord_private.glob_regex(text) IS 'an anchored regular expression matching the file paths a glob covers';

-- ---------------------------------------------------------------- the case rule
-- A grant is decided on a spelling computed before the request takes its line
-- locks. coord.set_path_case takes the root line exclusively, which every request
-- shares, but a request that spelled its path under the old rule and then waited
-- for that lock would insert a spelling of the old rule. This trigger refuses
-- such a row (PC021: retry). A path case folding cannot change (lower-case ASCII,
-- nearly every path) passes on one test. No WHEN clause: PostgreSQL sets a WHEN
-- clause up again for every INSERT statement, which costs more than this call.
CREATE FUNCTION coord_private.locks_path_case_guard()
RETURNS trigger LANGUAGE plpgsql
AS $fn$
BEGIN
    IF NEW.path = pg_catalog.lower(NEW.path COLLATE "C") AND pg_catalog.octet_length(NEW.path) = pg_catalog.length(NEW.path) THEN
        RETURN NEW;
    END IF;
    IF (SELECT s.path_case FROM coord_private.settings s) = 'insensitive'
       AND NEW.path IS DISTINCT FROM coord_private.normalize_path(NEW.path) THEN
        RAISE EXCEPTION USING ERRCODE = 'PC021', MESSAGE = 'the path case rule changed while this lease was requested',
            DETAIL = pg_catalog.format('%L is not the spelling of its path under the case rule now in force (insensitive); nothing was changed', NEW.path),
            HINT = 'retry the request';
    END IF;
    RETURN NEW;
END
$fn$;
COMMENT ON FUNCTION coord_private.locks_path_case_guard() IS
    'trigger: refuses (PC021) a lease row spelled under a case rule that changed while it was requested';
CREATE TRIGGER locks_path_case_guard BEFORE INSERT ON coord_private.locks
    FOR EACH ROW EXECUTE FUNCTION coord_private.locks_path_case_guard();

CREATE FUNCTION coord.set_path_case(p_case text, p_reason text,
    OUT ok boolean, OUT reason text, OUT event_id bigint)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v coord_private.verdict;
    v_old text;
    v_live bigint;
BEGIN
    IF p_case IS NULL OR p_reason IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PC001', MESSAGE = 'case rule and reason must not be NULL',
            DETAIL = 'a required argument was NULL; nothing was changed',
            HINT = 'e.g. coord.set_path_case(''insensitive'', ''repository is checked out on NTFS'')';
    END IF;
    IF p_case NOT IN ('sensitive', 'insensitive') THEN
        RAISE EXCEPTION USING ERRCODE = 'PC002', MESSAGE = pg_catalog.format('invalid path case rule %L', p_case),
            DETAIL = 'an argument was malformed, empty, too long or out of range; nothing was changed',
            HINT = 'sensitive or insensitive';
    END IF;
    IF pg_catalog.length(pg_catalog.btrim(p_reason)) = 0 OR pg_catalog.length(p_reason) > 1000 THEN
        RAISE EXCEPTION USING ERRCODE = 'PC002', MESSAGE = 'reason must be 1 to 1000 characters',
            DETAIL = 'a change of the path case rule is audited with its reason',
            HINT = 'see the function documentation: \df+ coord.set_path_case';
    END IF;
    PERFORM coord_private.require_read_committed();
    -- Every lease request locks the root line in shared mode: holding it exclusively,
    -- no request is between its conflict check and its commit, and the count below
    -- sees every grant (coord_private.locks_path_case_guard covers requests that
    -- spelled their path before this lock and wait for it).
    PERFORM coord_private.lock_anchor_line('');
    SELECT s.path_case INTO v_old FROM coord_private.settings s;
    IF v_old <> p_case THEN
        SELECT pg_catalog.count(*) INTO v_live FROM coord_private.locks l
         WHERE l.expires_at > coord_private.current_time();
        IF v_live > 0 THEN
            RAISE EXCEPTION USING ERRCODE = 'PC021',
                MESSAGE = pg_catalog.format('cannot change the path case rule from %s to %s while leases are live', v_old, p_case),
                DETAIL = pg_catalog.format('%s live lease(s) were compared under the %s rule; nothing was changed', v_live, v_old),
                HINT = 'wait until coord.live_locks is empty (leases released or expired), then change the rule';
        END IF;
    END IF;
    v := coord_private.authorize('set_path_case', p_case,
        pg_catalog.jsonb_build_object('from', v_old, 'to', p_case, 'why', p_reason));
    IF v.proceed THEN
        UPDATE coord_private.settings
           SET path_case = p_case, updated_at = pg_catalog.now(), updated_by = session_user;
    END IF;
    ok := v.proceed; reason := v.reason; event_id := v.event_id;
END
$$;
COMMENT ON FUNCTION coord.set_path_case(text, text) IS
    'coord_admin: sensitive or insensitive lease paths (insensitive: VICTIM/A.PY and victim/a.py are one lease path), only while no lease is live; audited with its reason. Errors PC001, PC002, PC015, PC021';
REVOKE ALL ON FUNCTION coord.set_path_case(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION coord.set_path_case(text, text) TO coord_admin;

-- check_locks: at most check_locks_max_paths() paths per call (was 1000). The body
-- is locks.sql's with that cap; CREATE OR REPLACE resets a function's settings, so
-- whatever settings an earlier change gave it besides search_path (e.g. a
-- lock_timeout) are put back as they were.
DO $do$
DECLARE
    v_cfg text[] := (SELECT p.proconfig FROM pg_catalog.pg_proc p WHERE p.oid = 'coord.check_locks(text[])'::regprocedure);
    v_item text;
BEGIN
    CREATE OR REPLACE FUNCTION coord.check_locks(p_paths text[])
    RETURNS TABLE (requested text, path text, mode text, holder text, token bigint, expires_at timestamptz)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $fn$
    DECLARE
        p text;
    BEGIN
        IF p_paths IS NULL THEN
            RAISE EXCEPTION USING ERRCODE = 'PC001', MESSAGE = 'paths must not be NULL',
                DETAIL = 'a required argument was NULL; nothing was changed',
                HINT = 'see the function documentation: \df+ coord.check_locks';
        END IF;
        -- Each path costs a lease request's conflict search (its comparison with every
        -- live glob on its anchor line): the number of paths bounds one call's work.
        IF pg_catalog.cardinality(p_paths) > coord_private.check_locks_max_paths() THEN
            RAISE EXCEPTION USING ERRCODE = 'PC002',
                MESSAGE = pg_catalog.format('at most %s paths per check', coord_private.check_locks_max_paths()),
                DETAIL = pg_catalog.format('%s paths were given; an argument was malformed, empty, too long or out of range; nothing was changed',
                                           pg_catalog.cardinality(p_paths)),
                HINT = 'split the paths into several calls, or check a directory (a/) or a glob that covers them';
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
    $fn$;
    FOREACH v_item IN ARRAY coalesce(v_cfg, '{}') LOOP
        CONTINUE WHEN v_item LIKE 'search_path=%';
        EXECUTE pg_catalog.format('ALTER FUNCTION coord.check_locks(text[]) SET %I = %L',
                                  pg_catalog.split_part(v_item, '=', 1), pg_catalog.substr(v_item, pg_catalog.strpos(v_item, '=') + 1));
    END LOOP;
END
$do$;
COMMENT ON FUNCTION coord.check_locks(text[]) IS
    'agent: the live locks overlapping each given path or pattern, at most 100 paths per call (read-only; expired locks are absent). Errors PC001-PC003';

CREATE OR REPLACE VIEW coord.enforcement AS
    SELECT s.enforcement_mode, s.policy_engine, s.updated_at, s.updated_by, s.path_case FROM coord_private.settings s;
COMMENT ON VIEW coord.enforcement IS 'the enforcement mode, the policy engine and the path case rule in force';

COMMIT;
