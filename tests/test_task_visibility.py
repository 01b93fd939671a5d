"""Who may read a task, under real sessions (INV-RLS; sql/deploy/task_visibility.sql).

The rule: a task's full row (input, result, error) is visible to its submitter, to
the agent that holds or last held its claim, and to coord_admin / coord_auditor
members; an agent that may claim tasks also sees the pending queue with its input
but without results or errors; everyone else sees nothing of the row (get_task: PC005,
the same as for a missing task).

Two implementers submit tasks and work on each other's tasks at the same time (each
from its own LOGIN role and connection), completing some, failing some for good and
some retryably, while a reader session of each of them and of a third implementer
checks every snapshot of coord.tasks against the rule. At the end every reader's view
is compared with the rule applied by the superuser to the stored rows.
"""
from __future__ import annotations

import threading
import time
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row

from devtools import databases
from pgcoord import errors, migrations
from pgcoord.cluster import project_root, with_dbname

from .catalog import describe
from .helpers import background, run_parallel

N_TASKS = 24          # per submitter
DEADLINE = 90.0       # seconds for the whole exchange


def read_view(client) -> list[dict[str, Any]]:
    return client.query("SELECT task_id, task_type, submitter, status, claimed_by, input, result, error "
                        "FROM coord.tasks WHERE task_type LIKE 'tv.%%' ORDER BY task_id")


def rule_violations(reader: str, rows: list[dict[str, Any]]) -> list[str]:
    """What a non-admin reader must never see (checked on any snapshot, mid-race included).
    Results and errors name the agent that wrote them ('<role>-out-...', '<role>-err-...')."""
    bad = []
    for r in rows:
        own = r["submitter"] == reader
        wrote = lambda v: isinstance(v, str) and v.startswith(f"{reader}-")  # noqa: E731
        if own:
            continue
        if r["status"] == "pending":
            # the queue: input yes (a claimer needs it), never a result or an error
            if r["result"] is not None or r["error"] is not None:
                bad.append(f"{reader} sees pending task {r['task_id']} of {r['submitter']} with "
                           f"result={r['result']} error={r['error']}")
        elif r["status"] == "claimed":
            if r["claimed_by"] != reader:
                bad.append(f"{reader} sees task {r['task_id']} claimed by {r['claimed_by']}")
        elif r["status"] == "completed":
            if not wrote((r["result"] or {}).get("secret")):
                bad.append(f"{reader} sees task {r['task_id']} completed by someone else: {r['result']}")
        elif r["status"] in ("failed", "cancelled"):
            if not wrote(r["error"]):
                bad.append(f"{reader} sees task {r['task_id']} failed by someone else: {r['error']}")
    return bad


def expected_view(db, reader: str, full: bool, claimer: bool) -> dict[int, tuple]:
    """The rule applied to the stored rows by the superuser: task -> (input, result, error)."""
    rows = db.su.execute(
        """SELECT t.task_id, t.submitter, t.claimed_by, t.input, t.result, t.error,
                  (t.status = 'pending' OR (t.status = 'claimed' AND t.claim_expires_at <= coord.now()
                                            AND t.attempts < t.max_attempts)) AS pending
             FROM coord_private.tasks t WHERE t.task_type LIKE 'tv.%%'""").fetchall()
    out = {}
    for r in rows:
        if full or reader in (r["submitter"], r["claimed_by"]):
            out[r["task_id"]] = (r["input"], r["result"], r["error"])
        elif claimer and r["pending"]:
            out[r["task_id"]] = (r["input"], None, None)
    return out


def as_seen(rows: list[dict[str, Any]]) -> dict[int, tuple]:
    return {r["task_id"]: (r["input"], r["result"], r["error"]) for r in rows}


