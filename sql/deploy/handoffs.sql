-- Deploy pgcoord:handoffs
-- Handoffs (issue 15): an agent leaves a note for whoever continues its work, and
-- any agent of the fleet reads them.
--   * coord.write_handoff(summary, completed, in_progress, decisions, next_steps,
--     files, session_id): the calling agent (session_user; there is no identity
--     argument) writes one handoff. An operation of the catalog (write_handoff,
--     category agent, trust 2: a write of state the fleet shares), through the
--     policy hook: one audit event per call, the enforcement mode applies (shadow
--     and off record a denial and write). Returns ok, reason, handoff_id (NULL when
--     nothing was written), guardrails and event_id.
--   * Bounds (bad input: a PC SQLSTATE with DETAIL and HINT, nothing written):
--       summary      required, 1 to 4,000 characters, not blank    PC001 / PC002
--       completed, in_progress, decisions, next_steps
--                    at most 50 items each, each 1 to 500 characters, not blank,
--                    no NULL item, one-dimensional                  PC001 (list NULL) / PC002
--       files        at most 100 (what one coord.check_locks call takes), each a
--                    lease path normalised by coord_private.normalize_path (a file,
--                    dir/ or a glob; one spelling, case folded in a case-insensitive
--                    repository) so a reader can pass them to check_locks and
--                    check_fence as they are; repeats dropped       PC001 (list NULL) / PC002 / PC003
--       session_id   NULL, or one of the caller's own sessions, open or ended (a
--                    handoff is often written as a session ends): no session with
--                    the id is PC013 (unknown_session); another agent's session is
--                    refused in every mode with reason session_not_owned (audited,
--                    nothing written)
--     Text (summary and items) may hold tab, line feed and carriage return, but no
--     other control character (C0, DEL, C1) and no bidirectional embedding, override
--     or isolate (U+202A..U+202E, U+2066..U+2069): text written for other agents must
--     read as it is stored (PC002, the character named as U+XXXX).
--   * Guardrails: the summary and the four lists are scanned as submit_task scans a
--     task's description and input (a handoff's next steps are instructions other
--     agents will act on); a blocking match denies by the caller's trust
--     (guardrail_blocked, follows the enforcement mode), every match is returned in
--     guardrails and kept with the audit event. Files are not scanned (they name
--     paths; they are not instructions).
--   * The audit event's resource is the new handoff's id (drawn before the hook, so
--     a denial leaves a gap in the ids); its context holds the id, the session id,
--     the summary's length and each list's size, never the text (the handoff row
--     keeps it).
--   * coord.read_handoffs(agent, limit): handoffs newest first (by handoff_id, the
--     order they were written), of one agent or (NULL) of all, at most limit (1 to
--     100, PC001 / PC002); an agent that is not registered is PC007. A read, like
--     check_locks, get_task and discover_agents: no audit event, nothing locked.
-- Visibility (INV-RLS). Handoffs exist to pass work between agents, so they are
-- fleet-wide: a handoff's text and files are written by its author for the others.
--   * readers: members of coord_admin and coord_auditor, and every registered agent
--     that is active and whose profile resolves with trust >= 1 (the trust of reads);
--     an unregistered member of coord_agent, a suspended agent, an agent without a
--     profile or with trust 0 (untrusted) reads no row (INV-TRUST: fail closed);
--   * every reader sees every handoff's summary, lists, files, author and time; the
--     session id is private to its author (sessions are, coord.my_sessions): shown
--     to the author and to coord_admin / coord_auditor, NULL to other agents.
--   Nothing else is exposed: files are paths (live_locks shows paths to all), the
--   author's name is in discover_agents, and a task's input, result or error never
--   enters a handoff unless its author copies it there.
-- Storage: coord_private.handoffs, RLS enabled, no grant to any pgcoord role (the
-- functions are definers); with a stray grant an agent would see only its own rows
-- (policy handoffs_own). Handoffs are kept: nothing prunes them (volume: profile
-- trust and CONNECTION LIMIT, README "Threat model").
BEGIN;
SET LOCAL ROLE coord_owner;

INSERT INTO coord_private.operations (name, category, min_trust, description) VALUES
    ('write_handoff', 'agent', 2, 'leave a handoff note (summary, work done and open, decisions, next steps, files) for the fleet');

