-- Deploy pgcoord:memory
-- Memory (issue 15): what the fleet learned (episodic), what one agent keeps for one
-- of its sessions (working), and how well the fleet's skills work (procedural).
-- Every write is an operation of the catalog, through the policy hook: one audit
-- event per call, the enforcement mode applies (shadow and off record a denial and
-- write), bad input is a PC SQLSTATE with DETAIL and HINT and writes nothing. Reads
-- are no decisions (as check_locks, read_handoffs): no audit event, nothing locked.
--
-- Episodic memory: the fleet's shared knowledge.
--   * coord.remember(event_type, summary, details, outcome, lessons, tags) as the
--     calling agent (session_user; no identity argument). Operation remember,
--     category agent, trust 2: like write_handoff, a write of state the whole fleet
--     reads (and acts on). Returns ok, reason, memory_id, deduplicated, guardrails,
--     event_id (memory_id and deduplicated NULL when nothing was written).
--   * Bounds (PC001 for a NULL required argument, PC002 otherwise; nothing written):
--       event_type  1 to 64 characters a-z 0-9 _ . : -, the first a letter (A-Z
--                   folded to a-z: one spelling per type)
--       summary     1 to 2,000 characters, not blank
--       details     a JSON object of at most 16 KiB (16,384 bytes as JSON text)
--       outcome     NULL, or 1 to 500 characters, not blank
--       lessons     at most 20, each 1 to 500 characters, not blank, no NULL item,
--                   one-dimensional (stored numbered from 1, in the order given)
--       tags        at most 20, each 1 to 64 characters a-z 0-9 _ . : / + # = -, the
--                   first alphanumeric (A-Z folded to a-z), repeats dropped, sorted
--     Text (summary, outcome, lessons, and every key and string of details) holds no
--     control character but tab, line feed and carriage return, and no bidirectional
--     embedding, override or isolate: the rule of handoffs (handoff_text_problem).
--   * Guardrails scan the summary, outcome, lessons and details (as submit_task scans
--     a description and input): a blocking match denies by the caller's trust
--     (guardrail_blocked); every match is returned and kept with the audit event
--     (field memory). Tags and the event type are a restricted charset: not scanned.
--   * Deduplication, fleet-wide: a memory is keyed by its event type and its summary
--     normalised (NFC, lower case by Unicode rules, runs of white space as one space,
--     trimmed; its SHA-256 is stored). A remember whose key matches a memory last
--     seen less than memory_dedup_window() (1 hour) before it returns that memory's
--     id with deduplicated = true, adds 1 to its seen_count, moves its last_seen_at
--     and adds the caller to its seen_by (the first 100 distinct agents); nothing
--     else of the memory changes (its text, details, lessons and tags are its first
--     author's: a duplicate's are scanned and audited, not stored). The window slides:
--     an event seen every half hour stays one memory; after an hour without it, the
--     next sighting starts a new memory, its recurrence one higher. Fleet-wide, not
--     per agent: sixteen agents meeting the same failure leave one memory seen 16
--     times by 16 agents, which says more than sixteen copies.
--     Race-free: remembers of one key serialise on a row of coord_private.memory_lines
--     (4,096 rows the key hashes to, locked FOR UPDATE before the memory is looked
--     up; row locks, never advisory keys an agent could hold, as coordination_locks),
--     and UNIQUE (event_type, summary_digest, recurrence) forbids two memories of one
--     key and window whatever happens. The decision (new or duplicate, the memory id)
--     is made under that lock before the hook, so the audit event names the memory
--     it is about (resource = memory_id; context memory_id, deduplicated, recurrence,
--     sizes; never the text). A new memory's id is drawn before the hook: a denial
--     leaves a gap in the ids.
--   * coord.recall(tags, event_type, text, limit): memories filtered by tags
--     (containment: every tag given, tags @> p_tags; NULL or '{}' no filter) and by
--     event type (equality), ranked, at most limit (1 to 100). With text: only
--     memories matching websearch_to_tsquery('english', text) (quotes, OR, - are its
--     syntax; no input raises a syntax error), text 1 to 2,000 characters with at
--     least one searchable word (PC002 when it has none: only stop words or
--     punctuation). The search vector is a stored generated column: summary weight
--     A, lessons B, tags C, english configuration, GIN-indexed.
--     Ranking:   recency   = 2^(-age / 7 days), age = now - last_seen_at (>= 0)
--                relevance = ts_rank_cd(search, query, 32): cover density (how many
--                            and how close the matches, weighted by field: summary
--                            1.0, lessons 0.4, tags 0.2), scaled to rank / (rank + 1),
--                            in [0, 1); no length penalty (lessons add, never dilute)
--                score     = relevance * (1 + recency) with text, recency without
--     so a brand-new memory gains at most a factor 2 over an old one of equal
--     relevance; ties (and every recall without text) newest last_seen_at first, then
--     highest memory_id. Bounded work: a recall with text ranks at most the 300 most
--     recently seen memories that match it and the filters
--     (recall_max_candidates()); a text matching more (a word in a third of all
--     memories, a lone -word) is answered from its 300 newest matches, so no text
--     costs more than about sqrt(300 * memories) rows read (bench/memory.py: p99
--     against 10 ms at 10^5 memories). recall pins two more settings:
--     plan_cache_mode = force_custom_plan (each call planned for its own filters: a
--     cached generic plan of "v_tags IS NULL OR tags @> v_tags" would scan every
--     memory) and client_min_messages = warning (websearch_to_tsquery's notice about a
--     text of stop words only; PC002 says it). The GIN indexes have fastupdate off, so
--     no recall scans a pending list of entries inserted since the last vacuum.
-- Working memory: private to its agent and session.
--   * coord.set_working_memory(session_id, key, value): operation set_working_memory,
--     category agent, trust 1: a write of the caller's own state nobody else reads
--     (register_session and heartbeat are trust 1 too; a reviewer keeps notes of its
--     sessions). value NULL removes the key. Returns ok, reason, existed (the key was
--     there before), keys (the session's keys after the call), event_id.
--     The session: one of the caller's own open sessions. No open session with the id
--     is PC013 (unknown or ended); another agent's open session is refused in every
--     mode with session_not_owned (audited, nothing written, its row not locked).
--     Bounds: key 1 to 128 characters A-Z a-z 0-9 _ . : / + # = -, the first
--     alphanumeric (case kept); value any JSON of at most 16 KiB as JSON text; at most
--     100 keys per session (a new key beyond them: PC002). Not scanned by the
--     guardrails (nobody else reads it). Writes of one session serialise on its row.
--   * coord.get_working_memory(session_id): key, value, updated_at of one of the
--     caller's own open sessions, by key; any other id (unknown, ended, another
--     agent's) is PC013, the same error whether or not the session exists.
--   * When a session ends (coord.end_session) its working memory is deleted in the
--     same transaction (trigger sessions_clear_working_memory; the end_session event
--     covers it). A session never ended keeps it (bounded as above).
--   * The audit event names the session (resource) and the key; never the value.
-- Procedural memory (skills): the fleet's success rates.
--   * coord.record_skill_outcome(skill, succeeded, notes): operation
--     record_skill_outcome, category agent, trust 2 (the counters are the fleet's).
--     One row per (skill, agent), attempts + 1 and successes + 1 when succeeded, by
--     INSERT ... ON CONFLICT DO UPDATE (concurrent outcomes of one agent serialise on
--     its row; of several agents, never wait for each other; nothing is lost).
--     skill: the tags' charset (1 to 64, folded); notes: NULL or 1 to 500 characters
--     of handoff text, scanned by the guardrails (field skill_note), kept as the
--     agent's last note on the skill. Returns ok, reason, skill (as stored), attempts
--     and successes (the fleet's, as this call saw them), guardrails, event_id.
--   * coord.skills(prefix): per skill (name order, at most 1,000; prefix in the same
--     charset, NULL for all): attempts, successes, success_rate (successes /
--     attempts), agents (how many recorded it), the caller's own attempts and
--     successes, the last outcome's time, and the newest note with its author.
-- Visibility (INV-RLS), proven as two agents by pgtap/28_memory.sql:
--   * episodic memories and skills are the fleet's: coord_admin, coord_auditor and
--     every registered agent that is active and whose profile resolves with trust >= 1
--     read all of them (recall, skills); an unregistered member of coord_agent, a
--     suspended agent, an agent without a profile or with trust 0 reads no row
--     (INV-TRUST: fail closed). Authors (agent, seen_by, last_note_by) are shown, as
--     read_handoffs and discover_agents show names.
--   * working memory is its agent's: only through get_working_memory, only the
--     caller's own open session; coord_admin and coord_auditor hold no EXECUTE on it
--     (the trail shows keys and sizes, never values).
-- Storage: coord_private.memories, memory_lines, working_memory, skill_outcomes: RLS
-- enabled, no grant to any pgcoord role (the functions are definers); with a stray
-- grant an agent would see only its own rows (policies *_own). Episodic memories and
-- skill rows are kept (nothing prunes them; volume: profile trust and CONNECTION
-- LIMIT, README "Threat model"); working memory goes with its session.
BEGIN;
SET LOCAL ROLE coord_owner;

INSERT INTO coord_private.operations (name, category, min_trust, description) VALUES
    ('remember',             'agent', 2, 'record an episodic memory for the fleet (what happened, its outcome, lessons, tags); deduplicated within an hour'),
    ('set_working_memory',   'agent', 1, 'set or remove a key of the working memory of one of the caller''s own open sessions'),
    ('record_skill_outcome', 'agent', 2, 'count an attempt (and a success) of a skill in the fleet''s procedural memory');

-- ---------------------------------------------------------------- documented bounds
CREATE FUNCTION coord_private.memory_dedup_window()
RETURNS interval LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $fn$ SELECT interval '1 hour' $fn$;
COMMENT ON FUNCTION coord_private.memory_dedup_window() IS
    'documented: a remember of the same event type and normalised summary within this time of the memory''s last sighting is a duplicate of it';

CREATE FUNCTION coord_private.memory_recency_half_life()
RETURNS interval LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $fn$ SELECT interval '7 days' $fn$;
COMMENT ON FUNCTION coord_private.memory_recency_half_life() IS
    'documented: recall''s recency halves every 7 days since a memory was last seen';

CREATE FUNCTION coord_private.memory_summary_max_length()
RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $fn$ SELECT 2000 $fn$;
COMMENT ON FUNCTION coord_private.memory_summary_max_length() IS 'documented: the most characters of a memory''s summary (and of a recall text)';

CREATE FUNCTION coord_private.memory_item_max_length()
RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $fn$ SELECT 500 $fn$;
COMMENT ON FUNCTION coord_private.memory_item_max_length() IS
    'documented: the most characters of a memory''s outcome, of one lesson, and of a skill note';

CREATE FUNCTION coord_private.memory_max_items()
RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $fn$ SELECT 20 $fn$;
COMMENT ON FUNCTION coord_private.memory_max_items() IS 'documented: the most lessons and the most tags of a memory (and tags of a recall)';

CREATE FUNCTION coord_private.memory_json_max_bytes()
RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $fn$ SELECT 16384 $fn$;
COMMENT ON FUNCTION coord_private.memory_json_max_bytes() IS
    'documented: the most bytes (as JSON text) of a memory''s details and of one working-memory value';

CREATE FUNCTION coord_private.recall_max_limit()
RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $fn$ SELECT 100 $fn$;
COMMENT ON FUNCTION coord_private.recall_max_limit() IS 'documented: the most memories one coord.recall call returns';

CREATE FUNCTION coord_private.recall_max_candidates()
RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $fn$ SELECT 300 $fn$;
COMMENT ON FUNCTION coord_private.recall_max_candidates() IS
    'documented: a recall with text ranks at most the 300 most recently seen matching memories (bounded work whatever the text: recall p99 within 10 ms at 10^5 memories)';

CREATE FUNCTION coord_private.working_memory_max_keys()
RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $fn$ SELECT 100 $fn$;
COMMENT ON FUNCTION coord_private.working_memory_max_keys() IS 'documented: the most keys of one session''s working memory';

CREATE FUNCTION coord_private.skills_max_rows()
RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $fn$ SELECT 1000 $fn$;
COMMENT ON FUNCTION coord_private.skills_max_rows() IS 'documented: the most skills one coord.skills call returns (narrow with a prefix)';

-- ---------------------------------------------------------------- names and keys
-- A memory name (tag, skill): 1 to 64 characters a-z 0-9 _ . : / + # = -, the first
-- alphanumeric, after folding A-Z to a-z (ASCII only: COLLATE "C").
CREATE FUNCTION coord_private.memory_name_valid(p_name text)
RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $fn$ SELECT p_name ~ '^[a-z0-9][a-z0-9_.:/+#=-]{0,63}$' $fn$;
COMMENT ON FUNCTION coord_private.memory_name_valid(text) IS
    'a tag or skill name (folded): 1 to 64 characters a-z 0-9 _ . : / + # = -, the first alphanumeric';

-- An event type (folded): 1 to 64 characters a-z 0-9 _ . : -, the first a letter.
CREATE FUNCTION coord_private.event_type_valid(p_type text)
RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $fn$ SELECT p_type ~ '^[a-z][a-z0-9_.:-]{0,63}$' $fn$;
COMMENT ON FUNCTION coord_private.event_type_valid(text) IS
    'an episodic memory''s event type (folded): 1 to 64 characters a-z 0-9 _ . : -, the first a letter';

-- A working-memory key: 1 to 128 characters A-Z a-z 0-9 _ . : / + # = -, the first
-- alphanumeric, case kept.
CREATE FUNCTION coord_private.working_memory_key_valid(p_key text)
RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $fn$ SELECT p_key ~ '^[A-Za-z0-9][A-Za-z0-9_.:/+#=-]{0,127}$' $fn$;
COMMENT ON FUNCTION coord_private.working_memory_key_valid(text) IS
    'a working-memory key: 1 to 128 characters A-Z a-z 0-9 _ . : / + # = -, the first alphanumeric';

-- The event type folded to lower case, or PC001 / PC002.
CREATE FUNCTION coord_private.require_event_type(p_type text)
RETURNS text LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    v text := pg_catalog.lower(p_type COLLATE "C");
BEGIN
    IF p_type IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PC001', MESSAGE = 'event_type must not be NULL',
            DETAIL = 'a required argument was NULL; nothing was changed',
            HINT = 'name what happened, e.g. test_failure, deploy, review:finding';
    END IF;
    IF NOT coord_private.event_type_valid(v) THEN
        RAISE EXCEPTION USING ERRCODE = 'PC002', MESSAGE = pg_catalog.format('invalid event type %L', pg_catalog.left(p_type, 64)),
            DETAIL = 'an event type is 1 to 64 characters a-z 0-9 _ . : -, the first a letter; nothing was changed',
            HINT = 'e.g. test_failure, build.error, review:finding (upper case is folded to lower case)';
    END IF;
    RETURN v;
END
$$;
COMMENT ON FUNCTION coord_private.require_event_type(text) IS
    'an event type folded to lower case, or PC001 (NULL) / PC002 (outside 1 to 64 characters a-z 0-9 _ . : -, first a letter)';

-- A list of names (tags): folded, repeats dropped, sorted; or PC001 (NULL list) /
-- PC002 (multidimensional, more than 20, a NULL or invalid name, named by position).
CREATE FUNCTION coord_private.require_memory_names(p_what text, p_names text[])
RETURNS text[] LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    v_bad bigint;
BEGIN
    IF p_names IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PC001', MESSAGE = pg_catalog.format('%s must not be NULL', p_what),
            DETAIL = 'a required argument was NULL; nothing was changed',
            HINT = pg_catalog.format('omit %s for an empty list, or pass ARRAY[''python'', ''ci'']', p_what);
    END IF;
    IF pg_catalog.array_ndims(p_names) > 1 THEN
        RAISE EXCEPTION USING ERRCODE = 'PC002', MESSAGE = pg_catalog.format('%s must be a one-dimensional list', p_what),
            DETAIL = pg_catalog.format('an array of %s dimensions was given; nothing was changed', pg_catalog.array_ndims(p_names)),
            HINT = pg_catalog.format('pass ARRAY[''python'', ''ci''] for %s', p_what);
    END IF;
    IF pg_catalog.cardinality(p_names) > coord_private.memory_max_items() THEN
        RAISE EXCEPTION USING ERRCODE = 'PC002', MESSAGE = pg_catalog.format('%s: at most %s', p_what, coord_private.memory_max_items()),
            DETAIL = pg_catalog.format('%s were given; nothing was changed', pg_catalog.cardinality(p_names)),
            HINT = pg_catalog.format('at most %s %s of 1 to 64 characters each', coord_private.memory_max_items(), p_what);
    END IF;
    SELECT x.n INTO v_bad FROM pg_catalog.unnest(p_names) WITH ORDINALITY AS x(name, n)
     WHERE x.name IS NULL OR NOT coord_private.memory_name_valid(pg_catalog.lower(x.name COLLATE "C"))
     ORDER BY x.n LIMIT 1;
    IF v_bad IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PC002', MESSAGE = pg_catalog.format('invalid %s item', p_what),
            DETAIL = pg_catalog.format('item %s of %s is NULL, empty, longer than 64 characters or has a character outside a-z 0-9 _ . : / + # = -; nothing was changed',
                                       v_bad, p_what),
            HINT = 'a tag is 1 to 64 characters a-z 0-9 _ . : / + # = -, the first alphanumeric (e.g. lang:python, ci); upper case is folded';
    END IF;
    RETURN coalesce((SELECT pg_catalog.array_agg(DISTINCT pg_catalog.lower(x COLLATE "C") ORDER BY pg_catalog.lower(x COLLATE "C"))
                       FROM pg_catalog.unnest(p_names) x), '{}');
END
$$;
COMMENT ON FUNCTION coord_private.require_memory_names(text, text[]) IS
    'a list of tags folded to lower case, sorted, without repeats; or PC001 (NULL) / PC002 (more than 20, a NULL or invalid name)';

-- One optional piece of memory text (outcome, skill note): NULL stays NULL; else the
-- handoff rules (1 to max characters, not blank, no refused character) or PC002.
CREATE FUNCTION coord_private.require_memory_text(p_what text, p_text text, p_max integer)
RETURNS text LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    v_problem text := coord_private.handoff_text_problem(p_text, p_max);
BEGIN
    IF p_text IS NOT NULL AND v_problem IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PC002', MESSAGE = pg_catalog.format('invalid %s', p_what),
            DETAIL = pg_catalog.format('the %s %s; nothing was changed', p_what, v_problem),
            HINT = pg_catalog.format('%s is NULL or 1 to %s characters of text (tab and line breaks allowed; no other control character, no bidirectional override)',
                                     p_what, p_max);
    END IF;
    RETURN p_text;
END
$$;
COMMENT ON FUNCTION coord_private.require_memory_text(text, text, integer) IS
    'an optional piece of memory text as given (NULL stays NULL), or PC002 (blank, too long, a refused character)';

-- The lessons of a memory as given (numbered from 1), or PC001 (NULL list) / PC002
-- (multidimensional, more than 20, an item NULL, blank, over 500 characters or with
-- a refused character).
CREATE FUNCTION coord_private.require_memory_lessons(p_lessons text[])
RETURNS text[] LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    v_problem text;
BEGIN
    IF p_lessons IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PC001', MESSAGE = 'lessons must not be NULL',
            DETAIL = 'a required argument was NULL; nothing was changed',
            HINT = 'omit lessons for none, or pass ARRAY[''pin the parser version before upgrading'']';
    END IF;
    IF pg_catalog.array_ndims(p_lessons) > 1 THEN
        RAISE EXCEPTION USING ERRCODE = 'PC002', MESSAGE = 'lessons must be a one-dimensional list',
            DETAIL = pg_catalog.format('an array of %s dimensions was given; nothing was changed', pg_catalog.array_ndims(p_lessons)),
            HINT = 'pass ARRAY[''first lesson'', ''second lesson'']';
    END IF;
    IF pg_catalog.cardinality(p_lessons) > coord_private.memory_max_items() THEN
        RAISE EXCEPTION USING ERRCODE = 'PC002', MESSAGE = pg_catalog.format('lessons: at most %s', coord_private.memory_max_items()),
            DETAIL = pg_catalog.format('%s lessons were given; nothing was changed', pg_catalog.cardinality(p_lessons)),
            HINT = pg_catalog.format('at most %s lessons of at most %s characters each; keep the ones another agent can act on',
                                     coord_private.memory_max_items(), coord_private.memory_item_max_length());
    END IF;
    FOR i IN 1 .. coalesce(pg_catalog.cardinality(p_lessons), 0) LOOP
        v_problem := CASE WHEN p_lessons[pg_catalog.array_lower(p_lessons, 1) + i - 1] IS NULL THEN 'is NULL'
                          ELSE coord_private.handoff_text_problem(p_lessons[pg_catalog.array_lower(p_lessons, 1) + i - 1],
                                                                  coord_private.memory_item_max_length()) END;
        IF v_problem IS NOT NULL THEN
            RAISE EXCEPTION USING ERRCODE = 'PC002', MESSAGE = 'invalid lesson',
                DETAIL = pg_catalog.format('lesson %s %s; nothing was changed', i, v_problem),
                HINT = pg_catalog.format('each lesson is 1 to %s characters of text (tab and line breaks allowed; no other control character, no bidirectional override)',
                                         coord_private.memory_item_max_length());
        END IF;
    END LOOP;
    RETURN ARRAY(SELECT x.item FROM pg_catalog.unnest(p_lessons) WITH ORDINALITY AS x(item, n) ORDER BY x.n);
END
$$;
COMMENT ON FUNCTION coord_private.require_memory_lessons(text[]) IS
    'the lessons of a memory as given (numbered from 1), or PC001 (NULL) / PC002 (more than 20, an item NULL, blank, over 500 characters, or with a refused character)';

-- What is wrong with a memory's details (NULL: nothing): not an object, over 16 KiB
-- as JSON text, or a key or string holding a character handoff text refuses.
CREATE FUNCTION coord_private.memory_details_problem(p_details jsonb)
RETURNS text LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    v_s text;
BEGIN
    IF pg_catalog.jsonb_typeof(p_details) <> 'object' THEN
        RETURN pg_catalog.format('are a JSON %s, not an object', pg_catalog.jsonb_typeof(p_details));
    END IF;
    IF pg_catalog.octet_length(p_details::text) > coord_private.memory_json_max_bytes() THEN
        RETURN pg_catalog.format('have %s bytes as JSON text (at most %s)', pg_catalog.octet_length(p_details::text),
                                 coord_private.memory_json_max_bytes());
    END IF;
    SELECT x.s INTO v_s
      FROM pg_catalog.jsonb_path_query(p_details, 'strict $.**') AS j(v)
     CROSS JOIN LATERAL (SELECT j.v #>> '{}' WHERE pg_catalog.jsonb_typeof(j.v) = 'string'
                         UNION ALL
                         SELECT k FROM pg_catalog.jsonb_object_keys(CASE WHEN pg_catalog.jsonb_typeof(j.v) = 'object' THEN j.v END) k) AS x(s)
     WHERE x.s ~ coord_private.handoff_refused_regex()
     LIMIT 1;
    IF v_s IS NOT NULL THEN
        RETURN pg_catalog.format('have %s in a key or string',
                                 coord_private.describe_code_point(pg_catalog.substring(v_s, coord_private.handoff_refused_regex())));
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION coord_private.memory_details_problem(jsonb) IS
    'what is wrong with a memory''s details (not a JSON object, over 16 KiB as JSON text, a refused character in a key or string), or NULL';

-- The dedup key of a summary: SHA-256 of its NFC form, lower case by Unicode rules,
-- runs of white space as one space, trimmed. The collation of lower() is chosen here,
-- at deploy time, as for fold_path_case (path_hardening):
--   * ICU root ("und-x-icu") on a PostgreSQL built with ICU: Unicode full case
--     mapping, final sigma included. (Edited in place, not reworked: the text before
--     this choice used ICU unconditionally and could not deploy without ICU; where it
--     deployed, this branch creates the same function, body byte for byte.)
--   * without ICU, the builtin provider's "pg_unicode_fast" where PostgreSQL has it
--     (18 and later; 17's builtin C.UTF-8 maps case simply): Unicode full case
--     mapping, final sigma included, as ICU root (PostgreSQL 18.6 against ICU 72,
--     every code point: the 27 that lower differently are Unicode 16 characters,
--     newer than ICU 72's Unicode 15).
--   * else (no ICU, before 18) the database's default collation: lower() by its
--     ctype, which in the C locale lowers ASCII only, so summaries differing only in
--     the case of a non-ASCII letter stay separate memories there.
-- Dedup merges less where it lowers less, never more: nothing else depends on the key.
-- A database restored onto a server whose choice differs keeps its stored digests; a
-- summary whose lowering differs between the two starts a new memory once.
DO $do$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_collation c
                WHERE c.collname = 'und-x-icu' AND c.collnamespace = 'pg_catalog'::regnamespace) THEN
CREATE FUNCTION coord_private.memory_summary_digest(p_summary text)
RETURNS bytea LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $fn$
    SELECT pg_catalog.sha256(pg_catalog.convert_to(
        pg_catalog.btrim(pg_catalog.regexp_replace(
            pg_catalog.lower(pg_catalog.normalize(p_summary, 'NFC') COLLATE "und-x-icu"), '[[:space:]]+', ' ', 'g'), ' '),
        'UTF8'))
$fn$;
    ELSIF EXISTS (SELECT 1 FROM pg_catalog.pg_collation c
                   WHERE c.collname = 'pg_unicode_fast' AND c.collnamespace = 'pg_catalog'::regnamespace) THEN
CREATE FUNCTION coord_private.memory_summary_digest(p_summary text)
RETURNS bytea LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $fn$
    SELECT pg_catalog.sha256(pg_catalog.convert_to(
        pg_catalog.btrim(pg_catalog.regexp_replace(
            pg_catalog.lower(pg_catalog.normalize(p_summary, 'NFC') COLLATE pg_catalog.pg_unicode_fast), '[[:space:]]+', ' ', 'g'), ' '),
        'UTF8'))
$fn$;
    ELSE
CREATE FUNCTION coord_private.memory_summary_digest(p_summary text)
RETURNS bytea LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $fn$
    SELECT pg_catalog.sha256(pg_catalog.convert_to(
        pg_catalog.btrim(pg_catalog.regexp_replace(
            pg_catalog.lower(pg_catalog.normalize(p_summary, 'NFC') COLLATE pg_catalog."default"), '[[:space:]]+', ' ', 'g'), ' '),
        'UTF8'))
$fn$;
    END IF;
END
$do$;
COMMENT ON FUNCTION coord_private.memory_summary_digest(text) IS
    'the deduplication key of a memory''s summary: SHA-256 of it in NFC, lower case, white space collapsed, trimmed';

-- The search vector of a memory: summary A, lessons B, tags C (english configuration;
-- recall queries with the same one). IMMUTABLE: array_to_string of text is.
CREATE FUNCTION coord_private.memory_search_vector(p_summary text, p_lessons text[], p_tags text[])
RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $fn$
    SELECT pg_catalog.setweight(pg_catalog.to_tsvector('pg_catalog.english'::pg_catalog.regconfig, coalesce(p_summary, '')), 'A')
           OPERATOR(pg_catalog.||)
           pg_catalog.setweight(pg_catalog.to_tsvector('pg_catalog.english'::pg_catalog.regconfig,
                                                       coalesce(pg_catalog.array_to_string(p_lessons, E'\n'), '')), 'B')
           OPERATOR(pg_catalog.||)
           pg_catalog.setweight(pg_catalog.to_tsvector('pg_catalog.english'::pg_catalog.regconfig,
                                                       coalesce(pg_catalog.array_to_string(p_tags, ' '), '')), 'C')
$fn$;
COMMENT ON FUNCTION coord_private.memory_search_vector(text, text[], text[]) IS
    'the full-text vector of an episodic memory: summary weight A, lessons B, tags C (english configuration)';

-- ---------------------------------------------------------------- episodic memory
CREATE TABLE coord_private.memories (
    memory_id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    agent          text NOT NULL REFERENCES coord_private.agents (role_name),
    event_type     text NOT NULL CHECK (coord_private.event_type_valid(event_type)),
    summary        text NOT NULL CHECK (pg_catalog.length(summary) BETWEEN 1 AND 2000),
    summary_digest bytea NOT NULL CHECK (pg_catalog.length(summary_digest) = 32),
    recurrence     integer NOT NULL CHECK (recurrence >= 1),
    details        jsonb NOT NULL DEFAULT '{}' CHECK (pg_catalog.jsonb_typeof(details) = 'object'),
    outcome        text CHECK (pg_catalog.length(outcome) BETWEEN 1 AND 500),
    lessons        text[] NOT NULL DEFAULT '{}' CHECK (pg_catalog.cardinality(lessons) <= 20),
    tags           text[] NOT NULL DEFAULT '{}' CHECK (pg_catalog.cardinality(tags) <= 20),
    seen_count     integer NOT NULL DEFAULT 1 CHECK (seen_count >= 1),
    seen_by        text[] NOT NULL CHECK (pg_catalog.cardinality(seen_by) BETWEEN 1 AND 100),
    created_at     timestamptz NOT NULL,
    last_seen_at   timestamptz NOT NULL,
    event_id       bigint NOT NULL,        -- the audit event of the first write (no foreign key: retention may purge it)
    last_event_id  bigint NOT NULL,        -- the audit event of the last sighting
    search         tsvector GENERATED ALWAYS AS (coord_private.memory_search_vector(summary, lessons, tags)) STORED,
    CONSTRAINT memories_one_per_window UNIQUE (event_type, summary_digest, recurrence)
);
COMMENT ON TABLE coord_private.memories IS
    'episodic memories of the fleet (coord.remember), one per event type, normalised summary and window (recurrence); read through coord.recall (INV-RLS: fleet-wide)';
COMMENT ON CONSTRAINT memories_one_per_window ON coord_private.memories IS
    'deduplication: at most one memory of an event type and normalised summary per window (remembers of one key serialise on coord_private.memory_lines)';
-- fastupdate off: a remember updates the GIN indexes itself instead of queueing the
-- entries in a pending list every recall would scan until the next vacuum (up to 4
-- MB: milliseconds per recall). remember is not a hot path; recall is.
CREATE INDEX memories_search_idx ON coord_private.memories USING gin (search) WITH (fastupdate = off);
CREATE INDEX memories_tags_idx ON coord_private.memories USING gin (tags) WITH (fastupdate = off);
CREATE INDEX memories_recent_idx ON coord_private.memories (last_seen_at DESC, memory_id DESC);
CREATE INDEX memories_type_recent_idx ON coord_private.memories (event_type, last_seen_at DESC, memory_id DESC);
ALTER TABLE coord_private.memories ENABLE ROW LEVEL SECURITY;
-- Defence in depth (INV-RLS): with a stray grant an agent would still see only its own.
CREATE POLICY memories_own ON coord_private.memories FOR SELECT
    USING (agent = (session_user::text COLLATE "default"));

-- The rows remembers of one key lock (FOR UPDATE) before they look the key up.
CREATE TABLE coord_private.memory_lines (
    line integer PRIMARY KEY CHECK (line BETWEEN 0 AND 4095)
);
COMMENT ON TABLE coord_private.memory_lines IS
    'the rows coord.remember locks to serialise remembers of one event type and summary (keys hash to 4,096 rows)';
ALTER TABLE coord_private.memory_lines ENABLE ROW LEVEL SECURITY;
INSERT INTO coord_private.memory_lines (line) SELECT pg_catalog.generate_series(0, 4095);

CREATE FUNCTION coord_private.memory_line(p_event_type text, p_digest bytea)
RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $fn$ SELECT pg_catalog.hashtext(p_event_type || ':' || pg_catalog.encode(p_digest, 'hex')) & 4095 $fn$;
COMMENT ON FUNCTION coord_private.memory_line(text, bytea) IS
    'the coord_private.memory_lines row the remembers of one event type and summary digest lock';

-- Who reads the fleet's memories and skills (INV-RLS, INV-TRUST): coord_admin,
-- coord_auditor, and registered active agents whose profile resolves with trust >= 1.
CREATE FUNCTION coord_private.reads_fleet_memory()
RETURNS boolean LANGUAGE sql STABLE
AS $fn$
    SELECT pg_catalog.pg_has_role(session_user, 'coord_admin', 'MEMBER')
        OR pg_catalog.pg_has_role(session_user, 'coord_auditor', 'MEMBER')
        OR EXISTS (SELECT 1 FROM coord_private.agents a JOIN coord_private.profiles p ON p.name = a.profile
                    WHERE a.role_name = (session_user::text COLLATE "default") AND a.status = 'active' AND p.trust_level >= 1)
$fn$;
COMMENT ON FUNCTION coord_private.reads_fleet_memory() IS
    'INV-RLS: whether the session user reads the fleet''s memories and skills (coord_admin, coord_auditor, active registered agents with trust >= 1)';

CREATE FUNCTION coord.remember(p_event_type text, p_summary text, p_details jsonb DEFAULT '{}', p_outcome text DEFAULT NULL,
    p_lessons text[] DEFAULT '{}', p_tags text[] DEFAULT '{}',
    OUT ok boolean, OUT reason text, OUT memory_id bigint, OUT deduplicated boolean, OUT guardrails jsonb, OUT event_id bigint)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '5s'
SET standard_conforming_strings = on
AS $$
DECLARE
    v coord_private.verdict;
    v_me text := (session_user::text COLLATE "default");
    v_type text;
    v_problem text;
    v_lessons text[];
    v_tags text[];
    v_digest bytea;
    v_now timestamptz;
    v_prev_id bigint;
    v_prev_seen timestamptz;
    v_prev_recurrence integer;
    v_dup boolean;
    v_id bigint;
    v_matches jsonb;
BEGIN
    v_type := coord_private.require_event_type(p_event_type);
    IF p_summary IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PC001', MESSAGE = 'summary must not be NULL',
            DETAIL = 'a required argument was NULL; nothing was changed',
            HINT = 'a memory needs a summary: what happened, in at most 2000 characters';
    END IF;
    v_problem := coord_private.handoff_text_problem(p_summary, coord_private.memory_summary_max_length());
    IF v_problem IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PC002', MESSAGE = 'invalid memory summary',
            DETAIL = pg_catalog.format('the summary %s; nothing was changed', v_problem),
            HINT = pg_catalog.format('the summary is 1 to %s characters of text (tab and line breaks allowed; no other control character, no bidirectional override)',
                                     coord_private.memory_summary_max_length());
    END IF;
    IF p_details IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PC001', MESSAGE = 'details must not be NULL',
            DETAIL = 'a required argument was NULL; nothing was changed',
            HINT = 'omit details for {}, or pass a JSON object';
    END IF;
    v_problem := coord_private.memory_details_problem(p_details);
    IF v_problem IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PC002', MESSAGE = 'invalid memory details',
            DETAIL = pg_catalog.format('the details %s; nothing was changed', v_problem),
            HINT = pg_catalog.format('details are a JSON object of at most %s bytes as JSON text (no control character but tab and line breaks, no bidirectional override, in keys and strings)',
                                     coord_private.memory_json_max_bytes());
    END IF;
    PERFORM coord_private.require_memory_text('outcome', p_outcome, coord_private.memory_item_max_length());
    v_lessons := coord_private.require_memory_lessons(p_lessons);
    v_tags := coord_private.require_memory_names('tags', p_tags);
    PERFORM coord_private.require_read_committed();

    v_matches := coord_private.guardrail_matches(p_summary || E'\n' || coalesce(p_outcome, '') || E'\n'
        || pg_catalog.array_to_string(v_lessons, E'\n') || E'\n' || p_details::text);
    v_digest := coord_private.memory_summary_digest(p_summary);
    -- Remembers of one key serialise here; the clock is read after the lock, so the
    -- window is judged against the sighting the previous holder committed.
    PERFORM 1 FROM coord_private.memory_lines l WHERE l.line = coord_private.memory_line(v_type, v_digest) FOR UPDATE;
    v_now := coord_private.current_time();
    SELECT m.memory_id, m.last_seen_at, m.recurrence INTO v_prev_id, v_prev_seen, v_prev_recurrence
      FROM coord_private.memories m
     WHERE m.event_type = v_type AND m.summary_digest = v_digest
     ORDER BY m.recurrence DESC
     LIMIT 1;
    v_dup := v_prev_id IS NOT NULL AND v_now < v_prev_seen + coord_private.memory_dedup_window();
    -- A new memory's id is drawn before the hook so that the audit event names the
    -- memory it is about (a denial leaves a gap in the ids).
    v_id := CASE WHEN v_dup THEN v_prev_id ELSE pg_catalog.nextval('coord_private.memories_memory_id_seq') END;
    v := coord_private.authorize('remember', v_id::text,
        pg_catalog.jsonb_build_object('memory_id', v_id, 'deduplicated', v_dup, 'event_type', v_type,
                                      'recurrence', CASE WHEN v_dup THEN v_prev_recurrence ELSE coalesce(v_prev_recurrence, 0) + 1 END,
                                      'summary_length', pg_catalog.length(p_summary),
                                      'outcome_length', pg_catalog.length(p_outcome),
                                      'details_bytes', pg_catalog.octet_length(p_details::text),
                                      'lessons', pg_catalog.cardinality(v_lessons), 'tags', pg_catalog.cardinality(v_tags),
                                      'guardrail_matches', v_matches, 'at', v_now));
    ok := v.proceed; reason := v.reason; event_id := v.event_id; guardrails := v_matches;
    PERFORM coord_private.record_guardrail_hits(v.event_id, v_matches, 'memory');
    IF NOT v.proceed THEN
        RETURN;
    END IF;
    IF v_dup THEN
        UPDATE coord_private.memories AS m
           SET seen_count = m.seen_count + 1,
               last_seen_at = GREATEST(m.last_seen_at, v_now),
               seen_by = CASE WHEN v_me = ANY (m.seen_by) OR pg_catalog.cardinality(m.seen_by) >= 100 THEN m.seen_by
                              ELSE m.seen_by || v_me END,
               last_event_id = v.event_id
         WHERE m.memory_id = v_id;
    ELSE
        INSERT INTO coord_private.memories (memory_id, agent, event_type, summary, summary_digest, recurrence, details, outcome,
                                            lessons, tags, seen_count, seen_by, created_at, last_seen_at, event_id, last_event_id)
        OVERRIDING SYSTEM VALUE
        VALUES (v_id, v_me, v_type, p_summary, v_digest, coalesce(v_prev_recurrence, 0) + 1, p_details, p_outcome,
                v_lessons, v_tags, 1, ARRAY[v_me], v_now, v_now, v.event_id, v.event_id);
    END IF;
    memory_id := v_id;
    deduplicated := v_dup;
END
$$;
COMMENT ON FUNCTION coord.remember(text, text, jsonb, text, text[], text[]) IS
    'agent (trust >= 2): record an episodic memory for the fleet as the calling agent (identity = session_user): event_type (1 to 64 of a-z 0-9 _ . : -, folded), summary (1 to 2000 characters), details (a JSON object of at most 16 KiB), outcome (NULL or at most 500 characters), up to 20 lessons of at most 500 characters, up to 20 tags (folded, sorted); text scanned by the guardrails. The same event type and normalised summary within 1 hour of its last sighting, by any agent, is a duplicate: its memory_id is returned with deduplicated = true and its seen_count, last_seen_at and seen_by move (INV-RLS: fleet-wide memory). Returns ok, reason, memory_id, deduplicated, guardrails, the audit event. Errors PC001, PC002, PC015';

CREATE FUNCTION coord.recall(p_tags text[] DEFAULT NULL, p_event_type text DEFAULT NULL, p_text text DEFAULT NULL,
    p_limit integer DEFAULT 10)
RETURNS TABLE (memory_id bigint, agent text, event_type text, summary text, details jsonb, outcome text, lessons text[],
               tags text[], seen_count integer, seen_by text[], recurrence integer, created_at timestamptz,
               last_seen_at timestamptz, relevance real, score double precision)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '5s'
SET standard_conforming_strings = on
SET client_min_messages = warning
SET plan_cache_mode = force_custom_plan
AS $$
DECLARE
    v_tags text[];
    v_type text;
    v_problem text;
    v_q tsquery;
    v_now timestamptz := coord_private.current_time();
    v_tau double precision := pg_catalog.date_part('epoch', coord_private.memory_recency_half_life()) / pg_catalog.ln(2.0::double precision);
    v_candidates integer := coord_private.recall_max_candidates();
BEGIN
    IF p_limit IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PC001', MESSAGE = 'limit must not be NULL',
            DETAIL = 'a required argument was NULL; nothing was changed',
            HINT = 'omit it for the 10 best memories';
    END IF;
    IF p_limit NOT BETWEEN 1 AND coord_private.recall_max_limit() THEN
        RAISE EXCEPTION USING ERRCODE = 'PC002', MESSAGE = pg_catalog.format('limit %s out of range', p_limit),
            DETAIL = pg_catalog.format('a recall returns 1 to %s memories; nothing was changed', coord_private.recall_max_limit()),
            HINT = 'narrow the recall with tags, an event type or text';
    END IF;
    IF p_tags IS NOT NULL THEN
        v_tags := coord_private.require_memory_names('tags', p_tags);
        IF pg_catalog.cardinality(v_tags) = 0 THEN
            v_tags := NULL;
        END IF;
    END IF;
    IF p_event_type IS NOT NULL THEN
        v_type := coord_private.require_event_type(p_event_type);
    END IF;
    IF p_text IS NOT NULL THEN
        v_problem := coord_private.handoff_text_problem(p_text, coord_private.memory_summary_max_length());
        IF v_problem IS NOT NULL THEN
            RAISE EXCEPTION USING ERRCODE = 'PC002', MESSAGE = 'invalid recall text',
                DETAIL = pg_catalog.format('the text %s; nothing was changed', v_problem),
                HINT = pg_catalog.format('search with 1 to %s characters of words (websearch syntax: "a phrase", or, -word); NULL to recall by tags and type only',
                                         coord_private.memory_summary_max_length());
        END IF;
        v_q := pg_catalog.websearch_to_tsquery('pg_catalog.english'::pg_catalog.regconfig, p_text);
        IF pg_catalog.numnode(v_q) = 0 THEN
            RAISE EXCEPTION USING ERRCODE = 'PC002', MESSAGE = 'recall text has no word to search for',
                DETAIL = 'the text holds only stop words (the, and, what, ...) or punctuation; nothing was changed',
                HINT = 'search with distinctive words (test names, errors, file or tool names), or NULL to recall by tags and type only';
        END IF;
    END IF;
    -- INV-RLS: the fleet's readers (coord_admin, coord_auditor, active registered
    -- agents whose profile resolves with trust >= 1) recall every memory; anyone else
    -- recalls nothing.
    IF NOT coord_private.reads_fleet_memory() THEN
        RETURN;
    END IF;
    IF v_q IS NULL THEN
        RETURN QUERY
        SELECT m.memory_id, m.agent, m.event_type, m.summary, m.details, m.outcome, m.lessons, m.tags, m.seen_count, m.seen_by,
               m.recurrence, m.created_at, m.last_seen_at, 0::real,
               pg_catalog.exp(-LEAST(GREATEST(pg_catalog.date_part('epoch', v_now - m.last_seen_at), 0) / v_tau, 700))
          FROM coord_private.memories m
         WHERE (v_tags IS NULL OR m.tags @> v_tags)
           AND (v_type IS NULL OR m.event_type = v_type)
         ORDER BY m.last_seen_at DESC, m.memory_id DESC
         LIMIT p_limit;
    ELSE
        RETURN QUERY
        SELECT r.memory_id, r.agent, r.event_type, r.summary, r.details, r.outcome, r.lessons, r.tags, r.seen_count, r.seen_by,
               r.recurrence, r.created_at, r.last_seen_at, r.relevance, r.relevance * (1 + r.recency)
          FROM (SELECT c.*, pg_catalog.ts_rank_cd(c.search, v_q, 32) AS relevance,
                       pg_catalog.exp(-LEAST(GREATEST(pg_catalog.date_part('epoch', v_now - c.last_seen_at), 0) / v_tau, 700)) AS recency
                  FROM (SELECT m.* FROM coord_private.memories m
                         WHERE m.search @@ v_q
                           AND (v_tags IS NULL OR m.tags @> v_tags)
                           AND (v_type IS NULL OR m.event_type = v_type)
                         ORDER BY m.last_seen_at DESC, m.memory_id DESC
                         LIMIT v_candidates) c) r
         ORDER BY r.relevance * (1 + r.recency) DESC, r.last_seen_at DESC, r.memory_id DESC
         LIMIT p_limit;
    END IF;
END
$$;
COMMENT ON FUNCTION coord.recall(text[], text, text, integer) IS
    'any pgcoord role: episodic memories (1 to 100, default 10) carrying every tag given (containment; NULL or {} none), of one event type (NULL any), matching a text (websearch_to_tsquery, english; NULL none); ranked by score = relevance * (1 + recency) with text (relevance = ts_rank_cd cover density scaled to [0, 1); recency = 2^(-age since last seen / 7 days); the 300 newest matches ranked), recency alone without text; ties newest first. INV-RLS: fleet-wide for coord_admin, coord_auditor and active registered agents with trust >= 1 (anyone else recalls no row). A read: no audit event. Errors PC001, PC002';

-- ---------------------------------------------------------------- working memory
CREATE TABLE coord_private.working_memory (
    session_id uuid NOT NULL REFERENCES coord_private.sessions (session_id) ON DELETE CASCADE,
    key        text NOT NULL CHECK (coord_private.working_memory_key_valid(key)),
    agent      text NOT NULL REFERENCES coord_private.agents (role_name),
    value      jsonb NOT NULL CHECK (pg_catalog.octet_length(value::text) <= 16384),
    updated_at timestamptz NOT NULL,
    event_id   bigint NOT NULL,        -- the audit event of the last write (no foreign key: retention may purge it)
    PRIMARY KEY (session_id, key)
);
COMMENT ON TABLE coord_private.working_memory IS
    'working memory of agent sessions (coord.set_working_memory), private to the session''s agent (INV-RLS); deleted when the session ends';
ALTER TABLE coord_private.working_memory ENABLE ROW LEVEL SECURITY;
CREATE POLICY working_memory_own ON coord_private.working_memory FOR SELECT
    USING (agent = (session_user::text COLLATE "default"));

-- A session that ends takes its working memory with it (in end_session's transaction).
CREATE FUNCTION coord_private.clear_working_memory()
RETURNS trigger LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    DELETE FROM coord_private.working_memory w WHERE w.session_id = NEW.session_id;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION coord_private.clear_working_memory() IS
    'trigger: delete the working memory of a session that just ended (INV-RLS: nothing of it outlives its session)';
CREATE TRIGGER sessions_clear_working_memory AFTER UPDATE OF ended_at ON coord_private.sessions
    FOR EACH ROW WHEN (OLD.ended_at IS NULL AND NEW.ended_at IS NOT NULL)
    EXECUTE FUNCTION coord_private.clear_working_memory();

CREATE FUNCTION coord.set_working_memory(p_session_id uuid, p_key text, p_value jsonb,
    OUT ok boolean, OUT reason text, OUT existed boolean, OUT keys integer, OUT event_id bigint)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '5s'
SET standard_conforming_strings = on
AS $$
DECLARE
    v coord_private.verdict;
    v_me text := (session_user::text COLLATE "default");
    v_owner text;
    v_keys integer;
    v_existed boolean;
BEGIN
    IF p_session_id IS NULL OR p_key IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PC001', MESSAGE = 'session id and key must not be NULL',
            DETAIL = 'a required argument was NULL; nothing was changed',
            HINT = 'pass one of your open sessions (SELECT * FROM coord.my_sessions) and a key; a NULL value removes the key';
    END IF;
    IF NOT coord_private.working_memory_key_valid(p_key) THEN
        RAISE EXCEPTION USING ERRCODE = 'PC002', MESSAGE = pg_catalog.format('invalid working-memory key %L', pg_catalog.left(p_key, 128)),
            DETAIL = 'a key is 1 to 128 characters A-Z a-z 0-9 _ . : / + # = -, the first alphanumeric; nothing was changed',
            HINT = 'e.g. plan, current_file, step:3';
    END IF;
    IF pg_catalog.octet_length(p_value::text) > coord_private.memory_json_max_bytes() THEN
        RAISE EXCEPTION USING ERRCODE = 'PC002', MESSAGE = 'working-memory value too large',
            DETAIL = pg_catalog.format('the value has %s bytes as JSON text (at most %s); nothing was changed',
                                       pg_catalog.octet_length(p_value::text), coord_private.memory_json_max_bytes()),
            HINT = 'keep large artefacts in files; working memory holds notes, plans and pointers';
    END IF;
    PERFORM coord_private.require_read_committed();
    SELECT s.agent INTO v_owner FROM coord_private.sessions s WHERE s.session_id = p_session_id AND s.ended_at IS NULL;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'PC013', MESSAGE = pg_catalog.format('unknown or ended session %s', p_session_id),
            DETAIL = 'no open session has this id; nothing was changed',
            HINT = 'pass one of your open sessions (SELECT * FROM coord.my_sessions); working memory ends with its session';
    END IF;
    IF v_owner = v_me THEN
        -- The caller's own session: writes of one session serialise on its row (the
        -- key count holds), and an end_session waits for this one. Another agent's
        -- session is never locked: it is refused below.
        PERFORM 1 FROM coord_private.sessions s WHERE s.session_id = p_session_id AND s.ended_at IS NULL FOR NO KEY UPDATE;
        IF NOT FOUND THEN
            RAISE EXCEPTION USING ERRCODE = 'PC013', MESSAGE = pg_catalog.format('unknown or ended session %s', p_session_id),
                DETAIL = 'the session ended while this call waited; nothing was changed',
                HINT = 'open a session (coord.register_session); working memory ends with its session';
        END IF;
        SELECT pg_catalog.count(*)::integer, pg_catalog.bool_or(w.key = p_key) INTO v_keys, v_existed
          FROM coord_private.working_memory w WHERE w.session_id = p_session_id;
        v_existed := coalesce(v_existed, false);
        IF p_value IS NOT NULL AND NOT v_existed AND v_keys >= coord_private.working_memory_max_keys() THEN
            RAISE EXCEPTION USING ERRCODE = 'PC002', MESSAGE = pg_catalog.format('working memory full: at most %s keys per session',
                                                                               coord_private.working_memory_max_keys()),
                DETAIL = pg_catalog.format('the session holds %s keys and %L is a new one; nothing was changed', v_keys, p_key),
                HINT = 'remove a key (a NULL value) or reuse one';
        END IF;
    END IF;
    v := coord_private.authorize('set_working_memory', p_session_id::text,
        pg_catalog.jsonb_build_object('session_id', p_session_id, 'key', p_key, 'removed', p_value IS NULL,
                                      'value_bytes', pg_catalog.octet_length(p_value::text)),
        CASE WHEN v_owner <> v_me THEN 'session_not_owned' END);
    ok := v.proceed; reason := v.reason; event_id := v.event_id;
    IF NOT v.proceed THEN
        RETURN;
    END IF;
    IF p_value IS NULL THEN
        DELETE FROM coord_private.working_memory w WHERE w.session_id = p_session_id AND w.key = p_key;
    ELSE
        INSERT INTO coord_private.working_memory AS w (session_id, key, agent, value, updated_at, event_id)
        VALUES (p_session_id, p_key, v_me, p_value, coord_private.current_time(), v.event_id)
        ON CONFLICT (session_id, key) DO UPDATE
           SET value = EXCLUDED.value, updated_at = EXCLUDED.updated_at, event_id = EXCLUDED.event_id;
    END IF;
    existed := v_existed;
    keys := v_keys + CASE WHEN p_value IS NULL AND v_existed THEN -1 WHEN p_value IS NOT NULL AND NOT v_existed THEN 1 ELSE 0 END;
END
$$;
COMMENT ON FUNCTION coord.set_working_memory(uuid, text, jsonb) IS
    'agent (trust >= 1): set a key of the working memory of one of the caller''s own open sessions (INV-RLS: private to its agent and session; another agent''s session: session_not_owned, refused in every mode), or remove it (value NULL); key 1 to 128 characters A-Z a-z 0-9 _ . : / + # = -, value any JSON of at most 16 KiB, at most 100 keys per session; deleted when the session ends. Returns ok, reason, existed, keys, the audit event (naming the key, never the value). Errors PC001, PC002, PC013, PC015';

CREATE FUNCTION coord.get_working_memory(p_session_id uuid)
RETURNS TABLE (key text, value jsonb, updated_at timestamptz)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '5s'
SET standard_conforming_strings = on
AS $$
DECLARE
    v_me text := (session_user::text COLLATE "default");
BEGIN
    IF p_session_id IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PC001', MESSAGE = 'session id must not be NULL',
            DETAIL = 'a required argument was NULL; nothing was changed',
            HINT = 'pass one of your open sessions (SELECT * FROM coord.my_sessions)';
    END IF;
    -- INV-RLS: only the caller's own open session; unknown, ended and other agents'
    -- sessions raise the same error, so the call tells nothing of them.
    IF NOT EXISTS (SELECT 1 FROM coord_private.sessions s
                    WHERE s.session_id = p_session_id AND s.agent = v_me AND s.ended_at IS NULL) THEN
        RAISE EXCEPTION USING ERRCODE = 'PC013', MESSAGE = pg_catalog.format('no open session of yours has the id %s', p_session_id),
            DETAIL = 'working memory is read by its own agent, during its session; nothing was changed',
            HINT = 'pass one of your open sessions (SELECT * FROM coord.my_sessions)';
    END IF;
    RETURN QUERY
    SELECT w.key, w.value, w.updated_at FROM coord_private.working_memory w
     WHERE w.session_id = p_session_id
     ORDER BY w.key;
END
$$;
COMMENT ON FUNCTION coord.get_working_memory(uuid) IS
    'agent: the working memory (key, value, updated_at, by key) of one of the caller''s own open sessions; INV-RLS: any other id (unknown, ended, another agent''s session) is PC013 alike. A read: no audit event. Errors PC001, PC013';

-- ---------------------------------------------------------------- procedural memory (skills)
CREATE TABLE coord_private.skill_outcomes (
    skill          text NOT NULL CHECK (coord_private.memory_name_valid(skill)),
    agent          text NOT NULL REFERENCES coord_private.agents (role_name),
    attempts       bigint NOT NULL CHECK (attempts >= 1),
    successes      bigint NOT NULL CHECK (successes BETWEEN 0 AND attempts),
    first_at       timestamptz NOT NULL,
    last_at        timestamptz NOT NULL,
    last_succeeded boolean NOT NULL,
    last_note      text CHECK (pg_catalog.length(last_note) BETWEEN 1 AND 500),
    last_note_at   timestamptz,
    last_event_id  bigint NOT NULL,    -- the audit event of the last outcome (no foreign key: retention may purge it)
    PRIMARY KEY (skill, agent)
);
COMMENT ON TABLE coord_private.skill_outcomes IS
    'procedural memory: attempts and successes of each skill per agent (coord.record_skill_outcome); read summed per skill through coord.skills (INV-RLS: fleet-wide)';
ALTER TABLE coord_private.skill_outcomes ENABLE ROW LEVEL SECURITY;
CREATE POLICY skill_outcomes_own ON coord_private.skill_outcomes FOR SELECT
    USING (agent = (session_user::text COLLATE "default"));

CREATE FUNCTION coord.record_skill_outcome(p_skill text, p_succeeded boolean, p_notes text DEFAULT NULL,
    OUT ok boolean, OUT reason text, OUT skill text, OUT attempts bigint, OUT successes bigint, OUT guardrails jsonb,
    OUT event_id bigint)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '5s'
SET standard_conforming_strings = on
AS $$
DECLARE
    v coord_private.verdict;
    v_me text := (session_user::text COLLATE "default");
    v_skill text := pg_catalog.lower(p_skill COLLATE "C");
    v_now timestamptz;
    v_matches jsonb;
BEGIN
    IF p_skill IS NULL OR p_succeeded IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PC001', MESSAGE = 'skill and succeeded must not be NULL',
            DETAIL = 'a required argument was NULL; nothing was changed',
            HINT = 'name the skill (e.g. python:pytest-debugging) and whether this attempt succeeded';
    END IF;
    IF NOT coord_private.memory_name_valid(v_skill) THEN
        RAISE EXCEPTION USING ERRCODE = 'PC002', MESSAGE = pg_catalog.format('invalid skill name %L', pg_catalog.left(p_skill, 64)),
            DETAIL = 'a skill is 1 to 64 characters a-z 0-9 _ . : / + # = -, the first alphanumeric; nothing was changed',
            HINT = 'e.g. python:pytest-debugging, sql/migrations, git.rebase (upper case is folded to lower case)';
    END IF;
    PERFORM coord_private.require_memory_text('notes', p_notes, coord_private.memory_item_max_length());
    PERFORM coord_private.require_read_committed();
    v_matches := coord_private.guardrail_matches(coalesce(p_notes, ''));
    v_now := coord_private.current_time();
    v := coord_private.authorize('record_skill_outcome', v_skill,
        pg_catalog.jsonb_build_object('skill', v_skill, 'succeeded', p_succeeded, 'notes_length', pg_catalog.length(p_notes),
                                      'guardrail_matches', v_matches));
    ok := v.proceed; reason := v.reason; event_id := v.event_id; guardrails := v_matches;
    PERFORM coord_private.record_guardrail_hits(v.event_id, v_matches, 'skill_note');
    IF NOT v.proceed THEN
        RETURN;
    END IF;
    INSERT INTO coord_private.skill_outcomes AS s (skill, agent, attempts, successes, first_at, last_at, last_succeeded,
                                                   last_note, last_note_at, last_event_id)
    VALUES (v_skill, v_me, 1, CASE WHEN p_succeeded THEN 1 ELSE 0 END, v_now, v_now, p_succeeded,
            p_notes, CASE WHEN p_notes IS NOT NULL THEN v_now END, v.event_id)
    ON CONFLICT ON CONSTRAINT skill_outcomes_pkey DO UPDATE
       SET attempts = s.attempts + 1,
           successes = s.successes + EXCLUDED.successes,
           last_at = GREATEST(s.last_at, EXCLUDED.last_at),
           last_succeeded = EXCLUDED.last_succeeded,
           last_note = coalesce(EXCLUDED.last_note, s.last_note),
           last_note_at = CASE WHEN EXCLUDED.last_note IS NOT NULL THEN EXCLUDED.last_note_at ELSE s.last_note_at END,
           last_event_id = EXCLUDED.last_event_id;
    skill := v_skill;
    SELECT pg_catalog.sum(o.attempts)::bigint, pg_catalog.sum(o.successes)::bigint INTO attempts, successes
      FROM coord_private.skill_outcomes o WHERE o.skill = v_skill;
END
$$;
COMMENT ON FUNCTION coord.record_skill_outcome(text, boolean, text) IS
    'agent (trust >= 2): count one attempt of a skill by the calling agent (identity = session_user), and a success when succeeded; skill 1 to 64 characters a-z 0-9 _ . : / + # = - (folded), notes NULL or at most 500 characters (scanned by the guardrails; kept as the agent''s last note). Concurrency-safe (INSERT ... ON CONFLICT DO UPDATE per skill and agent). Returns ok, reason, skill, the fleet''s attempts and successes as this call saw them, guardrails, the audit event. Errors PC001, PC002, PC015';

CREATE FUNCTION coord.skills(p_prefix text DEFAULT NULL)
RETURNS TABLE (skill text, attempts bigint, successes bigint, success_rate double precision, agents integer,
               my_attempts bigint, my_successes bigint, last_at timestamptz, last_note text, last_note_by text,
               last_note_at timestamptz)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '5s'
SET standard_conforming_strings = on
AS $$
DECLARE
    v_me text := (session_user::text COLLATE "default");
    v_prefix text := pg_catalog.lower(p_prefix COLLATE "C");
BEGIN
    IF p_prefix IS NOT NULL AND v_prefix !~ '^[a-z0-9_.:/+#=-]{1,64}$' THEN
        RAISE EXCEPTION USING ERRCODE = 'PC002', MESSAGE = pg_catalog.format('invalid skill prefix %L', pg_catalog.left(p_prefix, 64)),
            DETAIL = 'a prefix is 1 to 64 characters a-z 0-9 _ . : / + # = -; nothing was changed',
            HINT = 'NULL for every skill, or the start of skill names (e.g. python:)';
    END IF;
    -- INV-RLS: the fleet's readers see every skill; anyone else sees none.
    IF NOT coord_private.reads_fleet_memory() THEN
        RETURN;
    END IF;
    RETURN QUERY
    SELECT o.skill, pg_catalog.sum(o.attempts)::bigint, pg_catalog.sum(o.successes)::bigint,
           pg_catalog.sum(o.successes)::double precision / pg_catalog.sum(o.attempts)::double precision,
           pg_catalog.count(*)::integer,
           coalesce(pg_catalog.sum(o.attempts) FILTER (WHERE o.agent = v_me), 0)::bigint,
           coalesce(pg_catalog.sum(o.successes) FILTER (WHERE o.agent = v_me), 0)::bigint,
           pg_catalog.max(o.last_at),
           (pg_catalog.array_agg(o.last_note ORDER BY o.last_note_at DESC, o.agent) FILTER (WHERE o.last_note IS NOT NULL))[1],
           (pg_catalog.array_agg(o.agent ORDER BY o.last_note_at DESC, o.agent) FILTER (WHERE o.last_note IS NOT NULL))[1],
           pg_catalog.max(o.last_note_at)
      FROM coord_private.skill_outcomes o
     WHERE v_prefix IS NULL OR pg_catalog.starts_with(o.skill, v_prefix)
     GROUP BY o.skill
     ORDER BY o.skill
     LIMIT coord_private.skills_max_rows();
END
$$;
COMMENT ON FUNCTION coord.skills(text) IS
    'any pgcoord role: the fleet''s skills (name order, at most 1000; those starting with a prefix, NULL all): attempts, successes, success_rate, agents that recorded it, the caller''s own attempts and successes, the last outcome''s time, the newest note with its author. INV-RLS: fleet-wide for coord_admin, coord_auditor and active registered agents with trust >= 1 (anyone else reads no row). A read: no audit event. Errors PC002';

REVOKE ALL ON FUNCTION coord.remember(text, text, jsonb, text, text[], text[]), coord.recall(text[], text, text, integer),
    coord.set_working_memory(uuid, text, jsonb), coord.get_working_memory(uuid),
    coord.record_skill_outcome(text, boolean, text), coord.skills(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION coord.remember(text, text, jsonb, text, text[], text[]), coord.set_working_memory(uuid, text, jsonb),
    coord.get_working_memory(uuid), coord.record_skill_outcome(text, boolean, text) TO coord_agent;
GRANT EXECUTE ON FUNCTION coord.recall(text[], text, text, integer), coord.skills(text) TO coord_agent, coord_admin, coord_auditor;

COMMIT;
