-- Deploy pgcoord:coordination_locks
-- INV-DEFINER, INV-LOCK-EXCL. pgcoord serialised overlapping lease requests on
-- advisory keys (1885570817, hashtext(anchor)) and recompilations of the policy on
-- (1885570817, 0). Any session may take any advisory key, and pg_locks shows the
-- keys in use, so an agent could hold the root line with pg_advisory_lock and stall
-- every acquire without making a single pgcoord call. Row locks on private rows
-- serialise the same way and are out of reach: locking a row takes UPDATE
-- privilege on its table, which no role but the owner has.
--   * lease requests: a fixed table of line rows, the root's own row and 16,384
--     rows anchors hash to; KEY SHARE on each ancestor's row and UPDATE on the
--     anchor's row (KEY SHARE conflicts only with UPDATE, as the shared/exclusive
--     advisory pair did). Two anchors that hash to one row only wait for each other
--     more than they need to; nothing is ever serialised less. The rows are locked
--     in ascending row number, one row once (in the stronger mode when a request
--     needs both), so hash collisions cannot order two requests' locks into a
--     deadlock. The table is filled once: locking never writes a row, so the policy
--     hook still precedes every write (INV-BOUNDARY).
--   * recompilations: the UPDATE of the single policy_generation row they already
--     made, moved to the front.
-- An agent still delays overlapping requests by holding its own transaction open
-- after a pgcoord call (as before); definer_settings bounds every wait.
BEGIN;
SET LOCAL ROLE coord_owner;

CREATE TABLE coord_private.lock_lines (
    line integer PRIMARY KEY CHECK (line BETWEEN 0 AND 16384)
);
COMMENT ON TABLE coord_private.lock_lines IS
    'the rows lease requests lock to serialise along a root-to-leaf line: 0 is the root, 1..16384 the hash classes of other anchors';
ALTER TABLE coord_private.lock_lines ENABLE ROW LEVEL SECURITY;
INSERT INTO coord_private.lock_lines (line) SELECT pg_catalog.generate_series(0, 16384);

CREATE FUNCTION coord_private.anchor_line(p_anchor text)
RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT CASE WHEN p_anchor = '' THEN 0 ELSE 1 + (pg_catalog.hashtext(p_anchor) & 16383) END $$;
COMMENT ON FUNCTION coord_private.anchor_line(text) IS
    'the coord_private.lock_lines row an anchor locks: 0 for the root, else one of 16,384 hash classes';

-- The lock_lines rows of an anchor's root-to-leaf line in ascending order, each
-- once (insertion sort: a line is a handful of anchors, and an SQL sort would cost
-- a query per request).
CREATE FUNCTION coord_private.line_rows(p_anchor text)
RETURNS integer[] LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
AS $$
DECLARE
    v_line text[] := coord_private.anchor_ancestors(p_anchor);
    v_rows integer[] := '{}';
    v_row integer;
    j integer;
BEGIN
    FOR i IN 1 .. pg_catalog.cardinality(v_line) LOOP
        v_row := coord_private.anchor_line(v_line[i]);
        IF v_row = ANY (v_rows) THEN
            CONTINUE;
        END IF;
        v_rows := pg_catalog.array_append(v_rows, v_row);
        j := pg_catalog.cardinality(v_rows);
        WHILE j > 1 AND v_rows[j - 1] > v_row LOOP
            v_rows[j] := v_rows[j - 1];
            j := j - 1;
        END LOOP;
        v_rows[j] := v_row;
    END LOOP;
    RETURN v_rows;
END
$$;
COMMENT ON FUNCTION coord_private.line_rows(text) IS
    'the coord_private.lock_lines rows of an anchor and its ancestors, ascending, each once (the order every lease request locks them in)';

CREATE OR REPLACE FUNCTION coord_private.lock_anchor_line(p_anchor text)
RETURNS void LANGUAGE plpgsql
AS $$
DECLARE
    v_own integer := coord_private.anchor_line(p_anchor);
    v_row integer;
BEGIN
    FOREACH v_row IN ARRAY coord_private.line_rows(p_anchor) LOOP
        IF v_row = v_own THEN
            PERFORM 1 FROM coord_private.lock_lines l WHERE l.line = v_row FOR UPDATE;
        ELSE
            PERFORM 1 FROM coord_private.lock_lines l WHERE l.line = v_row FOR KEY SHARE;
        END IF;
    END LOOP;
