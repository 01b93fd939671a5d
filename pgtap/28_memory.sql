-- Memory (change memory, issue 15), acting as two agents (t28_a, t28_b), a reviewer,
-- an untrusted, a suspended and an unregistered member, an orchestrator, an admin and
-- an auditor:
--   (a) the catalog: the operations (remember 2, set_working_memory 1,
--       record_skill_outcome 2, category agent), the grants, the private tables
--       (INV-RLS: RLS on, no grant), the pinned definers (INV-DEFINER), the hook before
--       every write (INV-BOUNDARY);
--   (b) remember and its deduplication window: what is stored, the same event type and
--       normalised summary within an hour of its last sighting (by any agent) is one
--       memory, the window slides (the test clock moves), a new window a new
--       recurrence; INV-AUDIT-COMPLETE: one event per call naming the memory;
--   (c) recall: ranking (relevance by cover density and field, recency halving every 7
--       days, score = relevance * (1 + recency), the documented formula checked row by
--       row), filters (tags by containment, event type), the limit; hostile text for
--       websearch_to_tsquery (quotes, operators, injection, 10,000 characters, unicode;
--       NUL cannot reach it);
--   (d) INV-RLS, each kind as two agents: episodic memories and skills fleet-wide for
--       the fleet's readers, none for the unregistered, untrusted, suspended or
--       profile-less; working memory private to its agent and session (another
--       agent's session refused to both writes and reads; gone when the session
--       ends); a stray grant shows an agent its own rows only;
--   (e) INV-TRUST: trust 2 to remember and record skills, 1 for working memory;
--       shadow mode records the denial and writes;
--   (f) guardrails scan memory text, details and skill notes;
--   (g) procedural memory: counters, rates, agents, notes, prefixes;
--   (h) INV-BOUNDARY: no identity argument; SET ROLE, set_config('role') and GUCs
--       named like pgcoord's change no author;
--   (i) bad input: the documented SQLSTATE with message, detail and hint, nothing
--       written, no audit event.
BEGIN;
SELECT plan(123);
-- The tests that need the catalog gate's dependency analysis skip, saying why, where
-- the server has no plpgsql_check (tests.plpgsql_check_unavailable()).
SELECT tests.plpgsql_check_unavailable() IS NULL AS t28_analysis,
       coalesce(tests.plpgsql_check_unavailable(), '') AS t28_no_analysis \gset

-- ---------------------------------------------------------------- helpers
-- TEST ONLY, gone with the transaction.
--   pg_temp.n()               'memories/working/skills' row counts
--   pg_temp.bad(role, sql)    'SQLSTATE|message?|detail?|hint?' of the error sql raises as role,
--                             plus ' (changed ...)' when a memory, working-memory or skill row
--                             or an audit event was written
--   pg_temp.recalled(role, sql)  the summaries a recall returns as role, in its order
--   pg_temp.mem(label)        the memory row a labelled remember call wrote or bumped
SELECT tests.start_calls();

CREATE FUNCTION pg_temp.n() RETURNS text
LANGUAGE sql AS $$
    SELECT format('%s/%s/%s', (SELECT count(*) FROM coord_private.memories), (SELECT count(*) FROM coord_private.working_memory),
                  (SELECT count(*) FROM coord_private.skill_outcomes))
$$;

