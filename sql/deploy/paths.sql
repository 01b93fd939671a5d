-- Deploy pgcoord:paths
-- Lease paths: normalisation, kinds (file, directory subtree, glob), anchors and
-- the overlap test behind INV-LOCK-EXCL.
--   file       src/api/users.py      covers itself
--   directory  src/api/              covers every path beneath it (trailing slash)
--   glob       src/**/*.py           * and ? within a segment, ** across segments, [...] classes
-- The anchor of a path is the deepest directory that contains everything it can
-- cover. Two paths can overlap only if one anchor is an ancestor-or-equal of the
-- other, which makes conflict search an index lookup on anchors (TLA+: the
-- directory-overlap guard of AcquireLock).
BEGIN;
SET LOCAL ROLE coord_owner;

CREATE FUNCTION coord_private.path_max_length()
RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE 
AS $fn$ SELECT 1024 $fn$;
COMMENT ON FUNCTION coord_private.path_max_length() IS 'documented maximum length of a lease path (characters)';

\ir ../parts/paths/coord_private.normalize_path_checked.sql
\ir ../parts/paths/coord_private.normalize_path.sql

CREATE FUNCTION coord_private.path_kind(p_path text)
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE 
AS $fn$
    SELECT CASE WHEN p_path ~ '[*?\[]' THEN 'glob'
                WHEN pg_catalog.right(p_path, 1) = '/' THEN 'dir'
                ELSE 'file' END
$fn$;
COMMENT ON FUNCTION coord_private.path_kind(text) IS 'file, dir (trailing /) or glob (*, ?, [...])';

CREATE FUNCTION coord_private.path_anchor(p_path text)
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE 
AS $fn$
    SELECT CASE coord_private.path_kind(p_path)
        WHEN 'dir'  THEN p_path
        WHEN 'file' THEN coalesce(pg_catalog.substring(p_path, '^(.*/)'), '')
        ELSE coalesce(pg_catalog.substring(pg_catalog.substring(p_path, '^[^*?\[]*'), '^(.*/)'), '')
    END
