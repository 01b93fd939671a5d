"""`make demo`: pgcoord's main job end to end on the embedded database
(`python -m devtools.demo` from the repository root, after `pgcoord db start` and `pgcoord deploy`).

Registers agents, shows an allowed action, a denied one with its reason code, a
refusal with the holder of a lock, shadow mode, and the audit trail verifying —
then catching an event a superuser altered behind pgcoord's back (and verifying
again once the event is put back). Safe to run repeatedly.
"""
from __future__ import annotations

import json
import os
import sys

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from pgcoord import Client, InvalidPath
from pgcoord.cli import DEFAULT_DB
from pgcoord.cluster import default_cluster

AGENTS = {"demo_alice": "implementer", "demo_carol": "implementer", "demo_bob": "reviewer"}
ADMIN = "demo_admin"


def say(text: str) -> None:
    print(text, flush=True)


def ensure_roles(su: psycopg.Connection) -> None:
    for role in [*AGENTS, ADMIN]:
        exists = su.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone()
        if not exists:
            groups = ["coord_admin", "coord_auditor"] if role == ADMIN else ["coord_agent"]
            su.execute(sql.SQL("CREATE ROLE {} LOGIN IN ROLE {}").format(
                sql.Identifier(role), sql.SQL(", ").join(map(sql.Identifier, groups))))


def main() -> int:
    dsn = os.environ.get("PGCOORD_DSN") or default_cluster().dsn(DEFAULT_DB)
    role_dsn = lambda role: dsn.replace("postgres@", f"{role}@", 1)  # noqa: E731
    su = psycopg.connect(dsn, autocommit=True, row_factory=dict_row)
    ensure_roles(su)
    admin = Client.connect(role_dsn(ADMIN))
    admin.set_enforcement_mode("enforce", "demo starts from enforce")

    say("== 1. coord_admin registers three agents (each registration is audited)")
    for role, profile in AGENTS.items():
        r = admin.register_agent(role, profile)
        say(f"   register_agent({role}, {profile}) -> ok={r.ok} reason={r.reason} event={r.event_id}")
    alice, carol, bob = (Client.connect(role_dsn(r)) for r in AGENTS)

    say("\n== 2. an allowed action: demo_alice (implementer, trust 2) opens a session and leases src/api/")
    s = alice.register_session("demo", {"tool": "make demo"})
    say(f"   register_session -> ok={s.ok} reason={s.reason} session={s.session_id}")
    g = alice.acquire_lock("src/api/", 120, reason="refactor the API")
    say(f"   acquire_lock('src/api/') -> ok={g.ok} token={g.token} expires_at={g.expires_at:%H:%M:%S}")

    say("\n== 3. refusals are results with stable reason codes, each in the audit trail")
    d = bob.acquire_lock("docs/guide.md", 60, raise_on_refusal=False)
    say(f"   demo_bob (reviewer, trust 1) acquire_lock('docs/guide.md') -> ok={d.ok} reason={d.reason}")
    c = carol.acquire_lock("src/api/users.py", 60, raise_on_refusal=False)
    holders = ", ".join(f"{h.holder} until {h.expires_at:%H:%M:%S}" for h in c.holders)
    say(f"   demo_carol acquire_lock('src/api/users.py') -> ok={c.ok} reason={c.reason} held by: {holders}")
    try:
        carol.acquire_lock("../etc/passwd", 60)
    except InvalidPath as exc:
        say(f"   bad input '../etc/passwd' -> {type(exc).__name__} SQLSTATE {exc.sqlstate}: {exc}")

    say("\n== 4. shadow mode: would-be denials are recorded and the mutation proceeds")
    admin.set_enforcement_mode("shadow", "demo: observe reviewer writes before enforcing")
    d = bob.acquire_lock("docs/guide.md", 60, raise_on_refusal=False)
    ev = su.execute("SELECT allowed, proceeded, reason, mode FROM coord.audit_trail WHERE event_id = %s",
                    (d.event_id,)).fetchone()
    say(f"   demo_bob acquire_lock('docs/guide.md') -> ok={d.ok}; audit: allowed={ev['allowed']} "
        f"proceeded={ev['proceeded']} reason={ev['reason']} mode={ev['mode']}")
    c = carol.acquire_lock("src/api/users.py", 60, raise_on_refusal=False)
    say(f"   lock conflicts hold in every mode: demo_carol -> ok={c.ok} reason={c.reason}")
    bob.release_lock("docs/guide.md")
    admin.set_enforcement_mode("enforce", "demo: back to enforce")

    say("\n== 5. the audit trail: verify, export a digest, catch a superuser's edit")
    v = admin.verify_audit()
    say(f"   verify_audit() -> ok={v.ok} ({v.events_checked} events in {v.chains_checked} chains)")
    digest = admin.audit_digest()
    say(f"   audit_digest() -> {len(digest['chains'])} chain heads, digest {digest['digest'][:16]}… "
        "(keep it outside the database)")
    target = su.execute("SELECT event_id, resource FROM coord_private.audit_events WHERE operation = 'acquire_lock' "
                        "AND NOT allowed ORDER BY event_id DESC LIMIT 1").fetchone()
    with su.transaction():
        su.execute("SET LOCAL session_replication_role = replica")  # a superuser bypassing the triggers
        su.execute("UPDATE coord_private.audit_events SET resource = 'nothing-to-see' WHERE event_id = %s",
                   (target["event_id"],))
    say(f"   a superuser rewrote event {target['event_id']} (resource {target['resource']!r} -> 'nothing-to-see')")
    v = admin.verify_audit()
    say(f"   verify_audit() -> ok={v.ok} first_bad_event_id={v.first_bad_event_id} problem={v.problem!r}")
    caught = (not v.ok) and v.first_bad_event_id == target["event_id"]
    with su.transaction():
        su.execute("SET LOCAL session_replication_role = replica")
        su.execute("UPDATE coord_private.audit_events SET resource = %s WHERE event_id = %s",
                   (target["resource"], target["event_id"]))
    v2 = admin.verify_audit()
    d2 = admin.verify_audit_digest(json.loads(json.dumps(digest, default=str)))
    say(f"   event restored: verify_audit() -> ok={v2.ok}; verify_audit_digest(exported) -> ok={d2.ok}")

    alice.release_lock("src/api/")
    alice.end_session(s.session_id)
    for client in (alice, carol, bob, admin):
        client.close()
    su.close()
    if not caught or not v2.ok or not d2.ok:
        say("\ndemo: FAILED — the audit trail did not behave as shown above")
        return 1
    say("\ndemo: done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
