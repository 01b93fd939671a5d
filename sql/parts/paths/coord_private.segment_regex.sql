-- A glob segment as an anchored regex over one segment.
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
            v := v || '[' || CASE WHEN k > i + 1 THEN '^' ELSE '' END || cls || ']';
            i := j;
        ELSE
            v := v || pg_catalog.regexp_replace(c, '([.^$+(){}|\\\]\[])', '\\\1', 'g');
        END IF;
        i := i + 1;
    END LOOP;
    RETURN '^' || v || '$';
END
$fn$;
COMMENT ON FUNCTION coord_private.segment_regex(text) IS 'an anchored regular expression matching one glob segment';