-- ---------------------------------------------------------------- the table
CREATE TABLE coord_private.handoffs (
    handoff_id  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    agent       text NOT NULL REFERENCES coord_private.agents (role_name),
    session_id  uuid REFERENCES coord_private.sessions (session_id),
    summary     text NOT NULL CHECK (pg_catalog.length(summary) BETWEEN 1 AND 4000),
    completed   text[] NOT NULL DEFAULT '{}' CHECK (pg_catalog.cardinality(completed) <= 50),
    in_progress text[] NOT NULL DEFAULT '{}' CHECK (pg_catalog.cardinality(in_progress) <= 50),
    decisions   text[] NOT NULL DEFAULT '{}' CHECK (pg_catalog.cardinality(decisions) <= 50),
    next_steps  text[] NOT NULL DEFAULT '{}' CHECK (pg_catalog.cardinality(next_steps) <= 50),
    files       text[] NOT NULL DEFAULT '{}' CHECK (pg_catalog.cardinality(files) <= 100),
    event_id    bigint NOT NULL,        -- the audit event of the write (no foreign key: retention may purge it)
    created_at  timestamptz NOT NULL
);
COMMENT ON TABLE coord_private.handoffs IS
    'handoff notes agents leave for the fleet (coord.write_handoff); read through coord.read_handoffs (INV-RLS: fleet-wide, the session id only to its author)';
CREATE INDEX handoffs_agent_idx ON coord_private.handoffs (agent, handoff_id);
ALTER TABLE coord_private.handoffs ENABLE ROW LEVEL SECURITY;
-- Defence in depth (INV-RLS): with a stray grant an agent would still see only its own.
CREATE POLICY handoffs_own ON coord_private.handoffs FOR SELECT
    USING (agent = (session_user::text COLLATE "default"));

-- ---------------------------------------------------------------- documented bounds
CREATE FUNCTION coord_private.handoff_summary_max_length()
RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $fn$ SELECT 4000 $fn$;
COMMENT ON FUNCTION coord_private.handoff_summary_max_length() IS 'documented: the most characters of a handoff''s summary';

CREATE FUNCTION coord_private.handoff_max_items()
RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $fn$ SELECT 50 $fn$;
COMMENT ON FUNCTION coord_private.handoff_max_items() IS
    'documented: the most items of each list of a handoff (completed, in_progress, decisions, next_steps)';

CREATE FUNCTION coord_private.handoff_item_max_length()
RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $fn$ SELECT 500 $fn$;
COMMENT ON FUNCTION coord_private.handoff_item_max_length() IS 'documented: the most characters of one item of a handoff''s lists';

CREATE FUNCTION coord_private.handoff_max_files()
RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $fn$ SELECT 100 $fn$;
COMMENT ON FUNCTION coord_private.handoff_max_files() IS
    'documented: the most files of a handoff (as many as one coord.check_locks call takes)';

CREATE FUNCTION coord_private.read_handoffs_max_limit()
RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $fn$ SELECT 100 $fn$;
COMMENT ON FUNCTION coord_private.read_handoffs_max_limit() IS 'documented: the most handoffs one coord.read_handoffs call returns';

-- ---------------------------------------------------------------- validation
-- The characters handoff text may not hold, as one regular-expression bracket:
-- C0 controls but tab, line feed and carriage return; DEL; C1 controls;
-- bidirectional embeddings and overrides (U+202A..U+202E) and isolates
-- (U+2066..U+2069). Code points, not [[:cntrl:]]: the database's ctype may be C.
CREATE FUNCTION coord_private.handoff_refused_regex()
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $fn$
    SELECT '[' || pg_catalog.chr(1) || '-' || pg_catalog.chr(8) || pg_catalog.chr(11) || pg_catalog.chr(12)
           || pg_catalog.chr(14) || '-' || pg_catalog.chr(31) || pg_catalog.chr(127) || '-' || pg_catalog.chr(159)
           || pg_catalog.chr(8234) || '-' || pg_catalog.chr(8238) || pg_catalog.chr(8294) || '-' || pg_catalog.chr(8297) || ']'
