-- Conflict search is an index lookup (INV-LOCK-EXCL: "decided in the database and
-- efficiently: indexable, no scan of every lock per acquire"). Measured by what the
-- lookups read, never by time: this transaction's own statistics count the index
-- entries each index returned and the index pages it visited
-- (pg_stat_get_xact_tuples_returned / pg_stat_get_xact_blocks_fetched).
--
-- The table holds 300 live grants in other subtrees and 3000 expired grants on the
-- very anchor the requests use. A lookup that uses the anchor and the holder as
-- index conditions reads a handful of entries and pages; one that lost them (a
-- collation mismatch makes "= session_user" unusable as an index condition, and a
-- PL/pgSQL call with session_user as an argument gives every text variable inside
-- it that collation) reads the 300 live entries and walks every page.
BEGIN;
SELECT plan(8);

SELECT tests.create_agents('implementer', 't18_alice', 't18_bob');
DO $$
BEGIN
    INSERT INTO coord_private.locks (path, kind, anchor, mode, holder, token, granted_at, expires_at)
    SELECT 'other' || g || '/file.py', 'file', 'other' || g || '/', 'exclusive', 't18_bob',
           nextval('coord_private.fencing_tokens'), now(), now() + interval '1 hour'
      FROM generate_series(1, 300) g;
    INSERT INTO coord_private.locks (path, kind, anchor, mode, holder, token, granted_at, expires_at)
    SELECT 'hot/old' || g || '.py', 'file', 'hot/', 'exclusive', 't18_bob',
           nextval('coord_private.fencing_tokens'), now() - interval '2 hours', now() - interval '1 hour'
      FROM generate_series(1, 3000) g;
END
$$;
ANALYZE coord_private.locks;

CREATE TEMP TABLE reads (label text PRIMARY KEY, anchor_entries bigint, anchor_pages bigint,
                         holder_entries bigint, holder_pages bigint, seq_rows bigint);
CREATE FUNCTION pg_temp.measured(p_label text, p_role text, p_sql text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    a regclass := 'coord_private.locks_anchor_idx';
    h regclass := 'coord_private.locks_holder_idx';
    a_t bigint := pg_stat_get_xact_tuples_returned(a);
    a_p bigint := pg_stat_get_xact_blocks_fetched(a);
    h_t bigint := pg_stat_get_xact_tuples_returned(h);
    h_p bigint := pg_stat_get_xact_blocks_fetched(h);
    t regclass := 'coord_private.locks';
    t_s bigint := pg_stat_get_xact_tuples_returned(t);   -- rows read by sequential scans
BEGIN
    IF p_role IS NULL THEN
        EXECUTE p_sql;      -- as the test's superuser
    ELSE
        PERFORM tests.run_as(p_role, p_sql);
    END IF;
    INSERT INTO reads VALUES (p_label, pg_stat_get_xact_tuples_returned(a) - a_t, pg_stat_get_xact_blocks_fetched(a) - a_p,
                              pg_stat_get_xact_tuples_returned(h) - h_t, pg_stat_get_xact_blocks_fetched(h) - h_p,
                              pg_stat_get_xact_tuples_returned(t) - t_s);
END
$$;

-- the first call of a session plans its statements; measure the second and third
SELECT pg_temp.measured('warm-up', 't18_alice', $$ SELECT ok FROM coord.acquire_lock('hot/w.py', '1 minute') $$);
SELECT pg_temp.measured('acquire', 't18_alice', $$ SELECT ok FROM coord.acquire_lock('hot/a.py', '1 minute') $$);
SELECT pg_temp.measured('acquire dir', 't18_alice', $$ SELECT ok FROM coord.acquire_lock('hot/sub/', '1 minute') $$);

SELECT ok(EXISTS (SELECT 1 FROM coord.live_locks l WHERE l.path = 'hot/a.py' AND l.holder = 't18_alice'),
    'INV-LOCK-EXCL: the measured acquire was granted');
SELECT cmp_ok((SELECT anchor_entries + holder_entries + seq_rows FROM reads WHERE label = 'acquire'), '<=', 5::bigint,
    'INV-LOCK-EXCL: a file acquire reads at most 5 grants (index entries or rows) with 300 live grants elsewhere');
SELECT cmp_ok((SELECT anchor_pages FROM reads WHERE label = 'acquire'), '<=', 12::bigint,
    'INV-LOCK-EXCL / INV-LOCK-EXPIRY: a file acquire visits at most 12 anchor-index pages with 3000 expired grants on its anchor');
SELECT cmp_ok((SELECT anchor_entries + holder_entries + seq_rows FROM reads WHERE label = 'acquire dir'), '<=', 8::bigint,
    'INV-LOCK-EXCL: a directory acquire (ancestors and descendants) reads at most 8 grants (index entries or rows)');
SELECT cmp_ok((SELECT anchor_pages FROM reads WHERE label = 'acquire dir'), '<=', 16::bigint,
    'INV-LOCK-EXCL / INV-LOCK-EXPIRY: a directory acquire visits at most 16 anchor-index pages');
SELECT is((SELECT seq_rows FROM reads WHERE label = 'acquire') + (SELECT seq_rows FROM reads WHERE label = 'acquire dir'),
    0::bigint, 'INV-LOCK-EXCL: no acquire reads the locks table sequentially');
SELECT cmp_ok((SELECT holder_pages FROM reads WHERE label = 'acquire'), '<=', 6::bigint,
    'profile limit: counting the caller''s live grants visits at most 6 holder-index pages (another holder has 3300)');

-- Control: the measurement sees the defect it guards against. The conflict lookup
-- called with session_user itself as an argument runs with the "C" collation, so
-- its anchor is no index condition: it reads every grant (by an index walk or a
-- sequential scan, whichever the planner picks).
SELECT pg_temp.measured('buggy spelling', NULL,
    $$ SELECT coord_private.overlapping_live_locks('hot/b.py', session_user, 'exclusive') $$);
SELECT cmp_ok((SELECT anchor_entries + holder_entries + seq_rows FROM reads WHERE label = 'buggy spelling'), '>', 300::bigint,
    'control: a lookup whose anchor is no index condition reads more than 300 index entries or rows');

SELECT diag(format('%s: anchor-index entries %s, pages %s; holder-index entries %s, pages %s; rows by sequential scan %s', r.label, r.anchor_entries, r.anchor_pages, r.holder_entries, r.holder_pages, r.seq_rows)) FROM reads r;
SELECT * FROM finish();
ROLLBACK;
