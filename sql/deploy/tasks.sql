-- Deploy pgcoord:tasks
-- The task queue (TLA+ actions SubmitTask, ClaimTask, Reclaim, RenewClaim,
-- CompleteTask, FailTask, CancelTask, SettleDependents, ExhaustAttempts; invariants
-- INV-CLAIM-UNIQ, INV-COMPLETE-OWNER, INV-DEPS, INV-RECLAIM).
--
-- Claiming takes the best claimable row with FOR UPDATE SKIP LOCKED, so no claimer
-- waits on another's row lock and no row is claimed twice. A claim is a lease: past
-- claim_expires_at it is claimable again with attempts + 1, and the claim token is
-- the attempt number, so an earlier claimer's token no longer matches. unmet_deps
-- counts dependencies not yet completed; only rows with unmet_deps = 0 are
-- claimable (INV-DEPS). Submitting locks the dependency rows FOR SHARE so a
-- dependency completing concurrently always sees the new dependent.
BEGIN;
SET LOCAL ROLE coord_owner;

-- A task row's state invariants, as one CHECK constraint. PostgreSQL reads a table's
-- CHECK expressions afresh (parse and plan) for every INSERT and UPDATE statement:
-- written as seven separate checks they cost about a seventh of a whole
-- submit+claim+complete cycle; one call of this function costs a third of that.
CREATE FUNCTION coord_private.task_row_valid(
    p_status text, p_max_attempts integer, p_attempts integer, p_unmet_deps integer,
    p_claimed_by text, p_claim_token bigint, p_claim_expires_at timestamptz, p_finished_at timestamptz)
RETURNS boolean LANGUAGE plpgsql IMMUTABLE
AS $$
BEGIN
    RETURN p_status IN ('pending', 'claimed', 'completed', 'failed', 'cancelled')
       AND p_max_attempts BETWEEN 1 AND 100
       AND p_attempts >= 0
       AND p_unmet_deps >= 0
       -- a claim exists exactly while the task is claimed, and its token is the attempt
       AND (p_status = 'claimed') = (p_claim_expires_at IS NOT NULL)
       AND (p_status <> 'claimed' OR (p_claimed_by IS NOT NULL AND p_claim_token = p_attempts))
       -- a task has finished exactly when it is terminal
       AND (p_status IN ('completed', 'failed', 'cancelled')) = (p_finished_at IS NOT NULL);
END
$$;
COMMENT ON FUNCTION coord_private.task_row_valid(text, integer, integer, integer, text, bigint, timestamptz, timestamptz) IS
    'the state invariants of a task row (status, attempts, claim, finish), checked by the tasks_row_valid constraint';

CREATE TABLE coord_private.tasks (
    task_id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    task_type        text NOT NULL,
    description      text NOT NULL DEFAULT '',
    input            jsonb NOT NULL DEFAULT '{}',
    priority         integer NOT NULL DEFAULT 0,
    status           text NOT NULL DEFAULT 'pending',   -- pending, claimed, completed, failed, cancelled
    submitter        text NOT NULL REFERENCES coord_private.agents (role_name),
    idempotency_key  text,
    max_attempts     integer NOT NULL,
    attempts         integer NOT NULL DEFAULT 0,
    unmet_deps       integer NOT NULL DEFAULT 0,
    claimed_by       text REFERENCES coord_private.agents (role_name),
    claim_token      bigint,
    claim_expires_at timestamptz,
    result           jsonb,
    error            text,
    settle_reason    text REFERENCES coord_private.reason_codes (code),
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    finished_at      timestamptz,
    UNIQUE (submitter, idempotency_key),
    CONSTRAINT tasks_row_valid CHECK (coord_private.task_row_valid(status, max_attempts, attempts, unmet_deps,
                                                                   claimed_by, claim_token, claim_expires_at, finished_at))
);
COMMENT ON TABLE coord_private.tasks IS
    'the task queue; a claimed row whose claim expired is claimable again (INV-RECLAIM)';
CREATE INDEX tasks_claimable_idx ON coord_private.tasks (priority DESC, task_id)
    WHERE status IN ('pending', 'claimed') AND unmet_deps = 0;
CREATE INDEX tasks_claimer_idx ON coord_private.tasks (claimed_by) WHERE status = 'claimed';
ALTER TABLE coord_private.tasks ENABLE ROW LEVEL SECURITY;
CREATE POLICY tasks_readable ON coord_private.tasks FOR SELECT USING (true);

CREATE TABLE coord_private.task_deps (
    task_id    bigint NOT NULL REFERENCES coord_private.tasks (task_id),
    depends_on bigint NOT NULL REFERENCES coord_private.tasks (task_id),
    PRIMARY KEY (task_id, depends_on),
    CHECK (task_id <> depends_on)
);
CREATE INDEX task_deps_depends_on_idx ON coord_private.task_deps (depends_on);
COMMENT ON TABLE coord_private.task_deps IS 'task dependencies (a DAG: a task can only depend on tasks that already exist)';
ALTER TABLE coord_private.task_deps ENABLE ROW LEVEL SECURITY;
CREATE POLICY task_deps_readable ON coord_private.task_deps FOR SELECT USING (true);