$fn$;
COMMENT ON FUNCTION coord_private.handoff_refused_regex() IS
    'a regular-expression bracket of the characters handoff text refuses: C0 controls but tab/LF/CR, DEL, C1 controls, bidirectional embeddings, overrides and isolates';

-- What is wrong with one piece of handoff text (NULL: nothing): blank, too long, or
-- a refused character (named as U+XXXX with its position).
CREATE FUNCTION coord_private.handoff_text_problem(p_text text, p_max integer)
RETURNS text LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    v_c text;
BEGIN
    IF pg_catalog.btrim(p_text, E' \t\r\n') = '' THEN
        RETURN 'is empty or blank';
    END IF;
    IF pg_catalog.length(p_text) > p_max THEN
        RETURN pg_catalog.format('has %s characters (at most %s)', pg_catalog.length(p_text), p_max);
    END IF;
    IF p_text ~ coord_private.handoff_refused_regex() THEN
        v_c := pg_catalog.substring(p_text, coord_private.handoff_refused_regex());
        RETURN pg_catalog.format('has %s at character %s', coord_private.describe_code_point(v_c), pg_catalog.strpos(p_text, v_c));
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION coord_private.handoff_text_problem(text, integer) IS
    'what is wrong with a piece of handoff text (blank, longer than p_max, a refused character), or NULL';

-- One list of a handoff (completed, in_progress, decisions, next_steps) as given
-- (numbered from 1), or PC001 (the list is NULL) / PC002 (multidimensional, too
-- many items, an item NULL, blank, too long or with a refused character).
CREATE FUNCTION coord_private.require_handoff_items(p_list text, p_items text[])
RETURNS text[] LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    v_problem text;
BEGIN
    IF p_items IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PC001', MESSAGE = pg_catalog.format('%s must not be NULL', p_list),
            DETAIL = 'a required argument was NULL; nothing was changed',
            HINT = pg_catalog.format('omit %s for an empty list, or pass ARRAY[''...'']', p_list);
    END IF;
    IF pg_catalog.array_ndims(p_items) > 1 THEN
        RAISE EXCEPTION USING ERRCODE = 'PC002', MESSAGE = pg_catalog.format('%s must be a one-dimensional list', p_list),
            DETAIL = pg_catalog.format('an array of %s dimensions was given; nothing was changed', pg_catalog.array_ndims(p_items)),
            HINT = pg_catalog.format('pass ARRAY[''first'', ''second''] for %s', p_list);
    END IF;
    IF pg_catalog.cardinality(p_items) > coord_private.handoff_max_items() THEN
        RAISE EXCEPTION USING ERRCODE = 'PC002',
            MESSAGE = pg_catalog.format('%s: at most %s items', p_list, coord_private.handoff_max_items()),
            DETAIL = pg_catalog.format('%s items were given; nothing was changed', pg_catalog.cardinality(p_items)),
            HINT = pg_catalog.format('a list of at most %s items of at most %s characters each; summarise the rest',
                                     coord_private.handoff_max_items(), coord_private.handoff_item_max_length());
    END IF;
    FOR i IN 1 .. coalesce(pg_catalog.cardinality(p_items), 0) LOOP
        v_problem := CASE WHEN p_items[pg_catalog.array_lower(p_items, 1) + i - 1] IS NULL THEN 'is NULL'
                          ELSE coord_private.handoff_text_problem(p_items[pg_catalog.array_lower(p_items, 1) + i - 1],
                                                                  coord_private.handoff_item_max_length()) END;
        IF v_problem IS NOT NULL THEN
            RAISE EXCEPTION USING ERRCODE = 'PC002', MESSAGE = pg_catalog.format('invalid %s item', p_list),
                DETAIL = pg_catalog.format('item %s of %s %s; nothing was changed', i, p_list, v_problem),
                HINT = pg_catalog.format('each item is 1 to %s characters of text (tab and line breaks allowed; no other control character, no bidirectional override)',
                                         coord_private.handoff_item_max_length());
        END IF;
    END LOOP;
    -- numbered from 1 whatever bounds the caller's array had
    RETURN ARRAY(SELECT x.item FROM pg_catalog.unnest(p_items) WITH ORDINALITY AS x(item, n) ORDER BY x.n);
