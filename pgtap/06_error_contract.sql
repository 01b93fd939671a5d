-- Bad input contract: every PC* SQLSTATE raised by a pgcoord function comes with a
-- DETAIL and a HINT, and every PC* code a function raises is documented in
-- coord.error_codes. Derived from the catalog (function sources), with a floor.
BEGIN;
SELECT plan(4);

CREATE TEMP TABLE raises AS
SELECT p.oid::regprocedure AS fn,
       (SELECT count(*) FROM regexp_matches(p.prosrc, 'RAISE\s+EXCEPTION\s+USING', 'g')) AS raise_count,
       (SELECT count(*) FROM regexp_matches(p.prosrc, '\mDETAIL\s*=', 'g')) AS detail_count,
       (SELECT count(*) FROM regexp_matches(p.prosrc, '\mHINT\s*=', 'g')) AS hint_count,
       ARRAY(SELECT DISTINCT m[1] FROM regexp_matches(p.prosrc, '''(PC[0-9A-Z]{3})''', 'g') m) AS codes
  FROM pg_proc p
 WHERE p.pronamespace IN ('coord'::regnamespace, 'coord_private'::regnamespace)
   AND p.prosrc ~ 'RAISE\s+EXCEPTION\s+USING';

SELECT cmp_ok((SELECT sum(raise_count)::int FROM raises), '>=', 50,
              'floor: the contract is checked over at least 50 RAISE sites');
SELECT is(ARRAY(SELECT fn::text FROM raises WHERE detail_count < raise_count ORDER BY 1), '{}'::text[],
          'every RAISE of a pgcoord function carries a DETAIL');
SELECT is(ARRAY(SELECT fn::text FROM raises WHERE hint_count < raise_count ORDER BY 1), '{}'::text[],
          'every RAISE of a pgcoord function carries a HINT');
SELECT is(ARRAY(SELECT DISTINCT c FROM raises, unnest(codes) c
                 WHERE c NOT IN (SELECT sqlstate FROM coord.error_codes) ORDER BY 1), '{}'::text[],
          'every PC SQLSTATE a function raises is documented in coord.error_codes');

SELECT * FROM finish();
ROLLBACK;