$fn$;
COMMENT ON FUNCTION coord_private.path_anchor(text) IS
    'the deepest directory containing everything the path can cover ('''' is the root)';

-- '' and every directory prefix of an anchor, shallowest first (the lock order).
-- PL/pgSQL, not SQL: an SQL function with an aggregate is never inlined and is
-- planned afresh on every call, and this one runs on every lease request.
CREATE FUNCTION coord_private.anchor_ancestors(p_anchor text)
RETURNS text[] LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
AS $fn$
DECLARE
    v_segs text[] := pg_catalog.string_to_array(coalesce(p_anchor, ''), '/');
    v_prefix text := '';
    v_out text[] := ARRAY[''];
BEGIN
    -- every segment but the last ends with a '/', so each is a directory prefix
    FOR i IN 1 .. pg_catalog.cardinality(v_segs) - 1 LOOP
        v_prefix := v_prefix || v_segs[i] || '/';
        v_out := v_out || v_prefix;
    END LOOP;
    RETURN v_out;
END
$fn$;
COMMENT ON FUNCTION coord_private.anchor_ancestors(text) IS 'the root and every directory prefix of an anchor, the anchor included';

\ir ../parts/paths/coord_private.segment_regex.sql
\ir ../parts/paths/coord_private.glob_regex.sql

-- Can two glob segments match a common string? Exact for literals; for two
-- wildcard segments, their literal prefixes and suffixes must be compatible
-- (so *.py and *.js never overlap). Errs towards "yes" (a refusal, never a
-- double grant).
CREATE FUNCTION coord_private.segments_can_meet(a text, b text)
RETURNS boolean LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE 
AS $fn$
DECLARE
    a_wild boolean := a ~ '[*?\[]';
    b_wild boolean := b ~ '[*?\[]';
    a_pre text; b_pre text; a_suf text; b_suf text;
BEGIN
    IF a = '**' OR b = '**' THEN RETURN true; END IF;
    IF NOT a_wild AND NOT b_wild THEN RETURN a = b; END IF;
    IF NOT a_wild THEN RETURN a ~ coord_private.segment_regex(b); END IF;
    IF NOT b_wild THEN RETURN b ~ coord_private.segment_regex(a); END IF;
    a_pre := pg_catalog.substring(a, '^[^*?\[]*');  b_pre := pg_catalog.substring(b, '^[^*?\[]*');
    a_suf := pg_catalog.substring(a, '[^*?\]]*$');  b_suf := pg_catalog.substring(b, '[^*?\]]*$');
    RETURN (pg_catalog.starts_with(a_pre, b_pre) OR pg_catalog.starts_with(b_pre, a_pre))
       AND (pg_catalog.right(a_suf, pg_catalog.length(b_suf)) = b_suf OR pg_catalog.right(b_suf, pg_catalog.length(a_suf)) = a_suf);
END
$fn$;
COMMENT ON FUNCTION coord_private.segments_can_meet(text, text) IS 'whether two glob segments can match a common segment (conservative)';

-- INV-LOCK-EXCL's overlap relation: can the path sets of a and b share a path?
CREATE FUNCTION coord_private.paths_overlap(a text, b text)
RETURNS boolean LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE 
AS $fn$
DECLARE
    ka text := coord_private.path_kind(a);
    kb text := coord_private.path_kind(b);
    sa text[]; sb text[];
    i integer;
    ga boolean; gb boolean;
BEGIN
    IF a = b THEN RETURN true; END IF;
    IF ka = 'file' AND kb = 'file' THEN RETURN false; END IF;
    IF ka = 'dir' AND kb IN ('file', 'dir') THEN RETURN pg_catalog.starts_with(b, a) OR (kb = 'dir' AND pg_catalog.starts_with(a, b)); END IF;
    IF kb = 'dir' AND ka = 'file' THEN RETURN pg_catalog.starts_with(a, b); END IF;
    IF ka = 'file' THEN RETURN a ~ coord_private.glob_regex(b); END IF;
    IF kb = 'file' THEN RETURN b ~ coord_private.glob_regex(a); END IF;

    -- At least one glob, and the other a glob or a directory: compare segments.
    sa := pg_catalog.string_to_array(CASE WHEN ka = 'dir' THEN pg_catalog.left(a, -1) ELSE a END, '/');
    sb := pg_catalog.string_to_array(CASE WHEN kb = 'dir' THEN pg_catalog.left(b, -1) ELSE b END, '/');
    ga := '**' = ANY (sa) OR ka = 'dir';   -- a directory behaves like dir/**
    gb := '**' = ANY (sb) OR kb = 'dir';
    IF ka = 'dir' THEN sa := sa || '**'::text; END IF;
    IF kb = 'dir' THEN sb := sb || '**'::text; END IF;
    IF NOT ga AND NOT gb AND pg_catalog.cardinality(sa) <> pg_catalog.cardinality(sb) THEN
        RETURN false;     -- fixed depths differ
    END IF;
    -- the leading segments up to the first ** of either side must pairwise meet
    i := 1;
    WHILE i <= least(pg_catalog.cardinality(sa), pg_catalog.cardinality(sb))
          AND sa[i] <> '**' AND sb[i] <> '**' LOOP
        IF NOT coord_private.segments_can_meet(sa[i], sb[i]) THEN RETURN false; END IF;
        i := i + 1;
    END LOOP;
    -- without ** a side has a fixed depth; the other side's minimum depth must not exceed it
    IF NOT ga AND pg_catalog.cardinality(sa) < pg_catalog.cardinality(pg_catalog.array_remove(sb, '**')) THEN RETURN false; END IF;
    IF NOT gb AND pg_catalog.cardinality(sb) < pg_catalog.cardinality(pg_catalog.array_remove(sa, '**')) THEN RETURN false; END IF;
    -- both end in a concrete segment: a common path's last segment must match both
    IF sa[pg_catalog.cardinality(sa)] <> '**' AND sb[pg_catalog.cardinality(sb)] <> '**' THEN
        RETURN coord_private.segments_can_meet(sa[pg_catalog.cardinality(sa)], sb[pg_catalog.cardinality(sb)]);
    END IF;
    RETURN true;
END
$fn$;
COMMENT ON FUNCTION coord_private.paths_overlap(text, text) IS
    'INV-LOCK-EXCL: whether two normalised paths (file, dir/, glob) can cover a common file; conservative for glob pairs';

COMMIT;
