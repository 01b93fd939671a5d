CREATE OR REPLACE FUNCTION coord_private.glob_regex(p_glob text)
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE 
AS $fn$
    SELECT '^' || pg_catalog.string_agg(
               CASE WHEN s.seg = '**' THEN CASE WHEN s.ord < s.total THEN '(.*/)?' ELSE '.*' END
                    ELSE pg_catalog.regexp_replace(pg_catalog.regexp_replace(coord_private.segment_regex(s.seg), '^\^', ''), '\$$', '')
                         || CASE WHEN s.ord < s.total THEN '/' ELSE '' END END,
               '' ORDER BY s.ord) || '$'
      FROM (SELECT u.seg, u.ord, pg_catalog.count(*) OVER () AS total
              FROM pg_catalog.unnest(pg_catalog.string_to_array(p_glob, '/')) WITH ORDINALITY AS u(seg, ord)) s
$fn$;
COMMENT ON FUNCTION coord_private.glob_regex(text) IS 'an anchored regular expression matching the file paths a glob covers';
