"""The comparison workloads of both benchmarks: the issue's floors, and the bare lower bound.

Shared by `python -m bench` (wall clock, psycopg) and `bench/instructions.py`
(valgrind, single-user backend), so both count exactly the same statements.
Statements take named parameters (`%(p)s`, psycopg's style); `as_prepare` turns
one into a server-side PREPARE for the single-user backend.

* The **floors** are what the issue defines: one bare statement per call on a
  one-table lock or queue.
* The **bare lower bound** is what every implementation of the issue's own
  requirements must at least do per call, written as ONE prepared statement with
  no PL/pgSQL and no function call, on tables without RLS:
  read the caller's policy row, count the conflicting live grants and the caller's
  live grants (profile limit), write the grant, advance a hash-chained audit head
  and insert the audit event (the columns and indexes of coord_private.audit_events).
  Each client holds its grants as its own holder (`%(h)s`), as each pgcoord agent
  does, and runs with enable_bitmapscan off, as pgcoord's hot functions do (a
  bitmap scan never marks the dead index entries lease churn leaves, so the live-
  grant count would walk all of them).
  It leaves out, in pgcoord's favour: path validation and normalisation, the
  ancestor and descendant anchors of the overlap search (only the exact path is
  looked up), the advisory locks that serialise overlapping acquires, the foreign
  keys and CHECKs, RLS, the fencing check and the canonical JSON hash form. A
  ratio of this bound to the floor is therefore an upper limit on what pgcoord's
  ratio can be without dropping one of the issue's requirements.
"""
from __future__ import annotations

import re

# Session setting of the bare lower bound: pgcoord's hot functions pin the same.
BARE_SESSION = "SET enable_bitmapscan = off"

DDL = """
CREATE SCHEMA bench_floor;
-- the issue's floors: a one-table lock and a one-table queue
CREATE TABLE bench_floor.locks (path text PRIMARY KEY, holder text NOT NULL, expires_at timestamptz NOT NULL);
CREATE TABLE bench_floor.queue (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, status text NOT NULL,
                                payload jsonb NOT NULL, claimed_by text, result jsonb);
CREATE INDEX ON bench_floor.queue (id) WHERE status = 'pending';
-- the bare lower bound: pgcoord's tables reduced to what the requirements need
CREATE TABLE bench_floor.policy (role_name text, operation text, allowed boolean NOT NULL, max_live integer NOT NULL,
                                 PRIMARY KEY (role_name, operation));
INSERT INTO bench_floor.policy
SELECT 'x', op, true, 100000 FROM unnest(ARRAY['acquire_lock', 'release_lock', 'submit_task', 'claim_task',
                                                'complete_task']) op;
CREATE SEQUENCE bench_floor.tokens;
CREATE TABLE bench_floor.grants (grant_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, path text NOT NULL,
                                 anchor text NOT NULL, holder text NOT NULL, token bigint NOT NULL UNIQUE,
                                 granted_at timestamptz NOT NULL, expires_at timestamptz NOT NULL,
                                 UNIQUE (path, holder));
CREATE INDEX ON bench_floor.grants (anchor text_pattern_ops, expires_at);
CREATE INDEX ON bench_floor.grants (holder, expires_at);
CREATE TABLE bench_floor.tasks (task_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, task_type text NOT NULL,
                                status text NOT NULL, priority integer NOT NULL DEFAULT 0, submitter text NOT NULL,
                                input jsonb NOT NULL, claimed_by text, claim_token integer NOT NULL DEFAULT 0,
                                claim_expires_at timestamptz, result jsonb, created_at timestamptz NOT NULL);
CREATE INDEX ON bench_floor.tasks (priority DESC, created_at, task_id) WHERE status = 'pending';
CREATE INDEX ON bench_floor.tasks (claimed_by) WHERE status = 'claimed';
CREATE TABLE bench_floor.audit_heads (chain_id integer PRIMARY KEY, seq bigint NOT NULL, head_hash bytea NOT NULL);
CREATE TABLE bench_floor.audit_events (event_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                                       chain_id integer NOT NULL, seq bigint NOT NULL, occurred_at timestamptz NOT NULL,
                                       actor text NOT NULL, operation text NOT NULL, resource text,
                                       allowed boolean NOT NULL, proceeded boolean NOT NULL, reason text NOT NULL,
                                       context jsonb NOT NULL, prev_hash bytea NOT NULL, hash bytea NOT NULL,
                                       UNIQUE (chain_id, seq));
CREATE INDEX ON bench_floor.audit_events (actor, event_id);
CREATE INDEX ON bench_floor.audit_events (occurred_at);
-- the audit-chain design check of `python -m bench`
CREATE TABLE bench_floor.chain_heads (chain integer PRIMARY KEY, seq bigint NOT NULL, hash bytea NOT NULL);
CREATE TABLE bench_floor.events (id bigint GENERATED ALWAYS AS IDENTITY, chain integer, seq bigint,
                                 payload text, hash bytea);
"""

LEASE_FLOOR = (
    "INSERT INTO bench_floor.locks VALUES (%(p)s, 'x', now() + interval '60 s') ON CONFLICT DO NOTHING",
    "DELETE FROM bench_floor.locks WHERE path = %(p)s AND holder = 'x'",
)