END
$$;
COMMENT ON FUNCTION coord_private.require_handoff_items(text, text[]) IS
    'a list of a handoff as given (numbered from 1), or PC001 (NULL) / PC002 (more than 50 items, an item NULL, blank, over 500 characters, or with a refused character)';

-- The files of a handoff, each normalised as a lease path (normalize_path: PC003),
-- repeats dropped, in the order first given; or PC001 (the list is NULL) / PC002
-- (multidimensional, too many, an item NULL).
CREATE FUNCTION coord_private.require_handoff_files(p_files text[])
RETURNS text[] LANGUAGE plpgsql STABLE
AS $$
DECLARE
    v_out text[] := '{}';
    v_path text;
    v_i integer := 0;
    v_msg text;
    v_detail text;
    v_hint text;
BEGIN
    IF p_files IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PC001', MESSAGE = 'files must not be NULL',
            DETAIL = 'a required argument was NULL; nothing was changed',
            HINT = 'omit files for an empty list, or pass ARRAY[''src/a.py'', ''docs/'']';
    END IF;
    IF pg_catalog.array_ndims(p_files) > 1 THEN
        RAISE EXCEPTION USING ERRCODE = 'PC002', MESSAGE = 'files must be a one-dimensional list',
            DETAIL = pg_catalog.format('an array of %s dimensions was given; nothing was changed', pg_catalog.array_ndims(p_files)),
            HINT = 'pass ARRAY[''src/a.py'', ''docs/'']';
    END IF;
    IF pg_catalog.cardinality(p_files) > coord_private.handoff_max_files() THEN
        RAISE EXCEPTION USING ERRCODE = 'PC002', MESSAGE = pg_catalog.format('files: at most %s paths', coord_private.handoff_max_files()),
            DETAIL = pg_catalog.format('%s paths were given; nothing was changed', pg_catalog.cardinality(p_files)),
            HINT = 'name a directory (dir/) or a glob (dir/**/*.py) instead of many files';
    END IF;
    IF pg_catalog.array_position(p_files, NULL) IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PC002', MESSAGE = 'invalid files item',
            DETAIL = pg_catalog.format('file %s of the handoff is NULL; nothing was changed',
                                       pg_catalog.array_position(p_files, NULL) - pg_catalog.array_lower(p_files, 1) + 1),
            HINT = 'files are lease paths: relative and /-separated, a/b.py, a/ or a/**/*.py';
    END IF;
    BEGIN
        FOREACH v_path IN ARRAY p_files LOOP
            v_i := v_i + 1;
            v_path := coord_private.normalize_path(v_path);
            IF NOT v_path = ANY (v_out) THEN
                v_out := v_out || v_path;
            END IF;
        END LOOP;
    EXCEPTION WHEN SQLSTATE 'PC003' THEN
        GET STACKED DIAGNOSTICS v_msg = MESSAGE_TEXT, v_detail = PG_EXCEPTION_DETAIL, v_hint = PG_EXCEPTION_HINT;
        RAISE EXCEPTION USING ERRCODE = 'PC003', MESSAGE = v_msg,
            DETAIL = pg_catalog.format('file %s of the handoff: %s; nothing was changed', v_i, coalesce(nullif(v_detail, ''), 'refused')),
            HINT = coalesce(nullif(v_hint, ''), 'files are lease paths: relative and /-separated, a/b.py, a/ or a/**/*.py');
    END;
    RETURN v_out;
END
$$;
COMMENT ON FUNCTION coord_private.require_handoff_files(text[]) IS
    'the files of a handoff normalised as lease paths, repeats dropped, or PC001 (NULL) / PC002 (more than 100, a NULL path) / PC003 (an invalid path, named by its position)';

-- ---------------------------------------------------------------- the API
CREATE FUNCTION coord.write_handoff(p_summary text, p_completed text[] DEFAULT '{}', p_in_progress text[] DEFAULT '{}',
    p_decisions text[] DEFAULT '{}', p_next_steps text[] DEFAULT '{}', p_files text[] DEFAULT '{}',
    p_session_id uuid DEFAULT NULL,
    OUT ok boolean, OUT reason text, OUT handoff_id bigint, OUT guardrails jsonb, OUT event_id bigint)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '5s'