CREATE FUNCTION pg_temp.bad(p_role text, p_sql text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    v_rows text := pg_temp.n();
    v_events bigint := tests.audit_count();
    v text;
BEGIN
    v := coalesce(tests.diag_as(p_role, p_sql), 'no error');
    RETURN v || CASE WHEN pg_temp.n() = v_rows AND tests.audit_count() = v_events THEN ''
                     ELSE format(' (changed: rows %s -> %s, events %s -> %s)', v_rows, pg_temp.n(),
                                 v_events, tests.audit_count()) END;
END
$$;

CREATE FUNCTION pg_temp.recalled(p_role text, p_sql text) RETURNS text[]
LANGUAGE sql AS $$
    SELECT coalesce(array_agg(r ->> 'summary' ORDER BY o), '{}')
      FROM jsonb_array_elements(tests.run_as(p_role, p_sql)) WITH ORDINALITY AS x(r, o)
$$;

CREATE FUNCTION pg_temp.mem(p_label text) RETURNS coord_private.memories
LANGUAGE sql AS $$
    SELECT m.* FROM coord_private.memories m WHERE m.memory_id = (tests.res(p_label) ->> 'memory_id')::bigint
$$;

SELECT tests.create_agents('implementer', 't28_a', 't28_b', 't28_s'), tests.create_agents('reviewer', 't28_r'),
       tests.create_agents('untrusted', 't28_u'), tests.create_agents('orchestrator', 't28_o'),
       tests.create_members('coord_agent', 't28_unreg'), tests.create_members('coord_admin', 't28_adm'),
       tests.create_members('coord_auditor', 't28_aud');
SELECT (tests.open_sessions('t28_a', 'a s1', 'a s2')) AS sa \gset
SELECT (:'sa'::uuid[])[1] AS sa1, (:'sa'::uuid[])[2] AS sa2 \gset
SELECT (tests.open_sessions('t28_b', 'b s1'))[1] AS sb1, (tests.open_sessions('t28_r', 'r s1'))[1] AS sr1 \gset
-- An untrusted agent cannot open a session (register_session is trust 1): its row is made here.
INSERT INTO coord_private.sessions (agent, label) VALUES ('t28_u', 'u s1') RETURNING session_id AS su1 \gset

-- ---------------------------------------------------------------- (a) the catalog
SELECT is((SELECT array_agg(format('%s %s %s', o.name, o.category, o.min_trust) ORDER BY o.name) FROM coord_private.operations o
            WHERE o.name IN ('remember', 'set_working_memory', 'record_skill_outcome')),
          ARRAY['record_skill_outcome agent 2', 'remember agent 2', 'set_working_memory agent 1'],
          'INV-BOUNDARY: the memory writes are operations of the catalog (fleet-wide writes trust 2, an agent''s own working memory trust 1)');
SELECT ok(has_function_privilege('coord_agent', 'coord.remember(text, text, jsonb, text, text[], text[])', 'EXECUTE')
          AND has_function_privilege('coord_agent', 'coord.set_working_memory(uuid, text, jsonb)', 'EXECUTE')
          AND has_function_privilege('coord_agent', 'coord.get_working_memory(uuid)', 'EXECUTE')
          AND has_function_privilege('coord_agent', 'coord.record_skill_outcome(text, boolean, text)', 'EXECUTE')
          AND has_function_privilege('coord_agent', 'coord.recall(text[], text, text, integer)', 'EXECUTE')
          AND has_function_privilege('coord_agent', 'coord.skills(text)', 'EXECUTE')
          AND has_function_privilege('coord_admin', 'coord.recall(text[], text, text, integer)', 'EXECUTE')
          AND has_function_privilege('coord_auditor', 'coord.recall(text[], text, text, integer)', 'EXECUTE')
          AND has_function_privilege('coord_admin', 'coord.skills(text)', 'EXECUTE')
          AND has_function_privilege('coord_auditor', 'coord.skills(text)', 'EXECUTE'),
          'INV-BOUNDARY: agents call the six memory functions; admins and auditors read episodic memories and skills');
SELECT is((SELECT array_agg(format('%s %s', r, f) ORDER BY r, f)
             FROM unnest(ARRAY['coord_admin', 'coord_auditor', 'public']) r,
                  unnest(ARRAY['coord.remember(text, text, jsonb, text, text[], text[])', 'coord.set_working_memory(uuid, text, jsonb)',
                               'coord.get_working_memory(uuid)', 'coord.record_skill_outcome(text, boolean, text)',
                               'coord.recall(text[], text, text, integer)', 'coord.skills(text)']) f
            WHERE has_function_privilege(r, f, 'EXECUTE')),
          ARRAY['coord_admin coord.recall(text[], text, text, integer)', 'coord_admin coord.skills(text)',
                'coord_auditor coord.recall(text[], text, text, integer)', 'coord_auditor coord.skills(text)'],
          'INV-RLS: admins and auditors neither write memory nor read any working memory; PUBLIC calls nothing');
SELECT is((SELECT array_agg(t ORDER BY t) FROM unnest(ARRAY['memories', 'memory_lines', 'working_memory', 'skill_outcomes']) t
            WHERE (SELECT c.relrowsecurity FROM pg_class c WHERE c.oid = ('coord_private.' || t)::regclass)
              AND NOT EXISTS (SELECT 1 FROM unnest(ARRAY['coord_agent', 'coord_admin', 'coord_auditor']) r
                               WHERE has_table_privilege(r, 'coord_private.' || t, 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES'))),
          ARRAY['memories', 'memory_lines', 'skill_outcomes', 'working_memory'],
          'INV-RLS: the four memory tables have row level security and no pgcoord role holds a privilege on them');
SELECT ok(NOT EXISTS (SELECT 1 FROM unnest(ARRAY['coord_agent', 'coord_admin', 'coord_auditor']) r
                       WHERE has_sequence_privilege(r, 'coord_private.memories_memory_id_seq', 'USAGE, SELECT, UPDATE')),
          'INV-RLS: no pgcoord role holds a privilege on the memory id sequence');
SELECT is((SELECT array_agg(format('%s definer=%s %s', p.proname, p.prosecdef::text, array_to_string(p.proconfig, ',')) ORDER BY p.proname)
             FROM pg_proc p WHERE p.oid IN ('coord.remember(text, text, jsonb, text, text[], text[])'::regprocedure,
                                            'coord.set_working_memory(uuid, text, jsonb)'::regprocedure,
                                            'coord.get_working_memory(uuid)'::regprocedure,
                                            'coord.record_skill_outcome(text, boolean, text)'::regprocedure,
                                            'coord.skills(text)'::regprocedure)),
          ARRAY['get_working_memory definer=true search_path=pg_catalog, pg_temp,lock_timeout=5s,standard_conforming_strings=on',
                'record_skill_outcome definer=true search_path=pg_catalog, pg_temp,lock_timeout=5s,standard_conforming_strings=on',
                'remember definer=true search_path=pg_catalog, pg_temp,lock_timeout=5s,standard_conforming_strings=on',
                'set_working_memory definer=true search_path=pg_catalog, pg_temp,lock_timeout=5s,standard_conforming_strings=on',
                'skills definer=true search_path=pg_catalog, pg_temp,lock_timeout=5s,standard_conforming_strings=on'],
          'INV-DEFINER: the memory functions are definers pinning search_path, lock_timeout and standard_conforming_strings');
SELECT is((SELECT p.prosecdef::text || ' ' || array_to_string(p.proconfig, ',') FROM pg_proc p
            WHERE p.oid = 'coord.recall(text[], text, text, integer)'::regprocedure),
          'true search_path=pg_catalog, pg_temp,lock_timeout=5s,standard_conforming_strings=on,client_min_messages=warning,plan_cache_mode=force_custom_plan',
          'INV-DEFINER: recall pins the same three, and plans each query for its own arguments without telling the client about stop words');
\if :t28_analysis
CREATE TEMP TABLE writers AS SELECT * FROM tests.writer_functions()
 WHERE fn::text ~ '^coord\.(remember|set_working_memory|get_working_memory|record_skill_outcome|recall|skills)\(';
SELECT is((SELECT array_agg(format('%s hook_before_write=%s', w.fn, (w.hook_pos < w.first_write_pos)::text) ORDER BY w.fn::text)
             FROM pg_temp.writers w),
          ARRAY['coord.record_skill_outcome(text,boolean,text) hook_before_write=true',
                'coord.remember(text,text,jsonb,text,text[],text[]) hook_before_write=true',
                'coord.set_working_memory(uuid,text,jsonb) hook_before_write=true'],
          'INV-BOUNDARY: the three memory writers call coord_private.authorize before their first write; recall, skills and get_working_memory write nothing');
SELECT is((SELECT array_agg(h.operation ORDER BY h.operation) FROM tests.hooked_operations() h
            WHERE h.operation IN ('remember', 'set_working_memory', 'record_skill_outcome')),
          ARRAY['record_skill_outcome', 'remember', 'set_working_memory'], 'INV-BOUNDARY: each memory operation is authorized by name');
\else
SELECT skip(:'t28_no_analysis', 2);
\endif
SELECT is((SELECT array_agg(p.proname || ':' || array_to_string(p.proargnames, ',') ORDER BY p.proname) FROM pg_proc p
            WHERE p.oid IN ('coord.remember(text, text, jsonb, text, text[], text[])'::regprocedure,
                            'coord.set_working_memory(uuid, text, jsonb)'::regprocedure,
                            'coord.record_skill_outcome(text, boolean, text)'::regprocedure)),
          ARRAY['record_skill_outcome:p_skill,p_succeeded,p_notes,ok,reason,skill,attempts,successes,guardrails,event_id',
                'remember:p_event_type,p_summary,p_details,p_outcome,p_lessons,p_tags,ok,reason,memory_id,deduplicated,guardrails,event_id',
                'set_working_memory:p_session_id,p_key,p_value,ok,reason,existed,keys,event_id'],
          'INV-BOUNDARY: no memory writer has an identity argument (the author is session_user)');

-- ---------------------------------------------------------------- (b) remember and deduplication
SELECT tests.call('r1', 't28_a', $$SELECT * FROM coord.remember('Test_Failure',
    'Parser test timeout on CI', '{"job": "ci/parser", "attempts": 3}', 'raised the timeout to 30 s',
    ARRAY['raise the parser timeout', 'parser tests need a warm cache'], ARRAY['Python', 'ci', 'python'])$$);
SELECT is(tests.verdict('r1'),
          'ok allowed | 1 event: remember by t28_a allowed=true proceeded=true reason=allowed mode=enforce',
          'INV-AUDIT-COMPLETE: t28_a''s memory is allowed with exactly one audit event (actor = session_user), the one it returns');
SELECT is(format('%s %s %s %s %s %s %s %s %s', (pg_temp.mem('r1')).agent, (pg_temp.mem('r1')).event_type, (pg_temp.mem('r1')).tags,
                 (pg_temp.mem('r1')).lessons, (pg_temp.mem('r1')).details, (pg_temp.mem('r1')).outcome,
                 (pg_temp.mem('r1')).recurrence, (pg_temp.mem('r1')).seen_count, (pg_temp.mem('r1')).seen_by),
          't28_a test_failure {ci,python} {"raise the parser timeout","parser tests need a warm cache"} {"job": "ci/parser", "attempts": 3} raised the timeout to 30 s 1 1 {t28_a}',
          'the memory is stored under the caller: event type and tags folded to lower case, tags sorted without repeats, recurrence 1, seen once');
SELECT is(tests.res('r1') ->> 'deduplicated', 'false', 'a first memory is not deduplicated');
SELECT is((SELECT format('resource=%s memory_id=%s deduplicated=%s recurrence=%s lessons=%s tags=%s row_event=%s text=%s', e.resource,
                         (e.context ->> 'memory_id' = tests.res('r1') ->> 'memory_id')::text, e.context ->> 'deduplicated',
                         e.context ->> 'recurrence', e.context ->> 'lessons', e.context ->> 'tags',
                         ((pg_temp.mem('r1')).event_id = e.event_id)::text, (e.context::text LIKE '%Parser%')::text)
             FROM coord_private.audit_events e WHERE e.event_id = (tests.event('r1')).event_id),
          format('resource=%s memory_id=true deduplicated=false recurrence=1 lessons=2 tags=2 row_event=true text=false', tests.res('r1') ->> 'memory_id'),
          'INV-AUDIT-COMPLETE: the event names the memory (resource and context), counts lessons and tags, never holds the text; the row keeps the event id');
SELECT tests.call('r1_again', 't28_a', format($$SELECT * FROM coord.remember('test_failure', %L)$$, E'  parser TEST\ttimeout   on ci '));
SELECT is(format('%s same=%s dedup=%s seen=%s by=%s lessons=%s', tests.verdict('r1_again'),
                 (tests.res('r1_again') ->> 'memory_id' = tests.res('r1') ->> 'memory_id')::text, tests.res('r1_again') ->> 'deduplicated',
                 (pg_temp.mem('r1')).seen_count, (pg_temp.mem('r1')).seen_by, cardinality((pg_temp.mem('r1')).lessons)),
          'ok allowed | 1 event: remember by t28_a allowed=true proceeded=true reason=allowed mode=enforce same=true dedup=true seen=2 by={t28_a} lessons=2',
          'the same event type and summary (case and white space aside) within the window is the same memory: its id, deduplicated, seen twice, with one event');
SELECT is((tests.event('r1_again')).context ->> 'deduplicated', 'true', 'INV-AUDIT-COMPLETE: the duplicate''s event says it was a duplicate');
SELECT tests.call('r1_b', 't28_b', $$SELECT * FROM coord.remember('test_failure', 'parser test timeout on CI',
    p_lessons => ARRAY['b''s own lesson'], p_tags => ARRAY['flaky'])$$);
SELECT is(format('same=%s dedup=%s seen=%s by=%s author=%s lessons=%s tags=%s', (tests.res('r1_b') ->> 'memory_id' = tests.res('r1') ->> 'memory_id')::text,
                 tests.res('r1_b') ->> 'deduplicated', (pg_temp.mem('r1')).seen_count, (pg_temp.mem('r1')).seen_by,
                 (pg_temp.mem('r1')).agent, cardinality((pg_temp.mem('r1')).lessons), (pg_temp.mem('r1')).tags),
          'same=true dedup=true seen=3 by={t28_a,t28_b} author=t28_a lessons=2 tags={ci,python}',
          'deduplication is fleet-wide: t28_b''s sighting joins t28_a''s memory (seen_by grows); the first author''s text, lessons and tags stay');
SELECT tests.advance_clock('59 minutes');
SELECT tests.call('r1_59', 't28_b', $$SELECT * FROM coord.remember('test_failure', 'parser test timeout on CI')$$);
SELECT is(format('%s %s', tests.res('r1_59') ->> 'deduplicated', (pg_temp.mem('r1')).seen_count), 'true 4',
          'the window slides: 59 minutes after the last sighting is still the same memory');
SELECT tests.advance_clock('61 minutes');
SELECT tests.call('r1_new', 't28_b', $$SELECT * FROM coord.remember('test_failure', 'parser test timeout on CI')$$);
SELECT is(format('%s new=%s recurrence=%s seen=%s author=%s', tests.res('r1_new') ->> 'deduplicated',
                 (tests.res('r1_new') ->> 'memory_id' <> tests.res('r1') ->> 'memory_id')::text,
                 (pg_temp.mem('r1_new')).recurrence, (pg_temp.mem('r1_new')).seen_count, (pg_temp.mem('r1_new')).agent),
          'false new=true recurrence=2 seen=1 author=t28_b',
          'an hour after the last sighting the same event is a new memory, its recurrence one higher, authored by whoever saw it');
SELECT tests.call('r1_type', 't28_a', $$SELECT * FROM coord.remember('flaky_test', 'parser test timeout on CI')$$);
SELECT is(format('%s %s', tests.res('r1_type') ->> 'deduplicated', (pg_temp.mem('r1_type')).recurrence), 'false 1',
          'the same summary under another event type is another memory');
SELECT is((SELECT count(*) FROM coord_private.memories m WHERE m.summary_digest = (pg_temp.mem('r1')).summary_digest),
          3::bigint, 'three memories of that summary: two windows of test_failure, one flaky_test');
SELECT tests.call('r_rev_dup', 't28_r', $$SELECT * FROM coord.remember('test_failure', 'parser test timeout on CI')$$);
SELECT is(format('%s seen=%s', tests.verdict('r_rev_dup'), (pg_temp.mem('r1_new')).seen_count),
          'refused trust_too_low | 1 event: remember by t28_r allowed=false proceeded=false reason=trust_too_low mode=enforce seen=1',
          'INV-TRUST: a denied duplicate changes nothing of the memory (a reviewer, trust 1)');
SELECT is(tests.res('r_rev_dup') ->> 'memory_id', NULL, 'a refusal returns no memory_id');

-- ---------------------------------------------------------------- (c) recall: ranking and filters
-- A corpus written 14 days apart (the test clock moves): one old rich memory and new
-- ones of lower relevance.
SELECT tests.call('c_old_rich', 't28_a', $$SELECT * FROM coord.remember('incident',
    'the parser hit a timeout: parser timeout again, parser timeout every run', p_tags => ARRAY['ci'])$$);
SELECT tests.call('c_old_lessons', 't28_a', $$SELECT * FROM coord.remember('incident', 'parser timeout in the nightly job',
    p_lessons => ARRAY['raise the parser timeout'], p_tags => ARRAY['ci', 'nightly'])$$);
SELECT tests.call('c_twin_old', 't28_b', $$SELECT * FROM coord.remember('build_error', 'zebrafish build broke')$$);
SELECT tests.advance_clock('14 days');
SELECT tests.call('c_new_poor', 't28_b', $$SELECT * FROM coord.remember('incident',
    'flaky parser in nightly build; the job hit its timeout after an hour of retries', p_tags => ARRAY['nightly'])$$);
SELECT tests.call('c_new_plain', 't28_b', $$SELECT * FROM coord.remember('review:finding', 'parser timeout', p_tags => ARRAY['ci', 'python'])$$);
SELECT tests.call('c_twin_new', 't28_a', $$SELECT * FROM coord.remember('deploy', 'zebrafish build broke')$$);
SELECT tests.call('c_field_summary', 't28_a', $$SELECT * FROM coord.remember('tooling', 'axolotl fixtures are slow')$$);
SELECT tests.call('c_field_lesson', 't28_a', $$SELECT * FROM coord.remember('tooling', 'fixtures are slow, first', p_lessons => ARRAY['axolotl'])$$);
SELECT tests.call('c_field_tag', 't28_a', $$SELECT * FROM coord.remember('tooling', 'fixtures are slow, second', p_tags => ARRAY['axolotl'])$$);
SELECT is((SELECT array_agg(tests.res(l) ->> 'reason' ORDER BY l) FROM unnest(ARRAY['c_old_rich', 'c_old_lessons', 'c_twin_old',
             'c_new_poor', 'c_new_plain', 'c_twin_new', 'c_field_summary', 'c_field_lesson', 'c_field_tag']) l),
          array_fill('allowed'::text, ARRAY[9]), 'set-up: the recall corpus is written');

CREATE TEMP TABLE rec AS
SELECT r.*, o FROM jsonb_array_elements(tests.run_as('t28_b', $$SELECT * FROM coord.recall(p_text => 'parser timeout', p_limit => 100)$$))
       WITH ORDINALITY AS x(j, o), jsonb_to_record(x.j) AS r(memory_id bigint, summary text, relevance real, score double precision,
                                                             last_seen_at timestamptz);
SELECT is((SELECT array_agg(r.summary ORDER BY r.o) FROM pg_temp.rec r),
          ARRAY['parser timeout', 'the parser hit a timeout: parser timeout again, parser timeout every run',
                'parser timeout in the nightly job', 'Parser test timeout on CI', 'parser test timeout on CI', 'parser test timeout on CI',
                'flaky parser in nightly build; the job hit its timeout after an hour of retries'],
          'recall by text: every memory holding both words (websearch AND), best score first');
SELECT is((SELECT count(*) FROM pg_temp.rec r
            WHERE abs(r.score - r.relevance * (1 + 2 ^ (-extract(epoch FROM coord_private.current_time() - r.last_seen_at) / (7 * 86400)))) > 1e-6),
          0::bigint, 'the score of every row is relevance * (1 + 2^(-age since last seen / 7 days)), as documented');
SELECT ok((SELECT bool_and(r.score >= coalesce(n.score, 0)) FROM pg_temp.rec r LEFT JOIN pg_temp.rec n ON n.o = r.o + 1),
          'rows come in descending score');
SELECT ok((SELECT r.relevance FROM pg_temp.rec r WHERE r.summary LIKE 'the parser hit%')
          > 1.6 * (SELECT r.relevance FROM pg_temp.rec r WHERE r.summary LIKE 'flaky parser%')
          AND (SELECT r.o FROM pg_temp.rec r WHERE r.summary LIKE 'the parser hit%')
              < (SELECT r.o FROM pg_temp.rec r WHERE r.summary LIKE 'flaky parser%'),
          'relevance outweighs recency: a 14-day-old memory matching densely ranks above a new one matching loosely');
SELECT ok((SELECT r.relevance FROM pg_temp.rec r WHERE r.summary = 'parser timeout in the nightly job')
          > (SELECT r.relevance FROM pg_temp.rec r WHERE r.summary = 'parser timeout')
          AND (SELECT r.o FROM pg_temp.rec r WHERE r.summary = 'parser timeout')
              < (SELECT r.o FROM pg_temp.rec r WHERE r.summary = 'parser timeout in the nightly job'),
          'recency counts: a new memory outranks a slightly more relevant one 14 days old (its lesson matches too)');
SELECT is(pg_temp.recalled('t28_a', $$SELECT * FROM coord.recall(p_text => 'zebrafish')$$),
          ARRAY['zebrafish build broke', 'zebrafish build broke'], 'equal relevance: the newer first');
SELECT is((SELECT array_agg(r ->> 'event_type' ORDER BY o) FROM jsonb_array_elements(tests.run_as('t28_a',
             $$SELECT * FROM coord.recall(p_text => 'zebrafish')$$)) WITH ORDINALITY x(r, o)),
          ARRAY['deploy', 'build_error'], 'equal relevance: the 14-day-old build_error memory comes second');
SELECT is(pg_temp.recalled('t28_a', $$SELECT * FROM coord.recall(p_text => 'axolotl')$$),
          ARRAY['axolotl fixtures are slow', 'fixtures are slow, first', 'fixtures are slow, second'],
          'fields weigh: a word in the summary ranks above the same word in a lesson, above the same word in a tag');
SELECT is(pg_temp.recalled('t28_a', $$SELECT * FROM coord.recall(p_text => 'TIMEOUTS Parser')$$)
              = pg_temp.recalled('t28_a', $$SELECT * FROM coord.recall(p_text => 'parser timeout')$$), true,
          'the english configuration stems and folds: "TIMEOUTS Parser" finds what "parser timeout" finds');
SELECT is(ARRAY(SELECT unnest(pg_temp.recalled('t28_a', $$SELECT * FROM coord.recall(p_text => '"parser timeout" -nightly -test')$$)) ORDER BY 1),
          ARRAY['parser timeout', 'the parser hit a timeout: parser timeout again, parser timeout every run'],
          'websearch syntax: a quoted phrase and excluded words');
SELECT is(ARRAY(SELECT unnest(pg_temp.recalled('t28_a', $$SELECT * FROM coord.recall(p_text => 'axolotl or zebrafish')$$)) ORDER BY 1),
          ARRAY['axolotl fixtures are slow', 'fixtures are slow, first', 'fixtures are slow, second', 'zebrafish build broke', 'zebrafish build broke'],
          'websearch syntax: or');
SELECT is(pg_temp.recalled('t28_b', $$SELECT * FROM coord.recall(p_text => 'parser timeout', p_limit => 2)$$),
          (SELECT array_agg(r.summary ORDER BY r.o) FROM pg_temp.rec r WHERE r.o <= 2), 'the limit keeps the best');
-- Without text: newest first, score = recency.
SELECT is(pg_temp.recalled('t28_b', $$SELECT * FROM coord.recall(p_limit => 3)$$),
          ARRAY['fixtures are slow, second', 'fixtures are slow, first', 'axolotl fixtures are slow'],
          'recall without text: the most recently seen first');
SELECT is((SELECT count(*) FROM jsonb_array_elements(tests.run_as('t28_b', $$SELECT * FROM coord.recall(p_limit => 100)$$)) r
            WHERE (r ->> 'relevance')::real <> 0 OR (r ->> 'score')::float8 NOT BETWEEN 0 AND 1), 0::bigint,
          'without text relevance is 0 and the score is the recency, in (0, 1]');
SELECT is(pg_temp.recalled('t28_b', $$SELECT * FROM coord.recall(p_tags => ARRAY['nightly'])$$),
          ARRAY['flaky parser in nightly build; the job hit its timeout after an hour of retries', 'parser timeout in the nightly job'],
          'tags filter: memories carrying the tag, newest first');
SELECT is(pg_temp.recalled('t28_b', $$SELECT * FROM coord.recall(p_tags => ARRAY['CI', 'Nightly'])$$),
          ARRAY['parser timeout in the nightly job'],
          'tags filter by containment: every tag given (folded to lower case), not any');
SELECT is(cardinality(pg_temp.recalled('t28_b', $$SELECT * FROM coord.recall(p_tags => '{}', p_limit => 100)$$)),
          cardinality(pg_temp.recalled('t28_b', $$SELECT * FROM coord.recall(p_limit => 100)$$)), 'tags {} filters nothing, as NULL');
SELECT is(pg_temp.recalled('t28_b', $$SELECT * FROM coord.recall(p_event_type => 'Incident', p_text => 'parser')$$),
          ARRAY['flaky parser in nightly build; the job hit its timeout after an hour of retries',
                'the parser hit a timeout: parser timeout again, parser timeout every run', 'parser timeout in the nightly job'],
          'event type filter (folded) with text');
SELECT is(pg_temp.recalled('t28_b', $$SELECT * FROM coord.recall(ARRAY['python'], 'review:finding', 'timeout')$$),
          ARRAY['parser timeout'], 'tags, event type and text together');
SELECT is(pg_temp.recalled('t28_b', $$SELECT * FROM coord.recall(p_text => 'quetzalcoatl')$$), '{}'::text[], 'no match: no row');
SELECT is((SELECT count(*) FROM jsonb_object_keys(tests.row_as('t28_b', 'SELECT * FROM coord.recall(p_limit => 1)'))), 15::bigint,
          'recall returns fifteen columns');
SELECT tests.audit_count() AS events_before \gset
SELECT cardinality(pg_temp.recalled('t28_a', $$SELECT * FROM coord.recall(p_text => 'parser')$$))
       + cardinality(pg_temp.recalled('t28_adm', $$SELECT * FROM coord.recall()$$)) AS rows_read \gset
SELECT is(format('%s events', tests.audit_count() - :events_before), '0 events',
          'INV-AUDIT-COMPLETE: a recall is no decision: it writes no audit event (as read_handoffs)');

-- Hostile text: websearch_to_tsquery has no syntax error; pgcoord bounds the rest.
SELECT is(tests.diag_as('t28_a', $$SELECT * FROM coord.recall(p_text => '"unterminated -foo OR or "" '' \ :* & | ! <-> ( ) parser')$$),
          NULL, 'quotes, operators and tsquery syntax in the text raise nothing');
SELECT is(pg_temp.recalled('t28_a', $$SELECT * FROM coord.recall(p_text => '''); DROP TABLE coord_private.memories; -- zebrafish')$$),
          '{}'::text[], 'an injection attempt is words to search for (drop, table, ... and zebrafish: nothing has all of them)');
SELECT is(pg_temp.recalled('t28_a', format('SELECT * FROM coord.recall(p_text => %L)', repeat('!(-"<->|&:*''\ ', 130) || ' zebrafish')),
          ARRAY['zebrafish build broke', 'zebrafish build broke'], '2,000 characters of operators around a word find the word');
SELECT is(pg_temp.bad('t28_a', format('SELECT * FROM coord.recall(p_text => %L)', repeat('parser ', 1429))), 'PC002|true|true|true',
          'a text of 10,000 characters is PC002 (at most 2,000)');
SELECT is(pg_temp.bad('t28_a', format('SELECT * FROM coord.recall(p_text => %L)', repeat('"():*&|!<->\', 100))), 'PC002|true|true|true',
          'a text of operators only has no word to search for: PC002, not a syntax error');
SELECT is(pg_temp.bad('t28_a', $$SELECT * FROM coord.recall(p_text => 'what did we do')$$), 'PC002|true|true|true',
          'a text of stop words only is PC002, with a hint to use distinctive words');
SELECT is(tests.diag_as('t28_a', format('SELECT * FROM coord.recall(p_text => %L)',
              'ünïcödé 日本語 テスト مرحبا 🙂 e' || chr(769) || ' ﬁle Ｆｕｌｌ' || chr(x'200D'::int))),
          NULL, 'unicode (accents, CJK, right-to-left letters, emoji, combining marks, ligatures, full width, a zero-width joiner) raises nothing');
SELECT tests.call('c_unicode', 't28_a', $$SELECT * FROM coord.remember('incident', 'Dépendance ünïcödé cassée: 日本語 テスト')$$);
SELECT is(pg_temp.recalled('t28_b', $$SELECT * FROM coord.recall(p_text => 'ÜNÏCÖDÉ')$$), ARRAY['Dépendance ünïcödé cassée: 日本語 テスト'],
          'a unicode word is found whatever its case');
SELECT is(pg_temp.bad('t28_a', format('SELECT * FROM coord.recall(p_text => %L)', 'parser ' || chr(x'202E'::int))), 'PC002|true|true|true',
          'a bidirectional override in the text is PC002, as in memory text');
SELECT is(tests.sqlstate_as('t28_a', 'SELECT * FROM coord.recall(p_text => ''parser'' || chr(0))'), '54000',
          'NUL cannot reach recall: PostgreSQL refuses chr(0) in text (54000) before pgcoord runs');
SELECT is(pg_temp.bad('t28_a', $$SELECT * FROM coord.remember('x', 'y', '{"a": "\u0000"}')$$), '22P05|true|true|false',
          'nor a JSON string with \u0000 (22P05, from jsonb itself); nothing written');

-- ---------------------------------------------------------------- (d) INV-RLS: who reads what
SELECT is(cardinality(pg_temp.recalled('t28_a', $$SELECT * FROM coord.recall(p_limit => 100)$$)), (SELECT count(*)::integer FROM coord_private.memories),
          'INV-RLS: t28_a recalls every memory of the fleet, t28_b''s included');
SELECT is(pg_temp.recalled('t28_a', $$SELECT * FROM coord.recall(p_limit => 100)$$),
          pg_temp.recalled('t28_b', $$SELECT * FROM coord.recall(p_limit => 100)$$),
          'INV-RLS: t28_a and t28_b recall the same memories (episodic memory is the fleet''s)');
SELECT is((tests.run_as('t28_b', format('SELECT * FROM coord.recall(p_text => %L, p_event_type => %L, p_limit => 1)',
                                        'parser timeout ci', 'test_failure')) -> 0) - 'created_at' - 'last_seen_at' - 'memory_id'
              - 'relevance' - 'score' - 'seen_count' - 'seen_by' - 'recurrence' - 'agent',
          jsonb_build_object('summary', 'Parser test timeout on CI', 'event_type', 'test_failure',
                             'details', '{"job": "ci/parser", "attempts": 3}'::jsonb, 'outcome', 'raised the timeout to 30 s',
                             'lessons', ARRAY['raise the parser timeout', 'parser tests need a warm cache'], 'tags', ARRAY['ci', 'python']),
          'INV-RLS: another agent reads the whole memory: summary, details, outcome, lessons, tags');
SELECT is(cardinality(pg_temp.recalled('t28_r', $$SELECT * FROM coord.recall(p_limit => 100)$$)),
          (SELECT count(*)::integer FROM coord_private.memories), 'INV-RLS: a reviewer (trust 1, reads) recalls the fleet''s memories');
SELECT is(cardinality(pg_temp.recalled('t28_adm', $$SELECT * FROM coord.recall(p_limit => 100)$$))
          + cardinality(pg_temp.recalled('t28_aud', $$SELECT * FROM coord.recall(p_limit => 100)$$)),
          2 * (SELECT count(*)::integer FROM coord_private.memories), 'INV-RLS: coord_admin and coord_auditor recall every memory');
SELECT is(pg_temp.recalled('t28_u', $$SELECT * FROM coord.recall()$$), '{}'::text[],
          'INV-RLS, INV-TRUST: an untrusted agent (trust 0) recalls nothing');
SELECT is(pg_temp.recalled('t28_unreg', $$SELECT * FROM coord.recall()$$), '{}'::text[],
          'INV-RLS: an unregistered member of coord_agent recalls nothing');

-- working memory, as two agents
SELECT tests.call('w_a1', 't28_a', format($$SELECT * FROM coord.set_working_memory(%L, 'plan', '{"step": 1, "files": ["src/a.py"]}')$$, :'sa1'));
SELECT tests.call('w_a1b', 't28_a', format($$SELECT * FROM coord.set_working_memory(%L, 'Note.1', '"remember the cache"')$$, :'sa1'));
SELECT tests.call('w_a2', 't28_a', format($$SELECT * FROM coord.set_working_memory(%L, 'plan', '{"step": 9}')$$, :'sa2'));
SELECT tests.call('w_b1', 't28_b', format($$SELECT * FROM coord.set_working_memory(%L, 'plan', '[1, 2, 3]')$$, :'sb1'));
SELECT is(format('%s / %s existed=%s keys=%s', tests.verdict('w_a1'), tests.verdict('w_b1'), tests.res('w_a1b') ->> 'existed',
                 tests.res('w_a1b') ->> 'keys'),
          'ok allowed | 1 event: set_working_memory by t28_a allowed=true proceeded=true reason=allowed mode=enforce / '
          'ok allowed | 1 event: set_working_memory by t28_b allowed=true proceeded=true reason=allowed mode=enforce existed=false keys=2',
          'INV-AUDIT-COMPLETE: each agent sets keys of its own session, one event each');
SELECT is(tests.run_as('t28_a', format('SELECT key, value FROM coord.get_working_memory(%L)', :'sa1')),
          '[{"key": "Note.1", "value": "remember the cache"}, {"key": "plan", "value": {"step": 1, "files": ["src/a.py"]}}]'::jsonb,
          'INV-RLS: t28_a reads its session''s working memory, by key (keys keep their case)');
SELECT is(tests.run_as('t28_a', format('SELECT key, value FROM coord.get_working_memory(%L)', :'sa2'))
              || tests.run_as('t28_b', format('SELECT key, value FROM coord.get_working_memory(%L)', :'sb1')),
          '[{"key": "plan", "value": {"step": 9}}, {"key": "plan", "value": [1, 2, 3]}]'::jsonb,
          'INV-RLS: working memory is per session: the same key in another session of t28_a, and in t28_b''s, is another value');
SELECT is(pg_temp.bad('t28_b', format('SELECT * FROM coord.get_working_memory(%L)', :'sa1')), 'PC013|true|true|true',
          'INV-RLS: t28_b cannot read t28_a''s working memory: PC013, as for a session that does not exist');
SELECT is(tests.diag_as('t28_b', format('SELECT * FROM coord.get_working_memory(%L)', :'sa1')),
          tests.diag_as('t28_b', 'SELECT * FROM coord.get_working_memory(''00000000-0000-0000-0000-000000000028'')'),
          'INV-RLS: another agent''s session and a session that does not exist raise the same error');
SELECT pg_temp.n() AS n_before \gset
SELECT tests.call('w_b_foreign', 't28_b', format($$SELECT * FROM coord.set_working_memory(%L, 'plan', '"overwritten by b"')$$, :'sa1'));
SELECT is(format('%s / %s', tests.verdict('w_b_foreign'), pg_temp.n()),
          'refused session_not_owned | 1 event: set_working_memory by t28_b allowed=true proceeded=false reason=session_not_owned mode=enforce / ' || :'n_before',
          'INV-RLS: t28_b cannot write t28_a''s working memory (session_not_owned, audited, nothing written)');
SELECT is(tests.run_as('t28_a', format('SELECT value FROM coord.get_working_memory(%L) WHERE key = ''plan''', :'sa1')),
          '[{"value": {"step": 1, "files": ["src/a.py"]}}]'::jsonb, 'INV-RLS: t28_a''s value is untouched');
SELECT is(tests.sqlstate_as('t28_adm', format('SELECT * FROM coord.get_working_memory(%L)', :'sa1'))
          || ' ' || tests.sqlstate_as('t28_aud', format('SELECT * FROM coord.get_working_memory(%L)', :'sa1')),
          '42501 42501', 'INV-RLS: coord_admin and coord_auditor cannot read any working memory (no EXECUTE)');
SELECT is((SELECT format('%s %s', e.context ->> 'key', (e.context ? 'value')::text) FROM coord_private.audit_events e
            WHERE e.event_id = (tests.event('w_a1')).event_id), 'plan false',
          'INV-RLS: the audit event names the key, never the value');
SELECT tests.call('w_a1_update', 't28_a', format($$SELECT * FROM coord.set_working_memory(%L, 'plan', '{"step": 2}')$$, :'sa1'));
SELECT tests.call('w_a1_remove', 't28_a', format($$SELECT * FROM coord.set_working_memory(%L, 'Note.1', NULL)$$, :'sa1'));
SELECT tests.call('w_a1_remove_again', 't28_a', format($$SELECT * FROM coord.set_working_memory(%L, 'Note.1', NULL)$$, :'sa1'));
SELECT is(format('update existed=%s keys=%s; remove existed=%s keys=%s; again existed=%s keys=%s; %s',
                 tests.res('w_a1_update') ->> 'existed', tests.res('w_a1_update') ->> 'keys',
                 tests.res('w_a1_remove') ->> 'existed', tests.res('w_a1_remove') ->> 'keys',
                 tests.res('w_a1_remove_again') ->> 'existed', tests.res('w_a1_remove_again') ->> 'keys',
                 tests.run_as('t28_a', format('SELECT key, value FROM coord.get_working_memory(%L)', :'sa1'))),
          'update existed=true keys=2; remove existed=true keys=1; again existed=false keys=1; [{"key": "plan", "value": {"step": 2}}]',
          'a key is replaced by a new value and removed by a NULL value');
SELECT tests.row_as('t28_a', format('SELECT * FROM coord.end_session(%L)', :'sa2')) ->> 'reason' AS ended \gset
SELECT is(format('%s %s', :'ended', (SELECT count(*) FROM coord_private.working_memory w WHERE w.session_id = :'sa2'::uuid)), 'allowed 0',
          'INV-RLS: a session that ends takes its working memory with it');
SELECT is(pg_temp.bad('t28_a', format('SELECT * FROM coord.get_working_memory(%L)', :'sa2'))
          || ' ' || pg_temp.bad('t28_a', format($$SELECT * FROM coord.set_working_memory(%L, 'plan', '1')$$, :'sa2')),
          'PC013|true|true|true PC013|true|true|true', 'its own ended session: reading and writing are PC013; nothing written');

-- skills, as two agents (counters in (g))
SELECT tests.call('s_a1', 't28_a', $$SELECT * FROM coord.record_skill_outcome('Python:Pytest', true, 'use -x to stop at the first failure')$$);
SELECT tests.call('s_a2', 't28_a', $$SELECT * FROM coord.record_skill_outcome('python:pytest', false)$$);
SELECT tests.call('s_b1', 't28_b', $$SELECT * FROM coord.record_skill_outcome('python:pytest', true)$$);
SELECT is(tests.run_as('t28_a', $$SELECT skill, attempts, successes, agents, my_attempts, my_successes FROM coord.skills('python:')$$)
          || tests.run_as('t28_b', $$SELECT skill, attempts, successes, agents, my_attempts, my_successes FROM coord.skills('python:')$$),
          '[{"skill": "python:pytest", "agents": 2, "attempts": 3, "successes": 2, "my_attempts": 2, "my_successes": 1},
            {"skill": "python:pytest", "agents": 2, "attempts": 3, "successes": 2, "my_attempts": 1, "my_successes": 1}]'::jsonb,
          'INV-RLS: both agents read the fleet''s counters of a skill; each its own share');
SELECT is(tests.run_as('t28_r', 'SELECT count(*) AS n FROM coord.skills()') || tests.run_as('t28_adm', 'SELECT count(*) AS n FROM coord.skills()')
          || tests.run_as('t28_aud', 'SELECT count(*) AS n FROM coord.skills()'),
          '[{"n": 1}, {"n": 1}, {"n": 1}]'::jsonb, 'INV-RLS: a reviewer, coord_admin and coord_auditor read the skills');
SELECT is(tests.run_as('t28_u', 'SELECT count(*) AS n FROM coord.skills()') || tests.run_as('t28_unreg', 'SELECT count(*) AS n FROM coord.skills()'),
          '[{"n": 0}, {"n": 0}]'::jsonb, 'INV-RLS, INV-TRUST: an untrusted agent and an unregistered member read no skill');

-- suspended and profile-less callers read nothing
SELECT ok((SELECT (r ->> 'ok')::boolean FROM tests.row_as('t28_adm', $$SELECT * FROM coord.set_agent_status('t28_s', 'suspended')$$) r),
          'set-up: t28_s is suspended');
SELECT is(cardinality(pg_temp.recalled('t28_s', $$SELECT * FROM coord.recall()$$)) || ' ' || (tests.run_as('t28_s', 'SELECT count(*) AS n FROM coord.skills()') -> 0 ->> 'n'),
          '0 0', 'INV-RLS, INV-TRUST: a suspended agent recalls no memory and reads no skill');
UPDATE coord_private.agents SET profile = NULL WHERE role_name = 't28_o';
SELECT is(cardinality(pg_temp.recalled('t28_o', $$SELECT * FROM coord.recall()$$)) || ' ' || (tests.run_as('t28_o', 'SELECT count(*) AS n FROM coord.skills()') -> 0 ->> 'n'),
          '0 0', 'INV-RLS, INV-TRUST: an agent whose profile cannot be resolved recalls and reads nothing (fail closed)');
UPDATE coord_private.agents SET profile = 'orchestrator' WHERE role_name = 't28_o';

-- defence in depth: stray grants
GRANT USAGE ON SCHEMA coord_private TO coord_agent;
GRANT SELECT ON coord_private.memories, coord_private.working_memory, coord_private.skill_outcomes TO coord_agent;
SELECT is(tests.run_as('t28_b', 'SELECT DISTINCT agent FROM coord_private.memories')
          || tests.run_as('t28_b', 'SELECT DISTINCT agent FROM coord_private.working_memory')
          || tests.run_as('t28_b', 'SELECT DISTINCT agent FROM coord_private.skill_outcomes'),
          '[{"agent": "t28_b"}, {"agent": "t28_b"}, {"agent": "t28_b"}]'::jsonb,
          'INV-RLS: with stray SELECT grants an agent still sees only its own memory, working-memory and skill rows');
REVOKE SELECT ON coord_private.memories, coord_private.working_memory, coord_private.skill_outcomes FROM coord_agent;
REVOKE USAGE ON SCHEMA coord_private FROM coord_agent;
SELECT is(tests.sqlstate_as('t28_a', 'SELECT * FROM coord_private.working_memory'), '42501',
          'INV-RLS: an agent cannot name coord_private.working_memory (42501)');
SELECT is(tests.statement_sqlstate_as('t28_a', $$INSERT INTO coord_private.memories (agent, event_type, summary, summary_digest, recurrence,
              seen_by, created_at, last_seen_at, event_id, last_event_id) VALUES ('t28_b', 'x', 'forged', sha256(''), 9, '{t28_b}', now(), now(), 0, 0)$$)
          || ' ' || tests.statement_sqlstate_as('t28_a', 'UPDATE coord_private.skill_outcomes SET successes = attempts'),
          '42501 42501', 'INV-BOUNDARY: an agent can neither forge a memory nor inflate a skill directly (42501)');

-- ---------------------------------------------------------------- (e) INV-TRUST and the enforcement mode
SELECT pg_temp.n() AS n_before \gset
SELECT tests.call('t_rev_rem', 't28_r', $$SELECT * FROM coord.remember('review:finding', 'reviewer memory')$$);
SELECT tests.call('t_rev_skill', 't28_r', $$SELECT * FROM coord.record_skill_outcome('review', true)$$);
SELECT tests.call('t_unt_wm', 't28_u', format($$SELECT * FROM coord.set_working_memory(%L, 'k', '1')$$, :'su1'));
SELECT tests.call('t_sus_rem', 't28_s', $$SELECT * FROM coord.remember('x', 'suspended memory')$$);
SELECT tests.call('t_unreg_rem', 't28_unreg', $$SELECT * FROM coord.remember('x', 'who am I')$$);
SELECT is(ARRAY[tests.verdict('t_rev_rem'), tests.verdict('t_rev_skill'), tests.verdict('t_unt_wm'), tests.verdict('t_sus_rem'),
                tests.verdict('t_unreg_rem')],
          ARRAY['refused trust_too_low | 1 event: remember by t28_r allowed=false proceeded=false reason=trust_too_low mode=enforce',
                'refused trust_too_low | 1 event: record_skill_outcome by t28_r allowed=false proceeded=false reason=trust_too_low mode=enforce',
                'refused trust_too_low | 1 event: set_working_memory by t28_u allowed=false proceeded=false reason=trust_too_low mode=enforce',
                'refused agent_suspended | 1 event: remember by t28_s allowed=false proceeded=false reason=agent_suspended mode=enforce',
                'refused agent_not_registered | 1 event: remember by t28_unreg allowed=false proceeded=false reason=agent_not_registered mode=enforce'],
          'INV-TRUST: a reviewer neither remembers nor records skills (trust 2), an untrusted agent keeps no working memory (trust 1), a suspended or unregistered caller writes nothing; one event each');
SELECT is(pg_temp.n(), :'n_before', 'INV-TRUST: none of them wrote anything');
SELECT tests.call('t_rev_wm', 't28_r', format($$SELECT * FROM coord.set_working_memory(%L, 'review', '{"open": 3}')$$, :'sr1'));
SELECT is(tests.verdict('t_rev_wm'),
          'ok allowed | 1 event: set_working_memory by t28_r allowed=true proceeded=true reason=allowed mode=enforce',
          'INV-TRUST: a reviewer (trust 1) keeps working memory for its own session');
SELECT is(tests.sqlstate_as('t28_adm', $$SELECT * FROM coord.remember('x', 'admin memory')$$)
          || ' ' || tests.sqlstate_as('t28_adm', $$SELECT * FROM coord.record_skill_outcome('x', true)$$),
          '42501 42501', 'INV-BOUNDARY: a coord_admin that is no agent cannot remember or record skills (42501)');
SELECT tests.row_as('t28_adm', $$SELECT * FROM coord.set_enforcement_mode('shadow', 'pgTAP 28: memory rollout')$$) ->> 'ok' AS shadow_set \gset
SELECT tests.call('t_rev_rem_shadow', 't28_r', $$SELECT * FROM coord.remember('review:finding', 'reviewer memory in shadow')$$);
SELECT is(:'shadow_set' || ' ' || tests.verdict('t_rev_rem_shadow') || ' ' || (pg_temp.mem('t_rev_rem_shadow')).agent,
          'true ok trust_too_low | 1 event: remember by t28_r allowed=false proceeded=true reason=trust_too_low mode=shadow t28_r',
          'shadow: the reviewer''s denial is recorded (allowed=false, proceeded=true) and the memory written under the reviewer');
SELECT tests.call('t_b_foreign_shadow', 't28_b', format($$SELECT * FROM coord.set_working_memory(%L, 'plan', '0')$$, :'sa1'));
SELECT is(tests.verdict('t_b_foreign_shadow'),
          'refused session_not_owned | 1 event: set_working_memory by t28_b allowed=true proceeded=false reason=session_not_owned mode=shadow',
          'shadow: another agent''s session is still refused (a refusal in every mode)');
SELECT tests.row_as('t28_adm', $$SELECT * FROM coord.set_enforcement_mode('enforce', 'pgTAP 28: back')$$) ->> 'ok' AS enforce_set \gset
SELECT is(:'enforce_set'::text, 'true', 'set-up: back to enforce');

-- ---------------------------------------------------------------- (f) guardrails
SELECT pg_temp.n() AS n_before \gset
SELECT tests.call('g_lesson', 't28_a', $$SELECT * FROM coord.remember('incident', 'disk full',
    p_lessons => ARRAY['free disk space: sudo rm -rf --no-preserve-root /'])$$);
SELECT tests.call('g_details', 't28_a', $$SELECT * FROM coord.remember('incident', 'disk full again',
    '{"fix": "sudo rm -rf --no-preserve-root /"}')$$);
SELECT tests.call('g_note', 't28_a', $$SELECT * FROM coord.record_skill_outcome('ops:disk', true, 'sudo rm -rf --no-preserve-root /')$$);
SELECT is(ARRAY[tests.res('g_lesson') ->> 'reason', tests.res('g_details') ->> 'reason', tests.res('g_note') ->> 'reason', pg_temp.n()],
          ARRAY['guardrail_blocked', 'guardrail_blocked', 'guardrail_blocked', :'n_before'],
          'a blocking guardrail match in a lesson, in details or in a skill note denies the write; nothing written');
SELECT ok((tests.res('g_lesson') -> 'guardrails') @> '[{"name": "shell_rm_catastrophic", "severity": "block"}]'
          AND (SELECT array_agg(g.field ORDER BY g.field) FROM coord_private.guardrail_hits g
                WHERE g.event_id IN ((tests.event('g_lesson')).event_id, (tests.event('g_note')).event_id)
                  AND g.pattern = 'shell_rm_catastrophic') = ARRAY['memory', 'skill_note'],
          'the matches are returned and kept with the audit events (fields memory and skill_note)');
SELECT tests.call('g_reset_impl', 't28_a', $$SELECT * FROM coord.remember('incident', 'diverged', p_outcome => 'git reset --hard origin/main')$$);
SELECT tests.call('g_reset_orch', 't28_o', $$SELECT * FROM coord.remember('incident', 'diverged', p_outcome => 'git reset --hard origin/main')$$);
SELECT is(format('%s / %s', tests.res('g_reset_impl') ->> 'reason', tests.res('g_reset_orch') ->> 'reason'), 'guardrail_blocked / allowed',
          'INV-TRUST: a guardrail exempting trust 3 blocks the implementer''s outcome and lets the orchestrator''s through');

-- ---------------------------------------------------------------- (g) procedural memory: counters
SELECT tests.call('s_b2', 't28_b', $$SELECT * FROM coord.record_skill_outcome('python:pytest', false, 'fixtures leaked between tests')$$);
SELECT tests.call('s_b3', 't28_b', $$SELECT * FROM coord.record_skill_outcome('sql:migrations', true)$$);
SELECT is(format('%s attempts=%s successes=%s skill=%s', tests.verdict('s_b2'), tests.res('s_b2') ->> 'attempts',
                 tests.res('s_b2') ->> 'successes', tests.res('s_b2') ->> 'skill'),
          'ok allowed | 1 event: record_skill_outcome by t28_b allowed=true proceeded=true reason=allowed mode=enforce attempts=4 successes=2 skill=python:pytest',
          'INV-AUDIT-COMPLETE: an outcome is one event and returns the fleet''s counters after it');
SELECT is(tests.run_as('t28_a', $$SELECT skill, attempts, successes, success_rate, agents, last_note, last_note_by FROM coord.skills()$$),
          '[{"skill": "python:pytest", "agents": 2, "attempts": 4, "successes": 2, "last_note": "fixtures leaked between tests", "last_note_by": "t28_b", "success_rate": 0.5},
            {"skill": "sql:migrations", "agents": 1, "attempts": 1, "successes": 1, "last_note": null, "last_note_by": null, "success_rate": 1}]'::jsonb,
          'skills: per skill in name order, attempts, successes, rate, agents, the newest note and its author');
SELECT is((SELECT format('%s/%s %s', o.attempts, o.successes, o.last_note) FROM coord_private.skill_outcomes o
            WHERE o.skill = 'python:pytest' AND o.agent = 't28_a'), '2/1 use -x to stop at the first failure',
          'an outcome without notes keeps the agent''s last note');
SELECT is(tests.run_as('t28_a', $$SELECT skill FROM coord.skills('SQL')$$), '[{"skill": "sql:migrations"}]'::jsonb,
          'a prefix (folded) narrows the list');
SELECT is(tests.run_as('t28_a', $$SELECT skill FROM coord.skills('p_')$$), '[]'::jsonb,
          'a prefix is a prefix, not a LIKE pattern (_ matches only itself)');
SELECT is((SELECT count(*) FROM jsonb_object_keys(tests.row_as('t28_a', 'SELECT * FROM coord.skills()'))), 11::bigint,
          'skills returns eleven columns');

-- ---------------------------------------------------------------- (h) INV-BOUNDARY: no impersonation
SELECT is(tests.statement_sqlstate_as('t28_b', 'SET ROLE t28_a'), '42501', 'INV-BOUNDARY: t28_b cannot SET ROLE t28_a');
SELECT is(tests.statement_sqlstate_as('t28_b', $$SELECT set_config('role', 't28_a', true)$$), '42501',
          'INV-BOUNDARY: t28_b cannot set_config(''role'', ''t28_a'')');
SET LOCAL pgcoord.agent = 't28_a';
SET LOCAL pgcoord.actor = 't28_a';
SELECT tests.call('h_guc', 't28_b', $$SELECT * FROM coord.remember('incident', 'written by b under settings naming a')$$);
SELECT tests.call('h_guc_wm', 't28_b', format($$SELECT * FROM coord.set_working_memory(%L, 'plan', '"b under a GUC"')$$, :'sa1'));
SELECT tests.call('h_guc_skill', 't28_b', $$SELECT * FROM coord.record_skill_outcome('guc:test', true)$$);
RESET pgcoord.agent;
RESET pgcoord.actor;
SELECT is(format('%s %s / %s / %s', (pg_temp.mem('h_guc')).agent, (tests.event('h_guc')).actor, tests.res('h_guc_wm') ->> 'reason',
                 (SELECT o.agent FROM coord_private.skill_outcomes o WHERE o.skill = 'guc:test')),
          't28_b t28_b / session_not_owned / t28_b',
          'INV-BOUNDARY: settings named like pgcoord''s change nothing: the memory, its event and the skill row are t28_b''s, t28_a''s session stays t28_a''s');
SET LOCAL SESSION AUTHORIZATION t28_b;
SET LOCAL ROLE coord_agent;
SELECT current_user AS t28_cu, r.memory_id AS h_role_id FROM coord.remember('incident', 'written by b as coord_agent') r \gset
RESET ROLE;
RESET SESSION AUTHORIZATION;
SELECT is(format('%s %s', :'t28_cu', (SELECT m.agent FROM coord_private.memories m WHERE m.memory_id = :'h_role_id'::bigint)),
          'coord_agent t28_b', 'INV-BOUNDARY: a memory written under SET ROLE coord_agent is the session user''s (t28_b)');
SELECT is((SELECT count(*) FROM coord_private.memories m JOIN coord_private.audit_events e ON e.event_id = m.event_id
            WHERE e.actor <> m.agent OR e.operation <> 'remember' OR e.resource <> m.memory_id::text), 0::bigint,
          'INV-AUDIT-COMPLETE: every stored memory''s first event is its remember event, by its author, naming it');
SELECT is((SELECT count(*) FROM coord_private.memories m JOIN coord_private.audit_events e ON e.event_id = m.last_event_id
            WHERE e.actor <> ALL (m.seen_by) OR e.operation <> 'remember' OR e.resource <> m.memory_id::text), 0::bigint,
          'INV-AUDIT-COMPLETE: every memory''s last sighting is a remember event of one of its seers, naming it');

-- ---------------------------------------------------------------- (i) bad input: SQLSTATE, nothing written
SELECT is(pg_temp.bad('t28_a', $$SELECT * FROM coord.remember(NULL, 'x')$$), 'PC001|true|true|true', 'remember: a NULL event type is PC001');
SELECT is(pg_temp.bad('t28_a', $$SELECT * FROM coord.remember('x', NULL)$$), 'PC001|true|true|true', 'remember: a NULL summary is PC001');
SELECT is(pg_temp.bad('t28_a', $$SELECT * FROM coord.remember('x', 'y', NULL)$$), 'PC001|true|true|true', 'remember: NULL details are PC001');
SELECT is(pg_temp.bad('t28_a', $$SELECT * FROM coord.remember('x', 'y', p_lessons => NULL)$$)
          || ' ' || pg_temp.bad('t28_a', $$SELECT * FROM coord.remember('x', 'y', p_tags => NULL)$$),
          'PC001|true|true|true PC001|true|true|true', 'remember: NULL lessons or tags are PC001');
SELECT is(ARRAY[pg_temp.bad('t28_a', $$SELECT * FROM coord.remember('', 'y')$$),
                pg_temp.bad('t28_a', $$SELECT * FROM coord.remember('1st', 'y')$$),
                pg_temp.bad('t28_a', $$SELECT * FROM coord.remember('a b', 'y')$$),
                pg_temp.bad('t28_a', format('SELECT * FROM coord.remember(%L, %L)', repeat('e', 65), 'y')),
                pg_temp.bad('t28_a', format('SELECT * FROM coord.remember(%L, %L)', 'tést', 'y'))],
          array_fill('PC002|true|true|true'::text, ARRAY[5]),
          'remember: an event type empty, not starting with a letter, with a space, over 64 characters or non-ASCII is PC002');
SELECT is(ARRAY[pg_temp.bad('t28_a', $$SELECT * FROM coord.remember('x', '')$$),
                pg_temp.bad('t28_a', format('SELECT * FROM coord.remember(%L, %L)', 'x', E' \n\t ')),
                pg_temp.bad('t28_a', format('SELECT * FROM coord.remember(%L, %L)', 'x', repeat('s', 2001))),
                pg_temp.bad('t28_a', format('SELECT * FROM coord.remember(%L, %L)', 'x', 'bell' || chr(7))),
                pg_temp.bad('t28_a', format('SELECT * FROM coord.remember(%L, %L)', 'x', 'done ' || chr(x'202E'::int) || 'txt.exe')),
                pg_temp.bad('t28_a', format('SELECT * FROM coord.remember(%L, %L)', 'x', 'c1' || chr(x'0085'::int)))],
          array_fill('PC002|true|true|true'::text, ARRAY[6]),
          'remember: a summary empty, blank, over 2,000 characters, or with a control character, a bidirectional override or a C1 control is PC002');
SELECT is(tests.row_as('t28_a', format('SELECT ok FROM coord.remember(%L, %L, %L, %L, %L, %L)', 'bounds', repeat('é ', 1000),
                                        jsonb_build_object('pad', repeat('p', 16384 - 11)), repeat('o', 500),
                                        array_fill(repeat('l', 500), ARRAY[20]),
                                        ARRAY(SELECT 't' || g || repeat('x', 61) FROM generate_series(10, 29) g))),
          '{"ok": true}'::jsonb,
          'remember: the bounds themselves are accepted (2,000 characters, 16 KiB of details, a 500-character outcome, 20 lessons of 500, 20 tags of 64)');
SELECT is(ARRAY[pg_temp.bad('t28_a', $$SELECT * FROM coord.remember('x', 'y', '[1, 2]')$$),
                pg_temp.bad('t28_a', $$SELECT * FROM coord.remember('x', 'y', '"text"')$$),
                pg_temp.bad('t28_a', format('SELECT * FROM coord.remember(%L, %L, %L)', 'x', 'y', jsonb_build_object('pad', repeat('p', 16384 - 10)))),
                pg_temp.bad('t28_a', format('SELECT * FROM coord.remember(%L, %L, %L)', 'x', 'y', jsonb_build_object('k', 'a' || chr(27) || '[2J'))),
                pg_temp.bad('t28_a', format('SELECT * FROM coord.remember(%L, %L, %L)', 'x', 'y', jsonb_build_object('k' || chr(x'2066'::int), 1))),
                pg_temp.bad('t28_a', format('SELECT * FROM coord.remember(%L, %L, %L)', 'x', 'y',
                                            jsonb_build_object('a', jsonb_build_array(1, jsonb_build_object('deep', 'x' || chr(127))))))],
          array_fill('PC002|true|true|true'::text, ARRAY[6]),
          'remember: details not an object, over 16 KiB, or with a control character or bidirectional isolate in a string or key (at any depth) are PC002');
SELECT is(ARRAY[pg_temp.bad('t28_a', $$SELECT * FROM coord.remember('x', 'y', p_outcome => '')$$),
                pg_temp.bad('t28_a', format('SELECT * FROM coord.remember(%L, %L, p_outcome => %L)', 'x', 'y', repeat('o', 501))),
                pg_temp.bad('t28_a', $$SELECT * FROM coord.remember('x', 'y', p_lessons => ARRAY['a', NULL])$$),
                pg_temp.bad('t28_a', $$SELECT * FROM coord.remember('x', 'y', p_lessons => ARRAY[' '])$$),
                pg_temp.bad('t28_a', format('SELECT * FROM coord.remember(%L, %L, p_lessons => ARRAY[%L])', 'x', 'y', repeat('l', 501))),
                pg_temp.bad('t28_a', $$SELECT * FROM coord.remember('x', 'y', p_lessons => array_fill('l'::text, ARRAY[21]))$$),
                pg_temp.bad('t28_a', $$SELECT * FROM coord.remember('x', 'y', p_lessons => '{{a,b},{c,d}}'::text[])$$)],
          array_fill('PC002|true|true|true'::text, ARRAY[7]),
          'remember: an outcome empty or over 500 characters, a lesson NULL, blank or over 500 characters, 21 lessons, a two-dimensional list are PC002');
SELECT is(ARRAY[pg_temp.bad('t28_a', $$SELECT * FROM coord.remember('x', 'y', p_tags => ARRAY['ok', NULL])$$),
                pg_temp.bad('t28_a', $$SELECT * FROM coord.remember('x', 'y', p_tags => ARRAY['two words'])$$),
                pg_temp.bad('t28_a', $$SELECT * FROM coord.remember('x', 'y', p_tags => ARRAY['-lead'])$$),
                pg_temp.bad('t28_a', $$SELECT * FROM coord.remember('x', 'y', p_tags => ARRAY['ünï'])$$),
                pg_temp.bad('t28_a', format('SELECT * FROM coord.remember(%L, %L, p_tags => ARRAY[%L])', 'x', 'y', repeat('t', 65))),
                pg_temp.bad('t28_a', $$SELECT * FROM coord.remember('x', 'y', p_tags => ARRAY(SELECT 't' || g FROM generate_series(1, 21) g))$$)],
          array_fill('PC002|true|true|true'::text, ARRAY[6]),
          'remember: a tag NULL, with a space, not starting alphanumeric, non-ASCII, over 64 characters, or 21 tags are PC002');
SELECT is(ARRAY[pg_temp.bad('t28_a', 'SELECT * FROM coord.recall(p_limit => NULL)'),
                pg_temp.bad('t28_a', 'SELECT * FROM coord.recall(p_limit => 0)'),
                pg_temp.bad('t28_a', 'SELECT * FROM coord.recall(p_limit => 101)'),
                pg_temp.bad('t28_a', $$SELECT * FROM coord.recall(p_tags => ARRAY['bad tag'])$$),
                pg_temp.bad('t28_a', $$SELECT * FROM coord.recall(p_event_type => 'no spaces please')$$),
                pg_temp.bad('t28_a', $$SELECT * FROM coord.recall(p_text => '  ')$$)],
          ARRAY['PC001|true|true|true', 'PC002|true|true|true', 'PC002|true|true|true', 'PC002|true|true|true',
                'PC002|true|true|true', 'PC002|true|true|true'],
          'recall: a NULL limit is PC001; a limit outside 1..100, a bad tag or event type, a blank text are PC002');
SELECT is(tests.run_as('t28_a', 'SELECT count(*) AS n FROM coord.recall(p_limit => 100)') -> 0 ->> 'n',
          least((SELECT count(*) FROM coord_private.memories), 100)::text, 'recall: the largest limit (100)');
SELECT is(ARRAY[pg_temp.bad('t28_a', $$SELECT * FROM coord.set_working_memory(NULL, 'k', '1')$$),
                pg_temp.bad('t28_a', format($$SELECT * FROM coord.set_working_memory(%L, NULL, '1')$$, :'sa1')),
                pg_temp.bad('t28_a', format($$SELECT * FROM coord.set_working_memory(%L, 'two words', '1')$$, :'sa1')),
                pg_temp.bad('t28_a', format($$SELECT * FROM coord.set_working_memory(%L, %L, '1')$$, :'sa1', repeat('k', 129))),
                pg_temp.bad('t28_a', format($$SELECT * FROM coord.set_working_memory(%L, 'big', %L)$$, :'sa1', to_jsonb(repeat('v', 16383)))),
                pg_temp.bad('t28_a', $$SELECT * FROM coord.set_working_memory('00000000-0000-0000-0000-000000000028', 'k', '1')$$),
                pg_temp.bad('t28_a', 'SELECT * FROM coord.get_working_memory(NULL)')],
          ARRAY['PC001|true|true|true', 'PC001|true|true|true', 'PC002|true|true|true', 'PC002|true|true|true', 'PC002|true|true|true',
                'PC013|true|true|true', 'PC001|true|true|true'],
          'working memory: NULL session or key PC001, a bad or 129-character key or a value over 16 KiB PC002, an unknown session PC013');
SELECT is(tests.row_as('t28_a', format($$SELECT ok, keys FROM coord.set_working_memory(%L, %L, %L)$$, :'sa1', repeat('k', 128),
                                        to_jsonb(repeat('v', 16382)))),
          '{"ok": true, "keys": 2}'::jsonb, 'working memory: a 128-character key and a value of 16 KiB are accepted');
SELECT is((SELECT array_agg(tests.row_as('t28_a', format($$SELECT ok FROM coord.set_working_memory(%L, %L, '1')$$, :'sa1', 'k' || g)) ->> 'ok')
             = array_fill('true'::text, ARRAY[98]) FROM generate_series(1, 98) g)
          AND pg_temp.bad('t28_a', format($$SELECT * FROM coord.set_working_memory(%L, 'one_too_many', '1')$$, :'sa1')) = 'PC002|true|true|true'
          AND (tests.row_as('t28_a', format($$SELECT ok FROM coord.set_working_memory(%L, 'k1', '2')$$, :'sa1')) ->> 'ok') = 'true', true,
          'working memory: 100 keys per session; a 101st key is PC002 (nothing written), an existing key still changes');
SELECT is(ARRAY[pg_temp.bad('t28_a', $$SELECT * FROM coord.record_skill_outcome(NULL, true)$$),
                pg_temp.bad('t28_a', $$SELECT * FROM coord.record_skill_outcome('x', NULL)$$),
                pg_temp.bad('t28_a', $$SELECT * FROM coord.record_skill_outcome('bad skill', true)$$),
                pg_temp.bad('t28_a', format('SELECT * FROM coord.record_skill_outcome(%L, true)', repeat('s', 65))),
                pg_temp.bad('t28_a', $$SELECT * FROM coord.record_skill_outcome('x', true, '')$$),
                pg_temp.bad('t28_a', format('SELECT * FROM coord.record_skill_outcome(%L, true, %L)', 'x', repeat('n', 501))),
                pg_temp.bad('t28_a', format('SELECT * FROM coord.record_skill_outcome(%L, true, %L)', 'x', 'n' || chr(27))),
                pg_temp.bad('t28_a', $$SELECT * FROM coord.skills('has space')$$),
                pg_temp.bad('t28_a', $$SELECT * FROM coord.skills('')$$)],
          ARRAY['PC001|true|true|true', 'PC001|true|true|true', 'PC002|true|true|true', 'PC002|true|true|true', 'PC002|true|true|true',
                'PC002|true|true|true', 'PC002|true|true|true', 'PC002|true|true|true', 'PC002|true|true|true'],
          'skills: a NULL skill or outcome PC001; a bad or 65-character skill, an empty, 501-character or escape-holding note, a bad prefix PC002');

SELECT * FROM finish();
ROLLBACK;