QUEUE_FLOOR_SUBMIT = "INSERT INTO bench_floor.queue (status, payload) VALUES ('pending', '{\"n\": 1}')"
QUEUE_FLOOR_CLAIM = ("UPDATE bench_floor.queue SET status = 'claimed', claimed_by = 'x' WHERE id = "
                     "(SELECT id FROM bench_floor.queue WHERE status = 'pending' ORDER BY id "
                     "FOR UPDATE SKIP LOCKED LIMIT 1) RETURNING id")
QUEUE_FLOOR_COMPLETE = "UPDATE bench_floor.queue SET status = 'done', result = '{\"done\": true}' WHERE id = %(id)s"


def _audited(operation: str, mutation: str, resource: str, allowed: str) -> str:
    """One statement: the policy row, the mutation (a CTE named `m`), the audit append.

    `allowed` is an expression over `pol` (and the mutation's own CTEs) saying
    whether the mutation may go ahead; the event records it either way."""
    return f"""
WITH pol AS (SELECT allowed, max_live FROM bench_floor.policy WHERE role_name = 'x' AND operation = '{operation}'),
{mutation},
 head AS (INSERT INTO bench_floor.audit_heads AS h VALUES (pg_backend_pid(), 1, '\\x00')
          ON CONFLICT (chain_id) DO UPDATE
          SET seq = h.seq + 1, head_hash = sha256(h.head_hash || convert_to({resource}, 'UTF8'))
          RETURNING seq, head_hash)
INSERT INTO bench_floor.audit_events (chain_id, seq, occurred_at, actor, operation, resource, allowed, proceeded,
                                      reason, context, prev_hash, hash)
SELECT pg_backend_pid(), head.seq, now(), 'x', '{operation}', {resource}, {allowed}, m.ok IS NOT NULL,
       'allowed', '{{}}', head.head_hash, head.head_hash
  FROM head CROSS JOIN pol LEFT JOIN m ON true"""


LEASE_BARE = (
    _audited("acquire_lock", """
 busy AS (SELECT count(*) AS n FROM bench_floor.grants WHERE anchor = %(p)s AND expires_at > now()),
 mine AS (SELECT count(*) AS n FROM bench_floor.grants WHERE holder = %(h)s AND expires_at > now()),
 m AS (INSERT INTO bench_floor.grants (path, anchor, holder, token, granted_at, expires_at)
       SELECT %(p)s, %(p)s, %(h)s, nextval('bench_floor.tokens'), now(), now() + interval '60 s'
         FROM pol, busy, mine WHERE pol.allowed AND busy.n = 0 AND mine.n < pol.max_live
       RETURNING true AS ok)""", "%(p)s", "pol.allowed"),
    _audited("release_lock", """
 m AS (DELETE FROM bench_floor.grants WHERE path = %(p)s AND holder = %(h)s AND expires_at > now()
          AND (SELECT allowed FROM pol) RETURNING true AS ok)""", "%(p)s", "pol.allowed"),
)

QUEUE_BARE_SUBMIT = _audited("submit_task", """
 m AS (INSERT INTO bench_floor.tasks (task_type, status, submitter, input, created_at)
       SELECT 'bench', 'pending', 'x', '{"n": 1}', now() FROM pol WHERE pol.allowed RETURNING true AS ok)""",
                             "'bench'", "pol.allowed")
QUEUE_BARE_CLAIM = _audited("claim_task", """
 mine AS (SELECT count(*) AS n FROM bench_floor.tasks WHERE claimed_by = 'x' AND status = 'claimed'),
 m AS (UPDATE bench_floor.tasks t SET status = 'claimed', claimed_by = 'x', claim_token = t.claim_token + 1,
              claim_expires_at = now() + interval '60 s'
        WHERE t.task_id = (SELECT task_id FROM bench_floor.tasks, pol, mine
                            WHERE status = 'pending' AND pol.allowed AND mine.n < pol.max_live
                            ORDER BY priority DESC, created_at, task_id FOR UPDATE OF tasks SKIP LOCKED LIMIT 1)
       RETURNING t.task_id AS ok, t.claim_token)""", "'bench'", "pol.allowed") + " RETURNING (SELECT ok FROM m)"
QUEUE_BARE_COMPLETE = _audited("complete_task", """
 m AS (UPDATE bench_floor.tasks t SET status = 'completed', result = '{"done": true}', claimed_by = NULL
        WHERE t.task_id = %(id)s AND t.status = 'claimed' AND t.claimed_by = 'x'
          AND (SELECT allowed FROM pol) RETURNING true AS ok)""", "%(id)s::text", "pol.allowed")


def as_prepare(name: str, statement: str) -> str:
    """A PREPARE of a statement for the single-user backend: its parameters become $n."""
    names: list[str] = []

    def number(match: re.Match) -> str:
        if match.group(1) not in names:
            names.append(match.group(1))
        return f"${names.index(match.group(1)) + 1}"

    body = re.sub(r"%\((\w+)\)s", number, statement)
    types = {"p": "text", "h": "text", "id": "bigint"}
    return f"PREPARE {name}({', '.join(types[n] for n in names)}) AS {body}" if names else f"PREPARE {name} AS {body}"