SET standard_conforming_strings = on
AS $$
DECLARE
    v coord_private.verdict;
    v_me text := (session_user::text COLLATE "default");
    v_problem text;
    v_completed text[];
    v_in_progress text[];
    v_decisions text[];
    v_next_steps text[];
    v_files text[];
    v_owner text;
    v_matches jsonb;
    v_new_id bigint;
BEGIN
    IF p_summary IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PC001', MESSAGE = 'summary must not be NULL',
            DETAIL = 'a required argument was NULL; nothing was changed',
            HINT = 'a handoff needs a summary: what was done and where it stands, in at most 4000 characters';
    END IF;
    v_problem := coord_private.handoff_text_problem(p_summary, coord_private.handoff_summary_max_length());
    IF v_problem IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PC002', MESSAGE = 'invalid handoff summary',
            DETAIL = pg_catalog.format('the summary %s; nothing was changed', v_problem),
            HINT = pg_catalog.format('the summary is 1 to %s characters of text (tab and line breaks allowed; no other control character, no bidirectional override)',
                                     coord_private.handoff_summary_max_length());
    END IF;
    v_completed := coord_private.require_handoff_items('completed', p_completed);
    v_in_progress := coord_private.require_handoff_items('in_progress', p_in_progress);
    v_decisions := coord_private.require_handoff_items('decisions', p_decisions);
    v_next_steps := coord_private.require_handoff_items('next_steps', p_next_steps);
    v_files := coord_private.require_handoff_files(p_files);
    PERFORM coord_private.require_read_committed();
    IF p_session_id IS NOT NULL THEN
        SELECT s.agent INTO v_owner FROM coord_private.sessions s WHERE s.session_id = p_session_id;
        IF NOT FOUND THEN
            RAISE EXCEPTION USING ERRCODE = 'PC013', MESSAGE = pg_catalog.format('unknown session %s', p_session_id),
                DETAIL = 'no session has this id; nothing was changed',
                HINT = 'pass one of your own sessions (SELECT * FROM coord.my_sessions), or omit it';
        END IF;
    END IF;

    v_matches := coord_private.guardrail_matches(p_summary || E'\n' || pg_catalog.array_to_string(v_completed, E'\n')
        || E'\n' || pg_catalog.array_to_string(v_in_progress, E'\n') || E'\n' || pg_catalog.array_to_string(v_decisions, E'\n')
        || E'\n' || pg_catalog.array_to_string(v_next_steps, E'\n'));
    -- The id is drawn before the hook so that the audit event names the handoff it is
    -- about (a denial leaves a gap in the ids).
    v_new_id := pg_catalog.nextval('coord_private.handoffs_handoff_id_seq');
    v := coord_private.authorize('write_handoff', v_new_id::text,
        pg_catalog.jsonb_build_object('handoff_id', v_new_id, 'session_id', p_session_id,
                                      'summary_length', pg_catalog.length(p_summary),
                                      'completed', pg_catalog.cardinality(v_completed),
                                      'in_progress', pg_catalog.cardinality(v_in_progress),
                                      'decisions', pg_catalog.cardinality(v_decisions),
                                      'next_steps', pg_catalog.cardinality(v_next_steps),
                                      'files', pg_catalog.cardinality(v_files),
                                      'guardrail_matches', v_matches),
        CASE WHEN v_owner IS DISTINCT FROM v_me AND p_session_id IS NOT NULL THEN 'session_not_owned' END);
    ok := v.proceed; reason := v.reason; event_id := v.event_id; guardrails := v_matches;
    PERFORM coord_private.record_guardrail_hits(v.event_id, v_matches, 'handoff');
    IF NOT v.proceed THEN
        RETURN;
    END IF;
    INSERT INTO coord_private.handoffs (handoff_id, agent, session_id, summary, completed, in_progress, decisions,
                                        next_steps, files, event_id, created_at)
    OVERRIDING SYSTEM VALUE
    VALUES (v_new_id, v_me, p_session_id, p_summary, v_completed, v_in_progress, v_decisions, v_next_steps, v_files,
            v.event_id, coord_private.current_time())
    RETURNING handoffs.handoff_id INTO handoff_id;