def test_INV_RLS_two_agents_concurrently_read_only_what_the_rule_allows(db, make_agent):
    alice, a = make_agent("implementer")
    bob, b = make_agent("implementer")
    carol, c = make_agent("implementer")        # may claim, takes part in nothing
    rita, r = make_agent("reviewer")            # may not claim
    admin, auditor = db.admin(), db.auditor()
    readers = {alice: db.connect(alice), bob: db.connect(bob), carol: c}
    other = {alice: bob, bob: alice}
    clients = {alice: a, bob: b}
    done_submitting = {alice: threading.Event(), bob: threading.Event()}
    stop = threading.Event()
    violations: list[str] = []
    snapshots = {name: 0 for name in readers}
    worked = {alice: 0, bob: 0}

    def submitter(me: str) -> None:
        for k in range(N_TASKS):
            clients[me].submit_task(f"tv.{me}", f"task {k} of {me}", {"secret": f"{me}-in-{k}"})
        done_submitting[me].set()

    def worker(me: str) -> None:
        # works on the other agent's tasks: complete, fail for good, or fail retryably once
        deadline = time.monotonic() + DEADLINE
        while time.monotonic() < deadline:
            submitted_all = done_submitting[other[me]].is_set()      # read before the claim
            got = clients[me].claim_task([f"tv.{other[me]}"], lease=300, raise_on_refusal=False)
            if not got["ok"]:
                assert got["reason"] == "task_not_claimable", got
                if submitted_all:
                    return
                time.sleep(0.005)
                continue
            assert got["input"]["secret"].startswith(f"{other[me]}-in-"), "the claimer gets the input"
            t, token = got["task_id"], got["claim_token"]
            if t % 4 == 0:
                clients[me].fail_task(t, token, f"{me}-err-{t}", False)
            elif t % 4 == 1 and token == 1:
                clients[me].fail_task(t, token, f"{me}-err-{t}-retry", True)
            else:
                clients[me].complete_task(t, token, {"secret": f"{me}-out-{t}"})
            worked[me] += 1

    def reader(me: str) -> None:
        while not stop.is_set():
            violations.extend(rule_violations(me, read_view(readers[me])))
            snapshots[me] += 1
            time.sleep(0.002)

    with background(stop, *(lambda n=n: reader(n) for n in readers), join_timeout=10):
        run_parallel([lambda: submitter(alice), lambda: submitter(bob),
                      lambda: worker(alice), lambda: worker(bob)], timeout=DEADLINE + 30)
    assert not violations, violations[:10]
    assert min(snapshots.values()) > 0 and min(worked.values()) > 0, (snapshots, worked)
    left = db.scalar("SELECT count(*) FROM coord_private.tasks WHERE task_type LIKE 'tv.%' AND status <> 'pending' "
                     "AND finished_at IS NULL")
    assert left == 0, "every claimed task was settled"

    # Every reader sees exactly what the rule allows: nothing missing, nothing more.
    for name, client, full, claimer in ((alice, readers[alice], False, True), (bob, readers[bob], False, True),
                                        (carol, c, False, True), (rita, r, False, False)):
        seen = read_view(client)
        assert not rule_violations(name, seen)
        assert as_seen(seen) == expected_view(db, name, full, claimer), f"{name}'s view of coord.tasks"
    everything = expected_view(db, "-", True, True)
    assert len(everything) == 2 * N_TASKS
    assert as_seen(read_view(admin)) == everything, "a coord_admin member reads every task in full"
    assert as_seen(read_view(auditor)) == everything, "a coord_auditor member reads every task in full"
    assert read_view(r) == [], "the reviewer (no claims) sees nothing"

    # Each worker reads back what it wrote; the submitter reads it too; the third agent not.
    finished = db.su.execute("""SELECT task_id, submitter, claimed_by, result, error FROM coord_private.tasks
                                 WHERE task_type LIKE 'tv.%' AND status IN ('completed', 'failed')""").fetchall()
    assert finished
    for row in finished:
        for name, client in ((row["submitter"], clients[row["submitter"]]), (row["claimed_by"], clients[row["claimed_by"]])):
            got = client.get_task(row["task_id"])
            assert (got["result"], got["error"]) == (row["result"], row["error"]), f"{name} reads task {row['task_id']}"
        for client in (c, r):
            with pytest.raises(errors.UnknownTask):
                client.get_task(row["task_id"])
        assert admin.get_task(row["task_id"])["result"] == row["result"]
        assert auditor.get_task(row["task_id"])["error"] == row["error"]
    # A retried task is pending again with its error: the queue sees its input, not the error.
    t = a.submit_task("tv.retry", "", {"secret": "retry-in"})["task_id"]
    got = b.claim_task(["tv.retry"])
    b.fail_task(t, got["claim_token"], f"{bob}-err-secret", True)
    assert (c.get_task(t)["input"], c.get_task(t)["error"]) == ({"secret": "retry-in"}, None), \
        "a claimer reads the input of a retried task, not the earlier claimer's error"
    assert [(x["input"], x["error"]) for x in read_view(c) if x["task_id"] == t] == [({"secret": "retry-in"}, None)]
    assert a.get_task(t)["error"] == f"{bob}-err-secret", "the submitter reads the error"
    assert admin.get_task(t)["error"] == f"{bob}-err-secret"
    # A missing task and an invisible one are the same PC005.
    with pytest.raises(errors.UnknownTask) as missing:
        c.get_task(10**12)
    with pytest.raises(errors.UnknownTask) as hidden:
        c.get_task(finished[0]["task_id"])
    assert str(missing.value).replace(str(10**12), "N") == str(hidden.value).replace(str(finished[0]["task_id"]), "N")


