"""INV-LOCK-FENCE-FAILOVER: fencing tokens stay strictly increasing across the promotion of
a replica that lost writes; a standby refuses pgcoord mutations with PC020.

One scenario on clusters of this module's own (under a temporary directory; the
shared test cluster is never touched), run once by a module fixture; the tests
judge what it recorded:

1. a primary with pgcoord deployed and two agents; a few grants, and one lease held;
2. a streaming replica from ``pg_basebackup -R`` (asynchronous), waited for until it
   has replayed everything; on it, while it is a standby: every mutation must fail
   with PC020 (read_only_server), reads must work;
3. the replica is stopped, so it deterministically misses what follows: on the
   primary 100 acquire_lock/release_lock pairs and one more lease held, every token
   recorded, and an audit digest exported (kept outside the database);
4. the primary is killed (SIGKILL of every server process), the replica started
   again and promoted (pg_ctl promote);
5. on the promoted server the agents acquire again: each of those tokens must be
   greater than every token the old primary granted.

Why a plain sequence repeats: the replica's copy of a sequence is the page the base
backup's checkpoint wrote (the exact last value) or a replayed WAL record (at most
32 values ahead); either way it is below what the primary handed out after the
replica stopped receiving WAL, and the promoted server continues from there. With
tokens from coord.fencing_tokens alone, the promoted server granted 7..17 after the
primary had granted 1..107.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import psycopg
import pytest
from psycopg.types.json import Jsonb

from pgcoord.cluster import with_dbname

from . import faults
from .helpers import connect, create_agent

PAIRS = 100
AGENT_A, AGENT_B, AUDITOR = "fence_agent_a", "fence_agent_b", "fence_auditor"

pytestmark = pytest.mark.timeout(300)


@dataclass
class Failover:
    primary_dsn: str
    promoted_dsn: str
    tokens_before: list[int] = field(default_factory=list)     # every token the primary granted
    tokens_after: list[int] = field(default_factory=list)      # tokens granted after promotion
    held_before: dict[str, int] = field(default_factory=dict)   # path -> token of leases left held
    standby_mutations: dict[str, Any] = field(default_factory=dict)   # operation -> the error (or result)
    standby_reads: dict[str, Any] = field(default_factory=dict)
    digest: dict[str, Any] = field(default_factory=dict)
    timeline_after: int = 0


def acquire(conn: psycopg.Connection, path: str, ttl: str = "1 hour") -> int:
    r = conn.execute("SELECT * FROM coord.acquire_lock(%s, %s::interval)", (path, ttl)).fetchone()
    assert r["ok"], r
    return r["token"]


def release(conn: psycopg.Connection, path: str) -> None:
    r = conn.execute("SELECT * FROM coord.release_lock(%s)", (path,)).fetchone()
    assert r["ok"], r


# Each mutation attempted on the standby: (name, statement). Reads follow separately.
STANDBY_MUTATIONS = [
    ("acquire_lock", "SELECT * FROM coord.acquire_lock('src/standby.py', '10 min')"),
    ("renew_lock", "SELECT * FROM coord.renew_lock('docs/', '10 min')"),
    ("release_lock", "SELECT * FROM coord.release_lock('docs/')"),
    ("submit_task", "SELECT * FROM coord.submit_task('failover', 'on a standby')"),
    ("claim_task", "SELECT * FROM coord.claim_task(NULL, '1 min')"),
]


def attempt_on_standby(conn: psycopg.Connection, sql: str) -> dict[str, Any]:
    try:
        row = conn.execute(sql).fetchone()
        return {"sqlstate": None, "message": None, "row": row}
    except psycopg.Error as exc:
        return {"sqlstate": exc.sqlstate, "message": exc.diag.message_primary, "detail": exc.diag.message_detail,
                "hint": exc.diag.message_hint}


@pytest.fixture(scope="module")
def failover() -> Any:
    with faults.PrivateClusters("failover") as clusters:
        yield run_failover(clusters)


def run_failover(clusters: faults.PrivateClusters) -> Failover:
    primary = clusters.new("primary")
    dsn = faults.deploy_pgcoord(primary)
    su = connect(dsn)
    for role in (AGENT_A, AGENT_B):
        create_agent(su, role)
    faults.create_auditor(su, AUDITOR)
    a, b = connect(dsn, AGENT_A), connect(dsn, AGENT_B)
    f = Failover(primary_dsn=dsn, promoted_dsn="")

    # 1. some history the replica will have, and a lease held across everything
    for _ in range(5):
        f.tokens_before.append(acquire(a, "src/app/main.py"))
        release(a, "src/app/main.py")
    f.held_before["docs/"] = acquire(b, "docs/")
    f.tokens_before.append(f.held_before["docs/"])

    # 2. an asynchronous streaming replica, caught up; a standby answers reads only
    replica = clusters.replica_of(primary, "replica")
    replica.start()
    replica_dsn = with_dbname(replica.dsn(), "pgcoord")
    faults.wait_for_replay(su, replica_dsn)
    with connect(replica_dsn, AGENT_A) as sa:
        assert sa.execute("SELECT pg_is_in_recovery() AS r").fetchone()["r"]
        for name, sql in STANDBY_MUTATIONS:
            f.standby_mutations[name] = attempt_on_standby(sa, sql)
        f.standby_reads["check_locks"] = sa.execute(
            "SELECT * FROM coord.check_locks(ARRAY['docs/readme.md'])").fetchall()
        f.standby_reads["live_locks"] = sa.execute("SELECT path, holder, token FROM coord.live_locks").fetchall()
        f.standby_reads["check_fence"] = sa.execute(
            "SELECT coord.check_fence('docs/readme.md', %s) AS f", (f.held_before["docs/"],)).fetchone()["f"]

    # 3. the replica stops receiving WAL: everything below is lost to it
    replica.stop()
    for i in range(PAIRS):
        conn = a if i % 2 == 0 else b
        f.tokens_before.append(acquire(conn, "src/app/main.py"))
        release(conn, "src/app/main.py")
    f.held_before["src/app/"] = acquire(a, "src/app/")
    f.tokens_before.append(f.held_before["src/app/"])
    with connect(dsn, AUDITOR) as aud:
        f.digest = aud.execute("SELECT coord.audit_digest() AS d").fetchone()["d"]
    for conn in (a, b, su):
        conn.close()

    # 4. the primary dies; the replica comes back and is promoted
    primary.kill()
    replica.start(port=replica.port)      # the same DSN as before it stopped
    replica.promote()
    faults.wait_until_primary(replica_dsn)
    f.promoted_dsn = replica_dsn

    # 5. acquire again on the promoted server
    with connect(replica_dsn, AGENT_A) as pa, connect(replica_dsn, AGENT_B) as pb:
        f.timeline_after = pa.execute(
            "SELECT ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int AS tli").fetchone()["tli"]
        f.tokens_after.append(acquire(pa, "src/app/"))          # the lease the old primary granted last
        for i in range(10):
            conn = pa if i % 2 == 0 else pb
            path = "src/lib/x.py" if conn is pa else "tests/test_x.py"
            f.tokens_after.append(acquire(conn, path))
            release(conn, path)
    return f


def test_INV_LOCK_FENCE_FAILOVER_tokens_after_promotion_exceed_every_earlier_token(failover):
    before, after = failover.tokens_before, failover.tokens_after
    assert len(before) == 5 + 1 + PAIRS + 1 and len(set(before)) == len(before)
    assert before == sorted(before), "tokens on the primary were not increasing"
    repeated = sorted(set(after) & set(before))
    print(f"\nINV-LOCK-FENCE-FAILOVER: the primary granted tokens {before[0]}..{max(before)} "
          f"({len(before)} grants); after promotion (timeline {failover.timeline_after}): {after}; "
          f"repeated: {repeated}")
    assert min(after) > max(before), (
        f"after promotion the server granted tokens {after}, not above the old primary's largest token "
        f"{max(before)}; {len(repeated)} of them repeat tokens the old primary granted ({repeated[:10]}), "
        f"e.g. the lease on 'src/app/' held with token {failover.held_before['src/app/']} was granted again "
        f"with token {after[0]}")


def test_INV_LOCK_FENCE_FAILOVER_standby_refuses_mutations_with_PC020(failover):
    wrong = {name: r for name, r in failover.standby_mutations.items() if r["sqlstate"] != "PC020"}
    for name, r in failover.standby_mutations.items():
        print(f"\non the standby {name}: {r.get('sqlstate')} {r.get('message')!r}")
    assert not wrong, f"on a standby these mutations did not fail with PC020 (read_only_server): {wrong}"
    for name, r in failover.standby_mutations.items():
        message = " ".join(filter(None, (r["message"], r.get("detail"))))
        assert "nextval" not in message and "read-only transaction" not in r["message"], (name, r)
        assert "standby" in message or "recovery" in message, f"{name}: the message does not say why: {r}"


def test_INV_LOCK_FENCE_FAILOVER_standby_serves_reads(failover):
    token = failover.held_before["docs/"]
    reads = failover.standby_reads
    assert [(r["path"], r["holder"], r["token"]) for r in reads["check_locks"]] == [("docs/", AGENT_B, token)], reads
    assert [(r["path"], r["holder"], r["token"]) for r in reads["live_locks"]] == [("docs/", AGENT_B, token)], reads
    assert reads["check_fence"] is True


def test_INV_LOCK_FENCE_FAILOVER_audit_on_the_promoted_server(failover):
    """The promoted server's trail is a consistent prefix of the old primary's plus what came
    after: verify_audit passes (it cannot know what never arrived). The digest exported on
    the old primary before it died records chain heads the promoted server never received:
    verify_audit_digest must report them lost."""
    with connect(failover.promoted_dsn, AUDITOR) as aud:
        verdict = aud.execute("SELECT * FROM coord.verify_audit()").fetchone()
        against = aud.execute("SELECT * FROM coord.verify_audit_digest(%s)",
                              (Jsonb(failover.digest),)).fetchone()
    print(f"\nverify_audit() on the promoted server: {dict(verdict)}"
          f"\nverify_audit_digest(digest exported on the old primary): {dict(against)}")
    assert verdict["ok"], verdict
    assert against["ok"] is False, f"the digest of the old primary's trail did not reveal the lost events: {against}"
    assert str(against["first_bad_chain"]) in failover.digest["chains"], against
    assert "lost" in against["problem"] or "rewritten" in against["problem"], against