END
$$;
COMMENT ON FUNCTION coord.write_handoff(text, text[], text[], text[], text[], text[], uuid) IS
    'agent (trust >= 2): leave a handoff note as the calling agent (identity = session_user): summary (1 to 4000 characters), up to 50 items of at most 500 characters in each of completed, in_progress, decisions, next_steps, up to 100 files (lease paths, normalised), optionally one of the caller''s sessions (another agent''s: session_not_owned); text scanned by the guardrails; returns ok, reason, handoff_id, guardrails, the audit event. Errors PC001, PC002, PC003, PC013, PC015';

CREATE FUNCTION coord.read_handoffs(p_agent text DEFAULT NULL, p_limit integer DEFAULT 10)
RETURNS TABLE (handoff_id bigint, agent text, session_id uuid, summary text, completed text[], in_progress text[],
               decisions text[], next_steps text[], files text[], created_at timestamptz)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '5s'
SET standard_conforming_strings = on
AS $$
DECLARE
    v_me text := (session_user::text COLLATE "default");
    v_all boolean := pg_catalog.pg_has_role(session_user, 'coord_admin', 'MEMBER')
                     OR pg_catalog.pg_has_role(session_user, 'coord_auditor', 'MEMBER');
BEGIN
    IF p_limit IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PC001', MESSAGE = 'limit must not be NULL',
            DETAIL = 'a required argument was NULL; nothing was changed',
            HINT = 'omit it for the newest 10 handoffs';
    END IF;
    IF p_limit NOT BETWEEN 1 AND coord_private.read_handoffs_max_limit() THEN
        RAISE EXCEPTION USING ERRCODE = 'PC002', MESSAGE = pg_catalog.format('limit %s out of range', p_limit),
            DETAIL = pg_catalog.format('a read returns 1 to %s handoffs; nothing was changed', coord_private.read_handoffs_max_limit()),
            HINT = 'read older handoffs of one agent with p_agent';
    END IF;
    IF p_agent IS NOT NULL AND NOT EXISTS (SELECT 1 FROM coord_private.agents a WHERE a.role_name = p_agent) THEN
        RAISE EXCEPTION USING ERRCODE = 'PC007', MESSAGE = pg_catalog.format('unknown agent %L', pg_catalog.left(p_agent, 64)),
            DETAIL = 'no registered agent has this role name; nothing was changed',
            HINT = 'NULL for every agent''s handoffs, or a role name as coord.discover_agents lists it';
    END IF;
    -- INV-RLS: coord_admin / coord_auditor, and active registered agents whose profile
    -- resolves with trust >= 1, read the fleet's handoffs; anyone else reads nothing.
    IF NOT v_all AND NOT EXISTS (SELECT 1 FROM coord_private.agents a JOIN coord_private.profiles p ON p.name = a.profile
                                  WHERE a.role_name = v_me AND a.status = 'active' AND p.trust_level >= 1) THEN
        RETURN;
    END IF;
    RETURN QUERY
    SELECT h.handoff_id, h.agent, CASE WHEN v_all OR h.agent = v_me THEN h.session_id END,
           h.summary, h.completed, h.in_progress, h.decisions, h.next_steps, h.files, h.created_at
      FROM coord_private.handoffs h
     WHERE p_agent IS NULL OR h.agent = p_agent
     ORDER BY h.handoff_id DESC
     LIMIT p_limit;
END
$$;
COMMENT ON FUNCTION coord.read_handoffs(text, integer) IS
    'any pgcoord role: the newest handoffs (1 to 100, default 10), of one agent or of all (NULL); INV-RLS: fleet-wide for coord_admin, coord_auditor and active registered agents with trust >= 1 (anyone else reads no row), the session id only to its author and coord_admin/coord_auditor. A read: no audit event. Errors PC001, PC002, PC007';

REVOKE ALL ON FUNCTION coord.write_handoff(text, text[], text[], text[], text[], text[], uuid),
    coord.read_handoffs(text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION coord.write_handoff(text, text[], text[], text[], text[], text[], uuid) TO coord_agent;
GRANT EXECUTE ON FUNCTION coord.read_handoffs(text, integer) TO coord_agent, coord_admin, coord_auditor;

COMMIT;