def test_INV_RLS_agents_cannot_read_the_private_tables(db, make_agent):
    alice, a = make_agent("implementer")
    a.submit_task("tv.x", "", {"secret": "x"})
    for query in ("SELECT * FROM coord_private.tasks", "SELECT * FROM coord_private.task_deps"):
        with pytest.raises(errors.PermissionDenied, match="permission denied for schema coord_private"):
            a.query(query)


def test_INV_RLS_a_live_claim_is_hidden_from_other_agents(db, make_agent):
    alice, a = make_agent("implementer")
    bob, b = make_agent("implementer")
    carol, c = make_agent("implementer")
    t = a.submit_task("tv.live", "", {"secret": "live-in"})["task_id"]
    assert [x["task_id"] for x in read_view(c)] == [t], "pending: the queue shows it to every claimer"
    got = b.claim_task(["tv.live"])
    assert got["task_id"] == t
    assert read_view(c) == [], "claimed by bob: carol no longer sees it"
    assert [x["claimed_by"] for x in read_view(a)] == [bob], "the submitter sees who holds it"
    b.complete_task(t, got["claim_token"], {"secret": "live-out"})
    assert read_view(c) == []
    assert read_view(b)[0]["result"] == {"secret": "live-out"}
    assert read_view(a)[0]["result"] == {"secret": "live-out"}


def _previous_change(change: str) -> str:
    names = [line.split()[0] for line in (project_root() / "sqitch.plan").read_text().splitlines()
             if line and not line.startswith(("%", "@", "#"))]
    return names[names.index(change) - 1]


REL_EXTRA = """SELECT c.relname, coalesce(c.reloptions::text, ''), a.attname, coalesce(a.attacl::text, '')
                 FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0
                WHERE c.relnamespace IN ('coord'::regnamespace, 'coord_private'::regnamespace)
                  AND (a.attacl IS NOT NULL OR c.reloptions IS NOT NULL)
                ORDER BY 1, 3"""


def test_INV_RLS_revert_restores_the_previous_definitions(admin_dsn):
    """Reverting task_visibility gives exactly the catalog of a deploy that stops before it
    (view options and column privileges included, which the shared description omits)."""
    before = _previous_change("task_visibility")
    a, b = databases.create_database(admin_dsn, "pgcoord_tv"), databases.create_database(admin_dsn, "pgcoord_tv")
    try:
        dsn_a, dsn_b = with_dbname(admin_dsn, a), with_dbname(admin_dsn, b)
        migrations.deploy(dsn_a)
        migrations.revert(dsn_a, to=before)
        migrations.deploy(dsn_b, to=before)
        da, dbb = describe(dsn_a), describe(dsn_b)
        for section in da:
            assert da[section] == dbb[section], f"catalog section {section} differs after reverting task_visibility"
        extra = []
        for dsn in (dsn_a, dsn_b):
            with psycopg.connect(dsn, row_factory=dict_row) as conn:
                extra.append(conn.execute(REL_EXTRA).fetchall())
        assert extra[0] == extra[1], "view options or column privileges differ after reverting task_visibility"
    finally:
        databases.drop_database(admin_dsn, a)
        databases.drop_database(admin_dsn, b)