END
$$;
COMMENT ON FUNCTION coord_private.lock_anchor_line(text) IS
    'row locks on coord_private.lock_lines in ascending row order: KEY SHARE for every ancestor anchor, UPDATE for the anchor (serialises overlapping acquires; INV-LOCK-EXCL, INV-DEFINER)';

-- A file lease conflicts only with leases on the same file and with directories and
-- globs whose anchor is on its directory's line: it takes KEY SHARE on every row of
-- that line (its directory's included, so a dir/glob anchored there, which takes
-- UPDATE, serialises with it) and UPDATE on a slot of its own path. Two files of one
-- directory never wait for each other (one agent's file lease held in an open
-- transaction once stalled every acquire in its directory, the root's included).
-- Slots are 16,384 rows that paths hash to; a file locks its line rows first and
-- its one slot last, so slots cannot join a deadlock.
CREATE TABLE coord_private.lock_files (
    slot integer PRIMARY KEY CHECK (slot BETWEEN 0 AND 16383)
);
COMMENT ON TABLE coord_private.lock_files IS
    'the rows file lease requests lock to serialise on one file path (paths hash to 16,384 slots)';
ALTER TABLE coord_private.lock_files ENABLE ROW LEVEL SECURITY;
INSERT INTO coord_private.lock_files (slot) SELECT pg_catalog.generate_series(0, 16383);

CREATE FUNCTION coord_private.lock_lease_path(p_path text)
RETURNS void LANGUAGE plpgsql
AS $$
DECLARE
    v_row integer;
BEGIN
    IF coord_private.path_kind(p_path) <> 'file' THEN
        PERFORM coord_private.lock_anchor_line(coord_private.path_anchor(p_path));
        RETURN;
    END IF;
    FOREACH v_row IN ARRAY coord_private.line_rows(coord_private.path_anchor(p_path)) LOOP
        PERFORM 1 FROM coord_private.lock_lines l WHERE l.line = v_row FOR KEY SHARE;
    END LOOP;
    PERFORM 1 FROM coord_private.lock_files f WHERE f.slot = (pg_catalog.hashtext(p_path) & 16383) FOR UPDATE;
END
$$;
COMMENT ON FUNCTION coord_private.lock_lease_path(text) IS
    'the coordination locks of a lease request: a dir or glob locks its anchor line (lock_anchor_line); a file shares its line and locks its own path''s slot (INV-LOCK-EXCL)';

CREATE OR REPLACE FUNCTION coord_private.compile_agent_operation_policy(p_roles text[], p_profiles text[], p_operations text[])
RETURNS void LANGUAGE plpgsql
AS $$
DECLARE
    v_roles text[];
BEGIN
    IF pg_catalog.current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION USING ERRCODE = 'PC015',
            MESSAGE = pg_catalog.format('changing agents, profiles or operations needs READ COMMITTED, not %s',
                                        pg_catalog.current_setting('transaction_isolation')),
            DETAIL = 'the compiled policy is recomputed with a snapshot taken after its lock; an older snapshot could compile a stale row',
            HINT = 'make this change in autocommit or in a READ COMMITTED transaction';
    END IF;
    -- One lock for every recompilation: the row lock this UPDATE takes on the one
    -- generation row (a row no other role can lock; an advisory key could be held
    -- by any session). Everything below, the agents of a profile included, is read
    -- by later statements, with snapshots taken after it: while it is held no other
    -- change to these tables can commit (its own recompilation waits here first).
    UPDATE coord_private.policy_generation SET generation = pg_catalog.nextval('coord_private.policy_generations');
    v_roles := coalesce(p_roles, '{}')
            || ARRAY(SELECT a.role_name FROM coord_private.agents a WHERE a.profile = ANY (coalesce(p_profiles, '{}')));
    DELETE FROM coord_private.agent_operation_policy p
     WHERE p.role_name = ANY (v_roles) OR p.operation = ANY (coalesce(p_operations, '{}'));
    INSERT INTO coord_private.agent_operation_policy
    SELECT s.role_name, s.operation, s.reason, s.context, s.trust_level, s.max_locks, s.max_claimed_tasks,
           s.max_lease_seconds, s.max_file_modifications
      FROM coord_private.agent_operation_policy_source s
     WHERE s.role_name = ANY (v_roles) OR s.operation = ANY (coalesce(p_operations, '{}'));
END
$$;
COMMENT ON FUNCTION coord_private.compile_agent_operation_policy(text[], text[], text[]) IS
    'recomputes the compiled policy rows of agents, of the agents of profiles, and of operations (serialised, READ COMMITTED only)';

COMMIT;