INSERT INTO coord_private.operations (name, category, min_trust, description) VALUES
    ('submit_task',   'agent',  2, 'add a task to the queue'),
    ('claim_task',    'agent',  2, 'claim the best claimable task'),
    ('renew_claim',   'agent',  2, 'extend the caller''s current claim'),
    ('complete_task', 'agent',  2, 'complete the task the caller holds the current claim of'),
    ('fail_task',     'agent',  2, 'fail (or retry) the task the caller holds the current claim of'),
    ('cancel_task',   'agent',  2, 'cancel a task (the submitter; others need elevated trust)'),
    ('settle_task',   'system', 0, 'a task settled as a consequence: dependency failed or attempts exhausted'),
    ('reap_expired',  'admin',  4, 'tidy expired leases and exhausted claims (correctness never depends on it)');

CREATE FUNCTION coord_private.require_task(p_task_id bigint)
RETURNS coord_private.tasks LANGUAGE plpgsql STABLE 
AS $$
DECLARE
    t coord_private.tasks;
BEGIN
    IF p_task_id IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PC001', MESSAGE = 'task id must not be NULL',
            DETAIL = 'a required argument was NULL; nothing was changed',
            HINT = 'task ids come from coord.submit_task';
    END IF;
    SELECT * INTO t FROM coord_private.tasks x WHERE x.task_id = p_task_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'PC005', MESSAGE = pg_catalog.format('unknown task %s', p_task_id),
            HINT = 'task ids come from coord.submit_task',
            DETAIL = 'no task has this id; nothing was changed';
    END IF;
    RETURN t;
END
$$;
COMMENT ON FUNCTION coord_private.require_task(bigint) IS 'the task row, or PC001/PC005';

\ir ../parts/tasks/coord_private.claim_refusal.sql
\ir ../parts/tasks/coord_private.settle_dependents.sql
\ir ../parts/tasks/coord.submit_task.sql
\ir ../parts/tasks/coord_private.claim_one.sql

CREATE FUNCTION coord_private.require_types(p_types text[])
RETURNS void LANGUAGE plpgsql IMMUTABLE 
AS $$
BEGIN
    IF p_types IS NOT NULL AND (pg_catalog.cardinality(p_types) NOT BETWEEN 1 AND 100
                                OR pg_catalog.array_position(p_types, NULL) IS NOT NULL) THEN
        RAISE EXCEPTION USING ERRCODE = 'PC002', MESSAGE = 'types: NULL for any type, or 1 to 100 non-NULL type names',
            DETAIL = 'an argument was malformed, empty, too long or out of range; nothing was changed',
            HINT = 'pass NULL for any type, or an array of type names';
    END IF;
END
$$;
COMMENT ON FUNCTION coord_private.require_types(text[]) IS 'raises PC002 for an empty, oversized or NULL-holding type filter';

\ir ../parts/tasks/coord.claim_task.sql
\ir ../parts/tasks/coord.claim_tasks.sql
\ir ../parts/tasks/coord.renew_claim.sql
\ir ../parts/tasks/coord.complete_task.sql
\ir ../parts/tasks/coord.fail_task.sql
\ir ../parts/tasks/coord.cancel_task.sql

\ir ../parts/tasks/coord.tasks.view.sql

\ir ../parts/tasks/coord.get_task.sql
\ir ../parts/tasks/coord.reap_expired.sql

REVOKE ALL ON FUNCTION coord.submit_task(text, text, jsonb, integer, bigint[], text, integer),
    coord.claim_task(text[], interval), coord.claim_tasks(integer, text[], interval),
    coord.renew_claim(bigint, bigint, interval), coord.complete_task(bigint, bigint, jsonb),
    coord.fail_task(bigint, bigint, text, boolean), coord.cancel_task(bigint, text), coord.get_task(bigint),
    coord.reap_expired() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION coord.submit_task(text, text, jsonb, integer, bigint[], text, integer),
    coord.claim_task(text[], interval), coord.claim_tasks(integer, text[], interval),
    coord.renew_claim(bigint, bigint, interval), coord.complete_task(bigint, bigint, jsonb),
    coord.fail_task(bigint, bigint, text, boolean), coord.cancel_task(bigint, text), coord.get_task(bigint)
    TO coord_agent;
GRANT EXECUTE ON FUNCTION coord.get_task(bigint) TO coord_admin, coord_auditor;
GRANT EXECUTE ON FUNCTION coord.reap_expired() TO coord_admin;
GRANT SELECT ON coord.tasks TO coord_agent, coord_admin, coord_auditor;

COMMIT;
