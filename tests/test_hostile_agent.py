"""The attacker's suite: a logged-in agent that tries every way around pgcoord's rules.

Every attacker here is a real LOGIN role in coord_agent with its own session; the
victim is another agent with a live lease, a claimed task, a finished task, a failed
task and a session; detection is always the superuser's reading of the real tables
afterwards (tests/hostile.py: Snapshot, canary), never the attacker's own view.

What is shadowed and what is called is derived from the catalog (tests/hostile.py:
derive, plan_calls): every type, relation, function, operator and cast-target name a
coord/coord_private function refers to (plpgsql_check's dependency report, pg_depend,
pg_proc argument/result types, column types, the sources parsed for unqualified
names), and every coord function with hostile arguments.

Each category is its own test so a failure names the hole:
  INV-DEFINER    pg_temp shadowing (the red team's four lines; types with casts;
                 relations; functions and operators; again with TEMPORARY re-granted),
                 TEMPORARY itself, creatable schemas, coordination-lock hogging (advisory
                 keys; an open transaction), session settings that change what a
                 definer's body means
  INV-BOUNDARY   every agent function with hostile arguments, every admin function,
                 impersonation (roles, session authorization, custom settings)
  INV-AUDIT-IMMUTABLE  the session-settable retention flag
  INV-RLS        reading private state; task payloads (sql/deploy/task_visibility.sql,
                 another engineer's change: fails on a v0.3.0 deploy)
A summary line per test: attempts, refused, changed-anything (must be 0).
"""
from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from psycopg.rows import dict_row

from devtools import databases
from pgcoord.cluster import with_dbname

from . import hostile as h
from .helpers import Database

pytestmark = pytest.mark.timeout(600)

# Bounds on a waiting call (each also cut by the waiting session's statement_timeout,
# so no test can hang):
#   * advisory keys held by an agent must not matter at all: the call answers at once;
#   * a lock held by an agent's open transaction may be waited for, but a call answers
#     within OPEN_TXN_WAITS lock waits of the lock_timeout the API pins (pgTAP 08: at
#     most 10 s) plus 3 s; 10 s when nothing is pinned. lock_timeout bounds each wait,
#     not a call: a request queued behind others waits for the row's tuple lock, then
#     for the holder's transaction, then (an overlapping line) for the next row (README
#     "Threat model": a call gives up after 5 s on any one lock).
ADVISORY_BOUND_S = 5
OPEN_TXN_BOUND_S = 10
OPEN_TXN_WAITS = 3
OPEN_TXN_SLACK_S = 3
CORPUS = Path(__file__).parent / "guardrail_corpus"
TOTAL = h.Tally()


# ---------------------------------------------------------------- fixtures

@pytest.fixture(scope="module", autouse=True)
def _module_summary() -> Iterator[None]:
    yield
    print("\n" + TOTAL.summary("MODULE TOTAL"))


@pytest.fixture(scope="module")
def template(admin_dsn: str) -> Iterator[tuple[str, h.Derived]]:
    """One deployed database (with the canary) used as the template of every test's
    database; the names to shadow are derived from its catalog."""
    dsn = databases.provision(admin_dsn, "hostile_tmpl")
    name = dsn.rsplit("/", 1)[1]
    try:
        with psycopg.connect(dsn, autocommit=True) as su:
            h.install_canary(su)
        derived = h.derive(dsn)
        print(f"\nHOSTILE derived from the catalog: {derived.breakdown()}")
        yield name, derived
    finally:
        databases.drop_database(admin_dsn, name)


@pytest.fixture
def derived(template: tuple[str, h.Derived]) -> h.Derived:
    return template[1]


@pytest.fixture
def hdb(admin_dsn: str, template: tuple[str, h.Derived]) -> Iterator[Database]:
    """A fresh copy of the deployed template. CREATE DATABASE does not copy the
    database's ACL or its per-database settings, so both are replayed (the TEMPORARY
    revocation is a database ACL)."""
    tmpl = template[0]
    name = f"hostile_{uuid.uuid4().hex[:10]}"
    database = sql.Identifier(name)
    with psycopg.connect(admin_dsn, autocommit=True, row_factory=dict_row) as c:
        c.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(database, sql.Identifier(tmpl)))
        acl = c.execute("""
            SELECT d.datacl IS NULL AS dflt,
                   coalesce((SELECT array_agg(format('%%s|%%s', a.grantee, a.privilege_type))
                               FROM aclexplode(d.datacl) a), '{}') AS items
              FROM pg_database d WHERE d.datname = %s""", (tmpl,)).fetchone()
        if not acl["dflt"]:
            c.execute(sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(database))
            for item in acl["items"]:
                grantee, priv = item.split("|")
                assert priv in DATABASE_PRIVILEGES, f"unexpected database privilege {priv!r}"
                who = sql.SQL("PUBLIC") if grantee == "0" else sql.Identifier(_role_name(c, int(grantee)))
                c.execute(sql.SQL("GRANT {} ON DATABASE {} TO {}").format(sql.SQL(priv), database, who))
        for s in c.execute("""SELECT s.setrole, s.setconfig FROM pg_db_role_setting s
                               WHERE s.setdatabase = (SELECT oid FROM pg_database WHERE datname = %s)""",
                           (tmpl,)).fetchall():
            target = (sql.SQL("DATABASE {}").format(database) if s["setrole"] == 0 else
                      sql.SQL("ROLE {} IN DATABASE {}").format(sql.Identifier(_role_name(c, s["setrole"])), database))
            for item in s["setconfig"]:
                k, v = item.split("=", 1)
                # a list (search_path = "$user", public) is given as written; anything else as a literal
                listed = ("," in v or '"' in v) and re.fullmatch(r'[\w., "$]+', v)
                value = sql.SQL(v) if listed else sql.Literal(v)
                c.execute(sql.SQL("ALTER {} SET {} TO {}").format(
                    target, sql.SQL(".").join(sql.Identifier(part) for part in k.split(".")), value))
    with Database(admin_dsn, with_dbname(admin_dsn, name)) as hostile_db:
        yield hostile_db


DATABASE_PRIVILEGES = {"CREATE", "TEMPORARY", "CONNECT"}


def _role_name(c: psycopg.Connection, oid: int) -> str:
    return c.execute("SELECT pg_catalog.pg_get_userbyid(%s) AS r", (oid,)).fetchone()["r"]


@pytest.fixture
def world(hdb: Database) -> Iterator[h.World]:
    w = h.build_world(hdb)
    try:
        yield w
    finally:
        w.close()


def _finish(label: str, tally: h.Tally, problems: list[str], extra: list[str] = ()) -> None:
    tally.changed = len(problems)
    TOTAL.merge(tally)
    print("\n" + tally.summary(label))
    for line in list(extra) + problems:
        print("   ", line)


def _attack_and_check(w: h.World, label: str, own: list[str], body) -> tuple[h.Tally, list[str], list[str]]:
    """Snapshot, run body(tally, extra) as the attacker, then diff as the superuser."""
    su = w.db.su
    before = h.Snapshot.take(su, own, w.roles + list(own))
    audit_ok_before = h.verify_audit(w.db, w)["ok"]
    tally, extra = h.Tally(), []
    pwned = body(tally, extra)
    problems = before.diff(su, own, w.roles + list(own))
    audit = h.verify_audit(w.db, w)
    if audit_ok_before and not audit["ok"]:
        problems.append(f"coord.verify_audit() broke: {audit}")
    if pwned:
        problems.append(f"PWNED notices ({len(pwned)}): {pwned[:3]}")
    return tally, problems, extra


# ---------------------------------------------------------------- 1. the names

def test_INV_DEFINER_catalog_derived_shadow_names(template: tuple[str, h.Derived], admin_dsn: str) -> None:
    """The list of names to shadow comes from the catalog and covers what the
    functions use: every argument/result type, the built-ins, the dependency report."""
    d = template[1]
    print(f"\nHOSTILE names derived: {d.breakdown()}")
    print(f"    unqualified type references in sources: {sorted(d.unqualified_types)}")
    print(f"    settings the sources read or write: {sorted(d.gucs)}")
    assert d.dependency_report_rows > 0, "plpgsql_check's dependency report yielded nothing"
    assert len(d.functions) >= 40, d.functions
    missing = [t for t in ("text", "integer", "bigint", "boolean", "jsonb", "interval", "timestamptz", "uuid",
                           "numeric", "int4", "int8", "bool") if t not in d.types]
    assert not missing, f"built-in types missing from the derived names: {missing}"
    with psycopg.connect(with_dbname(admin_dsn, template[0]), autocommit=True, row_factory=dict_row) as c:
        sig_types = {r["typname"] for r in c.execute("""
            SELECT DISTINCT coalesce(e.typname, t.typname) AS typname
              FROM pg_proc p, unnest(p.proargtypes::oid[] || p.prorettype || coalesce(p.proallargtypes, '{}')) a(oid)
              JOIN pg_type t ON t.oid = a.oid LEFT JOIN pg_type e ON e.oid = t.typelem AND t.typcategory = 'A'
             WHERE p.pronamespace IN ('coord'::regnamespace, 'coord_private'::regnamespace)""").fetchall()}
        rels = {r["relname"] for r in c.execute(
            "SELECT relname FROM pg_class WHERE relnamespace = 'coord_private'::regnamespace AND relkind = 'r'")}
    assert sig_types - set(d.types) == set(), f"signature types not derived: {sig_types - set(d.types)}"
    assert rels - set(d.relations) == set(), f"coord_private tables not derived: {rels - set(d.relations)}"
    assert d.count() >= 150, d.breakdown()
    assert d.function_sigs and d.operator_sigs


# ---------------------------------------------------------------- 2. pg_temp shadowing

RED_TEAM = """
CREATE FUNCTION pg_temp.p(v pg_catalog.text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN IF current_user::pg_catalog.text = 'coord_owner' THEN /* anything */ {payload} END IF; RETURN true; END $$;
CREATE DOMAIN pg_temp.text AS pg_catalog.text CHECK (pg_temp.p(VALUE));
"""
# "anything": escalate, mark the canary, and stop the recursion the escalation's own
# trigger would cause (it inherits the empty search path and meets pg_temp.text again)
RED_TEAM_PAYLOAD = (
    "IF pg_catalog.current_setting('hostile.done', true) IS DISTINCT FROM 'on' THEN "
    "PERFORM pg_catalog.set_config('hostile.done', 'on', true); "
    f"PERFORM pg_catalog.nextval('{h.CANARY}.fired'::pg_catalog.regclass); "
    f"INSERT INTO {h.CANARY}.hits (session_role, acting_role, vector) "
    "VALUES (session_user::pg_catalog.text, current_user::pg_catalog.text, 'red team four lines'); "
    f"{h.ESCALATE} RAISE WARNING 'PWNED % as %', session_user, current_user; END IF;")


def test_INV_DEFINER_red_team_four_lines(world: h.World) -> None:
    """The red team's exact attack: a pg_temp.text domain whose CHECK runs inside
    coord.whoami() as coord_owner. The agent's profile must not change."""
    w = world

    def body(tally: h.Tally, extra: list[str]) -> list[str]:
        s = w.session(w.attacker)
        steps = [
            ("SET search_path = ''", "SET search_path = ''"),
            ("CREATE FUNCTION pg_temp.p", RED_TEAM.format(payload=RED_TEAM_PAYLOAD).split("CREATE DOMAIN")[0]),
            ("CREATE DOMAIN pg_temp.text", "CREATE DOMAIN" + RED_TEAM.split("CREATE DOMAIN")[1]),
            ("SELECT * FROM coord.whoami()", "SELECT * FROM coord.whoami()"),
        ]
        for what, q in steps:
            o = s.run(what, q)
            tally.add(o)
            extra.append(o.short())
        who = w.db.su.execute("SELECT profile FROM coord_private.agents WHERE role_name = %s",
                              (w.attacker,)).fetchone()["profile"]
        extra.append(f"attacker's profile afterwards: {who}")
        return s.pwned

    tally, problems, extra = _attack_and_check(w, "red team four lines", [w.attacker], body)
    _finish("INV-DEFINER red team four lines", tally, problems, extra)
    assert problems == []


def _shadow_test(w: h.World, derived: h.Derived, label: str, make, require_created: bool = False) -> None:
    created = []

    def body(tally: h.Tally, extra: list[str]) -> list[str]:
        s = w.session(w.attacker)
        o = h.install_payload(s)
        tally.add(o)
        extra.append(f"payload function: {'created' if o.sqlstate is None else o.short()}")
        rep = make(s, derived)
        created.append(rep.created)
        extra.append(rep.line(f"{label} shadows"))
        extra.extend(f"  error: {e}" for e in rep.errors[:5])
        tally.attempts += rep.attempted
        tally.refused += rep.refused
        tally.errors += rep.other_errors
        tally.allowed += rep.created
        for search_path in (None, "''", "pg_temp, pg_catalog", "public, pg_temp"):
            if search_path:
                s.run("set search_path", f"SET search_path = {search_path}")
            outs = h.sweep(s, h.plan_calls(w.db.su, w, w.attacker, True), tally)
            errs = sum(1 for x in outs if x.error)
            extra.append(f"calls with search_path={search_path or 'default'}: {len(outs)} ({errs} raised)")
        return s.pwned

    tally, problems, extra = _attack_and_check(w, label, [w.attacker], body)
    if require_created and not sum(created):
        problems.append("no shadow could be created although TEMPORARY was granted: the test proved nothing")
    _finish(f"INV-DEFINER {label}", tally, problems, extra)
    assert problems == [], "the attacker's shadows ran as another role or changed state:\n" + "\n".join(problems)


def test_INV_DEFINER_pg_temp_type_shadowing(world: h.World, derived: h.Derived) -> None:
    """A pg_temp domain (CHECK runs the payload) and an implicit cast for every derived
    type name; then every coord function the agent may execute."""
    _shadow_test(world, derived, "pg_temp type shadowing", h.shadow_types)


def test_INV_DEFINER_pg_temp_relation_shadowing(world: h.World, derived: h.Derived) -> None:
    """A pg_temp view (same columns; its WHERE and INSTEAD OF triggers run the payload)
    for every derived relation name; then every coord function."""
    _shadow_test(world, derived, "pg_temp relation shadowing", h.shadow_relations)


def test_INV_DEFINER_pg_temp_function_operator_shadowing(world: h.World, derived: h.Derived) -> None:
    """pg_temp functions and operators with the signatures the sources use (PostgreSQL
    never resolves them implicitly: tested, not assumed); then every coord function."""
    _shadow_test(world, derived, "pg_temp function/operator shadowing", h.shadow_functions_operators)


def test_INV_DEFINER_pg_temp_shadowing_with_TEMPORARY_regranted(world: h.World, derived: h.Derived) -> None:
    """Defence in depth the other way round: a DBA grants TEMPORARY back to the agent
    (the mistake revoke_temporary warns about). The pinned search path alone must
    keep every type and relation shadow out of the definers."""
    w = world
    w.db.su.execute(sql.SQL("GRANT TEMPORARY ON DATABASE {} TO {}").format(
        sql.Identifier(w.db.name), sql.Identifier(w.attacker)))

    def both(s: h.AgentSession, d: h.Derived) -> h.ShadowReport:
        rep = h.shadow_types(s, d)
        rel = h.shadow_relations(s, d)   # names a domain already took fail (42710): counted as errors
        for k in ("attempted", "created", "refused", "other_errors"):
            setattr(rep, k, getattr(rep, k) + getattr(rel, k))
        return rep

    _shadow_test(w, derived, "pg_temp shadowing with TEMPORARY re-granted", both, require_created=True)


def test_INV_DEFINER_agent_cannot_create_temporary_objects(world: h.World) -> None:
    """Defence in depth behind the pinned search path: an agent has no TEMPORARY on
    pgcoord's database, so any pg_temp object is refused (42501)."""
    w = world
    s = w.session(w.attacker)
    tally = h.Tally()
    attempts = [
        ("CREATE TEMP TABLE", "CREATE TEMP TABLE hostile_t (a pg_catalog.int4)"),
        ("CREATE TEMP VIEW", "CREATE TEMP VIEW hostile_v AS SELECT 1 AS a"),
        ("CREATE TEMP SEQUENCE", "CREATE TEMP SEQUENCE hostile_s"),
        ("CREATE FUNCTION pg_temp", "CREATE FUNCTION pg_temp.hostile_f() RETURNS pg_catalog.int4 "
                                    "LANGUAGE sql AS 'SELECT 1'"),
        ("CREATE DOMAIN pg_temp", "CREATE DOMAIN pg_temp.hostile_d AS pg_catalog.text"),
        ("CREATE TYPE pg_temp", "CREATE TYPE pg_temp.hostile_e AS ENUM ('a')"),
    ]
    outcomes = []
    for what, q in attempts:
        o = s.run(what, q)
        tally.add(o)
        outcomes.append(o)
    privs = w.db.su.execute("SELECT has_database_privilege(%s, current_database(), 'TEMPORARY') AS temp, "
                            "has_database_privilege(%s, current_database(), 'CREATE') AS create",
                            (w.attacker, w.attacker)).fetchone()
    created = [o.what for o in outcomes if o.sqlstate is None]
    other = [o.short() for o in outcomes if o.sqlstate not in (None, "42501")]
    problems = [f"created as the agent: {created}"] if created else []
    problems += [f"refused with another error: {other}"] if other else []
    if privs["temp"] or privs["create"]:
        problems.append(f"agent holds database privileges {privs}")
    _finish("INV-DEFINER agent temporary objects", tally, problems, [o.short() for o in outcomes])
    assert problems == []


def test_INV_DEFINER_creatable_schemas(world: h.World, derived: h.Derived) -> None:
    """No schema but its own temporary one accepts the agent's objects (public does not
    on PG15); shadows are attempted in every schema that does, then every call."""
    w = world
    su = w.db.su
    creatable = [r["nspname"] for r in su.execute(
        "SELECT nspname FROM pg_namespace WHERE has_schema_privilege(%s, oid, 'CREATE') "
        "AND nspname !~ '^pg_(toast_)?temp_' ORDER BY 1", (w.attacker,)).fetchall()]
    usable = [r["nspname"] for r in su.execute(
        "SELECT nspname FROM pg_namespace WHERE has_schema_privilege(%s, oid, 'USAGE') "
        "AND nspname !~ '^pg_(toast_)?temp_' ORDER BY 1", (w.attacker,)).fetchall()]

    def body(tally: h.Tally, extra: list[str]) -> list[str]:
        extra.append(f"schemas the agent may CREATE in: {creatable or 'none'}; may USE: {usable}")
        s = w.session(w.attacker)
        h.install_payload(s)
        for nsp in creatable:
            for make in (h.shadow_types, h.shadow_relations, h.shadow_functions_operators):
                rep = make(s, derived, sql.Identifier(nsp).as_string(None))
                extra.append(rep.line(f"shadows in {nsp}"))
                tally.attempts += rep.attempted
                tally.refused += rep.refused
            s.run("search_path", f"SET search_path = {sql.Identifier(nsp).as_string(None)}, pg_catalog")
            h.sweep(s, h.plan_calls(su, w, w.attacker, True), tally)
        # CREATE SCHEMA itself
        o = s.run("CREATE SCHEMA", "CREATE SCHEMA hostile_schema")
        tally.add(o)
        extra.append(o.short())
        if o.sqlstate is None:
            extra.append("the agent created a schema")
        return s.pwned

    tally, problems, extra = _attack_and_check(w, "creatable schemas", [w.attacker], body)
    if creatable:
        problems.append(f"the agent may CREATE in {creatable}")
    if any("created a schema" in e for e in extra):
        problems.append("the agent may CREATE SCHEMA")
    _finish("INV-DEFINER creatable schemas", tally, problems, extra)
    assert problems == []


# ---------------------------------------------------------------- 3. every function

def test_INV_BOUNDARY_every_agent_function_hostile_args(world: h.World) -> None:
    """Every coord function the agent may EXECUTE, with arguments aimed at the victim
    (its lease path and token, its claimed task and claim token, its session, its
    idempotency key), alternates, and all NULL: nothing of anyone else changes."""
    w = world

    def body(tally: h.Tally, extra: list[str]) -> list[str]:
        s = w.session(w.attacker)
        calls = h.plan_calls(w.db.su, w, w.attacker, True)
        outs = h.sweep(s, calls, tally)
        extra.append(f"{len({c.fn for c in calls})} executable coord functions, {len(calls)} calls")
        extra.extend(o.short() for o in outs if not o.error and not o.refused and "victim" in str(o.rows))
        return s.pwned

    tally, problems, extra = _attack_and_check(w, "every agent function", [w.attacker], body)
    _finish("INV-BOUNDARY every agent function", tally, problems, extra)
    assert problems == []


def test_INV_BOUNDARY_admin_functions_refused(world: h.World) -> None:
    """Every coord function the agent may NOT execute (the admin and auditor API) is
    refused to it, with every argument tuple."""
    w = world
    refused_all = []

    def body(tally: h.Tally, extra: list[str]) -> list[str]:
        s = w.session(w.attacker)
        calls = h.plan_calls(w.db.su, w, w.attacker, False)
        outs = h.sweep(s, calls, tally)
        extra.append(f"{len({c.fn for c in calls})} admin/auditor functions, {len(calls)} calls")
        for o in outs:
            if not o.refused:
                extra.append(f"NOT REFUSED: {o.short()}")
                refused_all.append(o.short())
        assert calls, "no admin function derived"
        return s.pwned

    tally, problems, extra = _attack_and_check(w, "admin functions", [w.attacker], body)
    problems += [f"admin call not refused: {x}" for x in refused_all]
    _finish("INV-BOUNDARY admin functions", tally, problems, extra)
    assert problems == []
    assert tally.refused == tally.attempts


# ---------------------------------------------------------------- 4. impersonation and settings

def test_INV_BOUNDARY_impersonation(world: h.World, derived: h.Derived) -> None:
    """SET ROLE / SET SESSION AUTHORIZATION / set_config to coord_owner, the victim, an
    admin, the group roles; per-role defaults (ALTER ROLE self SET role ...); logging in
    as the NOLOGIN roles; custom settings named coord.* / coord_private.* (and every
    setting the sources read) and hostile search paths, then every call: identity stays
    session_user and nothing of anyone else changes."""
    w = world
    su = w.db.su
    targets = ["coord_owner", w.victim, w.admin_role, "coord_admin", "coord_auditor", "coord_agent", "postgres"]
    not_refused: list[str] = []

    def body(tally: h.Tally, extra: list[str]) -> list[str]:
        s = w.session(w.attacker)
        attempts = []
        for t in targets:
            q = sql.Identifier(t).as_string(None)
            attempts += [
                (f"SET ROLE {t}", f"SET ROLE {q}"),
                (f"SET SESSION AUTHORIZATION {t}", f"SET SESSION AUTHORIZATION {q}"),
                (f"set_config(role, {t})", f"SELECT pg_catalog.set_config('role', '{t}', false)"),
                (f"set_config(session_authorization, {t})",
                 f"SELECT pg_catalog.set_config('session_authorization', '{t}', false)"),
                (f"BEGIN; SET LOCAL ROLE {t}", f"DO $$BEGIN SET LOCAL ROLE {q}; END$$"),
                (f"GRANT {t} TO self", f"GRANT {q} TO {sql.Identifier(w.attacker).as_string(None)}"),
            ]
        me = sql.Identifier(w.attacker).as_string(None)
        attempts += [
            ("ALTER ROLE self SUPERUSER", f"ALTER ROLE {me} SUPERUSER"),
            ("ALTER ROLE self CREATEROLE", f"ALTER ROLE {me} CREATEROLE"),
            ("ALTER ROLE self BYPASSRLS", f"ALTER ROLE {me} BYPASSRLS"),
            ("ALTER ROLE victim RENAME", f"ALTER ROLE {sql.Identifier(w.victim).as_string(None)} RENAME TO hostile"),
            ("CREATE ROLE", "CREATE ROLE hostile_role LOGIN"),
            ("ALTER ROLE self SET role", f"ALTER ROLE {me} SET role = 'coord_owner'"),
            ("ALTER ROLE self SET session_authorization",
             f"ALTER ROLE {me} SET session_authorization = {sql.Identifier(w.victim).as_string(None)}"),
        ]
        for what, q in attempts:
            o = s.run(what, q)
            tally.add(o)
            ident_row = s.run("identity", "SELECT session_user::pg_catalog.text AS su, current_user::pg_catalog.text AS cu")
            ids = ident_row.rows[0] if ident_row.rows else {}
            if o.sqlstate is None:
                # allowed: it must not have changed who we are to pgcoord or what we can do
                if ids.get("su") != w.attacker or ids.get("cu") not in (w.attacker, "coord_agent"):
                    not_refused.append(f"{what}: now session_user={ids.get('su')} current_user={ids.get('cu')}")
                extra.append(f"allowed (no identity change: {ids}): {what}")
            s.run("reset", "RESET ROLE")
        # per-role defaults applied at the next login; the NOLOGIN roles themselves
        s2 = w.session(w.attacker)
        o = s2.run("identity after ALTER ROLE SET", "SELECT session_user::pg_catalog.text AS su, "
                   "current_user::pg_catalog.text AS cu, (SELECT role_name FROM coord.whoami()) AS who")
        extra.append(f"next login: {o.short()}")
        if o.rows and (o.rows[0]["su"] != w.attacker or o.rows[0]["cu"] != w.attacker or o.rows[0]["who"] != w.attacker):
            not_refused.append(f"per-role default changed identity at login: {o.rows[0]}")
        for nologin in ("coord_owner", "coord_admin", "coord_agent"):
            try:
                psycopg.connect(w.db.role_dsn(nologin), connect_timeout=5).close()
                not_refused.append(f"logged in as {nologin}")
            except psycopg.OperationalError as exc:
                tally.attempts += 1
                tally.refused += 1
                extra.append(f"login as {nologin} refused: {str(exc).strip().splitlines()[-1][:100]}")
        # custom settings, then every call, under hostile search paths
        gucs = sorted(set(derived.gucs) - {"transaction_isolation"} | {
            "coord_private.audit_retention", "coord.agent", "coord.role", "coord.identity", "coord.session_role",
            "coord.enforcement_mode", "coord_private.enforcement_mode", "coord.profile", "coord_private.agent",
            "coord_private.bypass", "coord.trust_level"})
        values = {"coord_private.audit_retention": "on", "coord.enforcement_mode": "off",
                  "coord_private.enforcement_mode": "off", "coord.profile": "administrator", "coord.trust_level": "4",
                  "coord_private.bypass": "on"}
        for g in gucs:
            v = values.get(g, w.victim)
            for q in (f"SET {g} = '{v}'", f"ALTER ROLE {me} SET {g} = '{v}'"):
                o = s2.run(q, q)
                tally.add(o)
                extra.append(o.short())
        for sp in ("pg_temp, public", "coord_private, coord, pg_catalog", "''", '"$user", public'):
            s2.run("search_path", f"SET search_path = {sp}")
            h.sweep(s2, h.plan_calls(su, w, w.attacker, True), tally)
            who = s2.run("whoami", "SELECT * FROM coord.whoami()")
            if not who.rows or who.rows[0]["role_name"] != w.attacker or who.rows[0]["profile"] != "implementer":
                not_refused.append(f"whoami under search_path {sp} and custom settings: {who.short()}")
        s3 = w.session(w.attacker)   # the per-role custom settings apply at login
        h.sweep(s3, h.plan_calls(su, w, w.attacker, True), tally)
        return s.pwned + s2.pwned + s3.pwned

    tally, problems, extra = _attack_and_check(w, "impersonation", [w.attacker], body)
    problems += not_refused
    _finish("INV-BOUNDARY impersonation", tally, problems, extra)
    assert problems == []


# ---------------------------------------------------------------- 5. audit retention flag

def test_INV_AUDIT_IMMUTABLE_retention_guc(world: h.World) -> None:
    """The retention flag coord_private.audit_retention is a custom setting any
    session may set (SET, set_config, ALTER ROLE self SET). Audit deletion must not
    depend on it:
      (a) as the agent: the flag on, then purge_audit and every call;
      (b) as the agent: the flag on in its session plus a pg_temp shadow whose
          payload only DELETEs the victim's events (no set_config of its own);
      (c) any code running as coord_owner in a session whose settings the agent
          controls (simulated by the superuser: SET the flag, SET ROLE coord_owner,
          DELETE / UPDATE the newest event): refused with PC009."""
    w = world
    su = w.db.su
    owner_results: list[str] = []

    def body(tally: h.Tally, extra: list[str]) -> list[str]:
        s = w.session(w.attacker)
        me = sql.Identifier(w.attacker).as_string(None)
        for q in ("SET coord_private.audit_retention = on",
                  "SELECT pg_catalog.set_config('coord_private.audit_retention', 'on', false)",
                  f"ALTER ROLE {me} SET coord_private.audit_retention = on"):
            o = s.run(q, q)
            tally.add(o)
            extra.append(o.short())
        for q in ("SELECT * FROM coord.purge_audit(pg_catalog.now(), 'hostile')",
                  "SELECT * FROM coord.purge_audit('infinity', 'hostile')"):
            o = s.run(q, q)
            tally.add(o)
            extra.append(o.short())
        h.sweep(s, h.plan_calls(su, w, w.attacker, True), tally)
        # (b) the flag plus a shadow that deletes the victim's audit events
        s2 = w.session(w.attacker)
        s2.run("flag", "SET coord_private.audit_retention = on")
        action = (f"DELETE FROM coord_private.audit_events WHERE actor OPERATOR(pg_catalog.=) "
                  f"'{w.victim}'::pg_catalog.text;")
        o = h.install_payload(s2, action=action, tag_prefix="retention:")
        tally.add(o)
        extra.append(f"(b) payload: {o.short()}")
        o = s2.run("domain text", "CREATE DOMAIN pg_temp.text AS pg_catalog.text "
                   "CHECK (pg_temp.hostile_pwn('type:text', VALUE))")
        tally.add(o)
        extra.append(f"(b) shadow: {o.short()}")
        for q in ("SELECT * FROM coord.whoami()", "SELECT * FROM coord.register_session('hostile')",
                  "SELECT * FROM coord.check_guardrails('ls', ARRAY[]::pg_catalog.text[])"):
            o = s2.run(q, q)
            tally.add(o)
            extra.append(f"(b) {o.short()}")
        # (c) owner code in an agent-controlled session
        for label, stmt in (
                ("DELETE newest event", "DELETE FROM coord_private.audit_events WHERE event_id = "
                                        "(SELECT max(event_id) FROM coord_private.audit_events)"),
                ("DELETE victim's events", f"DELETE FROM coord_private.audit_events WHERE actor = '{w.victim}'"),
                ("UPDATE newest event", "UPDATE coord_private.audit_events SET reason = 'forged' WHERE event_id = "
                                        "(SELECT max(event_id) FROM coord_private.audit_events)")):
            with psycopg.connect(w.db.dsn, row_factory=dict_row) as c:   # a transaction, rolled back
                c.execute("SET coord_private.audit_retention = on")
                c.execute("SET ROLE coord_owner")
                try:
                    n = c.execute(stmt).rowcount
                    if n:
                        owner_results.append(f"(c) {label} as coord_owner with the session flag on: ALLOWED ({n} rows)")
                    else:
                        extra.append(f"(c) {label}: no row matched")
                except psycopg.Error as exc:
                    extra.append(f"(c) {label}: refused {exc.sqlstate}")
                    if exc.sqlstate != "PC009":
                        owner_results.append(f"(c) {label}: refused with {exc.sqlstate}, not PC009")
                c.rollback()
        return s.pwned + s2.pwned

    tally, problems, extra = _attack_and_check(w, "retention flag", [w.attacker], body)
    problems += owner_results
    _finish("INV-AUDIT-IMMUTABLE retention flag", tally, problems, extra)
    assert problems == []


# ---------------------------------------------------------------- 6. lock hogging

def _anchors(su: psycopg.Connection, path: str) -> list[str]:
    try:
        with su.transaction():
            row = su.execute("SELECT coord_private.anchor_ancestors(coord_private.path_anchor("
                             "coord_private.normalize_path(%s))) AS a", (path,)).fetchone()
            return list(row["a"])
    except psycopg.Error:
        parts = path.split("/")
        return [""] + ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]


def _timed(w: h.World, role: str, query: str, params=(), bound: float = OPEN_TXN_BOUND_S,
           grace: float = 0) -> h.TimedCall:
    """query in its own session and thread; it must answer within bound seconds (the
    client cuts it at bound + grace, so a late answer is measured, not just cut)."""
    t = h.TimedCall(w.db.role_dsn(role), role, query, params, timeout=f"{int((bound + grace) * 1000)}ms")
    t.bound = bound
    t.start()
    return t


def _pinned_lock_timeout(su: psycopg.Connection) -> float | None:
    """The largest lock_timeout (seconds) pinned on a coord function, None if none is."""
    row = su.execute("""
        SELECT max(CASE WHEN v ~ '^[0-9]+$' THEN v::numeric / 1000
                        ELSE extract(epoch FROM v::interval) END) AS s
          FROM pg_proc p, unnest(p.proconfig) c, LATERAL (SELECT split_part(c, '=', 2) AS v) x
         WHERE p.pronamespace = 'coord'::regnamespace AND c LIKE 'lock\\_timeout=%'""").fetchone()
    return float(row["s"]) if row["s"] else None


def _bounded(t: h.TimedCall, label: str, problems: list[str], extra: list[str], want_ok: bool) -> None:
    t.join(t.bound + 20)
    o = t.outcome
    if o is None:
        problems.append(f"{label}: no answer at all")
        return
    extra.append(f"{label}: {o.seconds:.1f}s {o.short()}")
    if o.sqlstate == "57014" or o.seconds >= t.bound:
        problems.append(f"{label}: no answer within {t.bound:g}s (answered after {o.seconds:.1f}s): {o.short()}")
    elif want_ok and (o.error or not o.rows or o.rows[0].get("ok") is not True):
        problems.append(f"{label}: not granted although nothing legitimately holds it: {o.short()}")


def test_INV_DEFINER_advisory_lock_hogging(world: h.World) -> None:
    """An agent takes, in its own session and without any pgcoord call, the advisory
    keys pgcoord used ((1885570817, hashtext(anchor)) along a line, (1885570817, 0)),
    and tries to lock pgcoord's private tables and rows and the coord views; another
    agent's acquire_lock and an admin's profile change must still be answered
    (granted) within the bound."""
    w = world
    su = w.db.su
    path = "hog/x.py"
    anchors = _anchors(su, path)
    keys = [0] + [su.execute("SELECT hashtext(%s) AS k", (a,)).fetchone()["k"] for a in anchors]
    other, _ = w.db.agent("implementer")
    tally, extra, problems = h.Tally(), [], []
    hog = w.session(w.attacker)
    for k in keys:
        tally.add(hog.run(f"pg_advisory_lock(1885570817, {k})",
                          "SELECT pg_catalog.pg_advisory_lock(1885570817, %s)", (k,)))
    extra.append(f"anchors of {path}: {anchors}; advisory keys the attacker holds: {keys}")
    # pgcoord's tables and rows, and the coord views, locked in an open transaction
    locker = h.AgentSession(w.db.role_dsn(w.attacker), w.attacker, autocommit=False)
    w.sessions.append(locker)
    rels = su.execute("SELECT c.oid::regclass::text AS r FROM pg_class c "
                      "WHERE c.relnamespace IN ('coord'::regnamespace, 'coord_private'::regnamespace) "
                      "AND c.relkind IN ('r', 'v') ORDER BY 1").fetchall()
    held = []
    locker.conn.execute("SELECT 1")
    for r in rels:
        for what, q in ((f"LOCK {r['r']} ACCESS SHARE", f"LOCK TABLE {r['r']} IN ACCESS SHARE MODE"),
                        (f"LOCK {r['r']} ROW EXCLUSIVE", f"LOCK TABLE {r['r']} IN ROW EXCLUSIVE MODE"),
                        (f"LOCK {r['r']} EXCLUSIVE", f"LOCK TABLE {r['r']} IN EXCLUSIVE MODE"),
                        (f"{r['r']} FOR KEY SHARE", f"SELECT 1 FROM {r['r']} FOR KEY SHARE"),
                        (f"{r['r']} FOR UPDATE", f"SELECT 1 FROM {r['r']} FOR UPDATE")):
            locker.conn.execute("SAVEPOINT s")
            tally.attempts += 1
            try:
                locker.conn.execute(q)
                held.append(what)
                tally.allowed += 1
                locker.conn.execute("RELEASE SAVEPOINT s")
            except psycopg.Error as exc:
                tally.refused += exc.sqlstate == "42501"
                tally.errors += exc.sqlstate != "42501"
                locker.conn.execute("ROLLBACK TO SAVEPOINT s")
    extra.append(f"table/row locks the attacker holds meanwhile: {held or 'none'}")
    t1 = _timed(w, other, "SELECT * FROM coord.acquire_lock(%s, '30 seconds')", (path,), bound=ADVISORY_BOUND_S)
    t2 = _timed(w, w.admin_role, "SELECT * FROM coord.set_agent_profile(%s, 'implementer')", (w.victim,),
                bound=ADVISORY_BOUND_S)
    t3 = _timed(w, other, "SELECT * FROM coord.acquire_lock('elsewhere/y.py', '30 seconds')", bound=ADVISORY_BOUND_S)
    _bounded(t1, "other agent's acquire_lock('hog/x.py')", problems, extra, want_ok=True)
    _bounded(t2, "admin's set_agent_profile (recompiles the policy)", problems, extra, want_ok=True)
    _bounded(t3, "other agent's acquire_lock('elsewhere/y.py') (shares only the root)", problems, extra, want_ok=True)
    for t in (t1, t2, t3):
        if t.outcome:
            tally.add(t.outcome)
    locker.conn.rollback()
    hog.close()
    _finish("INV-DEFINER advisory lock hogging", tally, problems, extra)
    assert problems == []


def test_INV_DEFINER_lock_hogging_open_transaction(world: h.World) -> None:
    """An agent makes a legitimate acquire_lock inside a transaction it never ends,
    holding whatever pgcoord serialises that line with. Every other request must be
    answered (a refusal or a lock_timeout error is an answer) within three waits of the
    pinned lock_timeout plus 3 s: another agent's overlapping requests (several at once, as an
    agent with parallel sessions makes them, which queue on its own limit slot) and its
    disjoint one; another agent's file in the same directory, granted at once (a file
    lease does not hold its directory's line exclusively); a late agent that
    queues behind them 5 s later on the same row (it waits for the row's tuple lock,
    then for the row: a lock_timeout per wait is not a bound per call); and a third
    agent's disjoint request, granted at once."""
    w = world
    pinned = _pinned_lock_timeout(w.db.su)
    bound = (OPEN_TXN_WAITS * pinned + OPEN_TXN_SLACK_S) if pinned else OPEN_TXN_BOUND_S
    other, _ = w.db.agent("implementer")
    third, _ = w.db.agent("implementer")
    late, _ = w.db.agent("implementer")
    neighbour, _ = w.db.agent("implementer")
    tally, extra, problems = h.Tally(), [f"lock_timeout pinned on coord functions: {pinned}s; bound {bound:g}s"], []
    hog = h.AgentSession(w.db.role_dsn(w.attacker), w.attacker, autocommit=False)
    w.sessions.append(hog)
    o = hog.run("BEGIN; acquire_lock('hog2/a.py') (never committed)",
                "SELECT * FROM coord.acquire_lock('hog2/a.py', '60 seconds')")
    tally.add(o)
    extra.append(o.short())
    q = "SELECT * FROM coord.acquire_lock(%s, '30 seconds')"
    calls = [(other, "hog2/", "overlaps (directory)", False), (other, "hog2/a.py", "same file", False),
             (neighbour, "hog2/b.py", "another agent's file in the same directory", True),
             (other, "elsewhere2/c.py", "the same agent's disjoint request", False),
             (third, "elsewhere3/d.py", "another agent's disjoint request", True)]
    threads = [(_timed(w, role, q, (path,), bound=bound, grace=5), path, why, ok) for role, path, why, ok in calls]
    time.sleep(5)
    threads.append((_timed(w, late, q, ("hog2/a.py",), bound=bound, grace=5), "hog2/a.py",
                    "a late agent, queued 5 s behind the others", False))
    for t, path, why, want_ok in threads:
        _bounded(t, f"acquire_lock('{path}') ({why})", problems, extra, want_ok=want_ok)
        if t.outcome:
            tally.add(t.outcome)
    hog.conn.rollback()
    _finish("INV-DEFINER open-transaction hogging", tally, problems, extra)
    assert problems == []


# ---------------------------------------------------------------- 7. reading others' data

def test_INV_RLS_private_state_unreadable(world: h.World) -> None:
    """As an agent: every coord_private relation (tables, sequences) is unreadable;
    what the coord views and catalog views show is recorded; the agent's own views
    (my_sessions, my_audit_events) show its rows only."""
    w = world
    su = w.db.su
    s = w.session(w.attacker)
    s.run("own session", "SELECT * FROM coord.register_session('attacker')")
    tally, extra, problems = h.Tally(), [], []
    rels = su.execute("SELECT c.oid::regclass::text AS r, c.relkind, c.relnamespace::regnamespace::text AS nsp "
                      "FROM pg_class c WHERE c.relnamespace IN ('coord'::regnamespace, 'coord_private'::regnamespace) "
                      "AND c.relkind IN ('r', 'v', 'm', 'S', 'p', 'f') ORDER BY 2, 1").fetchall()
    readable = []
    for r in rels:
        o = s.run(f"SELECT {r['r']}", f"SELECT count(*) AS n FROM {r['r']}")
        tally.add(o)
        if o.sqlstate is None:
            readable.append(f"{r['r']} ({o.rows[0]['n']} rows)")
            if r["nsp"] == "coord_private":
                problems.append(f"the agent reads {r['r']} directly")
        elif o.sqlstate != "42501":
            extra.append(f"unexpected: {o.short()}")
    extra.append(f"readable by the agent: {readable}")
    # the victim's secrets in anything readable
    for view in [x.split(" ")[0] for x in readable]:
        o = s.run(view, f"SELECT t::pg_catalog.text AS r FROM {view} t")
        hits = [row["r"][:160] for row in (o.rows or []) if w.victim in row["r"] or "victim-" in row["r"]]
        if hits:
            extra.append(f"{view} shows the victim: {len(hits)} row(s), e.g. {hits[0]}")
    for view, col, own in (("coord.my_sessions", "agent", "sessions"), ("coord.my_audit_events", "actor", "audit_events")):
        mine = s.run(view, f"SELECT count(*) AS n FROM {view}")
        truth = su.execute(sql.SQL("SELECT count(*) AS n FROM coord_private.{} WHERE {} = %s").format(
            sql.Identifier(own), sql.Identifier(col)), (w.attacker,)).fetchone()["n"]
        if mine.rows and mine.rows[0]["n"] != truth:
            problems.append(f"{view}: the agent sees {mine.rows[0]['n']} rows, it owns {truth}")
    for q in ("SELECT count(*) AS n FROM pg_catalog.pg_locks WHERE locktype = 'advisory'",
              "SELECT count(*) AS n FROM pg_catalog.pg_stat_activity WHERE query <> '<insufficient privilege>' "
              "AND usename <> session_user",
              "SELECT count(*) AS n FROM pg_catalog.pg_proc WHERE pronamespace = 'coord_private'::pg_catalog.regnamespace"):
        o = s.run(q, q)
        extra.append(f"catalog: {o.short()}")
    _finish("INV-RLS private state", tally, problems, extra)
    assert problems == []


def test_INV_RLS_task_payload_visibility(world: h.World) -> None:
    """INV-RLS, enforced by sql/deploy/task_visibility.sql (another engineer's change;
    this check fails on a v0.3.0 deploy): an agent that may not claim a task type (a
    reviewer: trust below claim_task's) does not read other agents' task input, result
    or error, through coord.tasks or coord.get_task."""
    w = world
    reviewer, _ = w.db.agent("reviewer")
    s = w.session(reviewer)
    tally, extra, problems = h.Tally(), [], []
    tasks = (w.victim_task_claimed, w.victim_task_done, w.victim_task_failed)
    for q, params in (("SELECT task_id, input, result, error, claim_token FROM coord.tasks WHERE task_id = ANY (%s)",
                       (list(tasks),)),
                      *[("SELECT task_id, input, result, error, claim_token FROM coord.get_task(%s)", (t,)) for t in tasks]):
        o = s.run(q, q, params)
        tally.add(o)
        for row in o.rows or []:
            leaked = {k: row[k] for k in ("input", "result", "error") if row.get(k) not in (None, {}, "")}
            if leaked:
                problems.append(f"INV-RLS: a reviewer reads task {row['task_id']}'s {sorted(leaked)}: {leaked}")
            if row.get("claim_token") is not None:
                extra.append(f"note: task {row['task_id']}'s claim_token is visible to a non-claimer")
    _finish("INV-RLS task payloads (task_visibility)", tally, problems, extra)
    assert problems == []


# ---------------------------------------------------------------- 8. session settings vs. definer semantics

def _corpus() -> list[str]:
    out = []
    for name in ("destructive.txt", "heldout_destructive.txt"):
        for line in (CORPUS / name).read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("#") and not line.startswith("paths: "):
                out.append(line.replace("⏎", "\n").replace("⇥", "\t"))
    return out


PATH_PROBES = ["victim/owned.py", "./victim/owned.py", "victim//owned.py", "victim/./owned.py",
               "victim/x/../owned.py", "victim/*.py", "victim/**", "victim/own?d.py", "victim/[o]wned.py",
               "victim/", "**", "*/owned.py"]


def _hostile_settings(su: psycopg.Connection) -> list[tuple[str, str]]:
    """Every user-settable boolean/enum setting of the compatibility, statement and
    formatting groups at each non-default value, plus formatting strings and plpgsql's."""
    cases = []
    for r in su.execute("""
        SELECT name, vartype, setting, enumvals FROM pg_settings
         WHERE context = 'user' AND vartype IN ('bool', 'enum')
           AND category ~ '(Compatibility|Statement Behavior|Locale and Formatting)'
           AND name NOT IN ('client_min_messages', 'transaction_isolation', 'transaction_read_only',
                            'transaction_deferrable')
         ORDER BY name""").fetchall():
        values = (["off" if r["setting"] == "on" else "on"] if r["vartype"] == "bool"
                  else [v for v in r["enumvals"] if v != r["setting"]])
        cases += [(r["name"], v) for v in values]
    cases += [("DateStyle", "SQL, DMY"), ("DateStyle", "German"), ("TimeZone", "Pacific/Chatham"),
              ("extra_float_digits", "-15"), ("search_path", "pg_temp, public"),
              ("plpgsql.extra_errors", "all"), ("plpgsql.check_asserts", "off"),
              ("plpgsql.variable_conflict", "use_column"), ("plpgsql.variable_conflict", "use_variable")]
    return cases


def test_INV_DEFINER_hostile_session_settings(world: h.World) -> None:
    """Session settings an agent may change must not change what the definers'
    bodies mean: every destructive corpus entry check_guardrails blocks under default
    settings, and every lease probe refused against the victim's lease, stays blocked /
    refused (or fails closed) under each hostile setting (derived from pg_settings)."""
    w = world
    su = w.db.su
    corpus = _corpus()
    cases = _hostile_settings(su)
    roles = {}
    for c in cases + [("baseline", "")]:
        roles[c] = w.db.create_role("coord_agent", prefix="agent")
        su.execute("SELECT coord.register_agent(%s, 'implementer')", (roles[c],))

    def probe(case: tuple[str, str]) -> tuple[tuple[str, str], str | None, dict[str, bool | None], dict[str, bool | None]]:
        s = h.AgentSession(w.db.role_dsn(roles[case]), roles[case])
        try:
            if case[0] != "baseline":
                o = s.run("set", sql.SQL("SELECT pg_catalog.set_config({}, {}, false)").format(
                    sql.Literal(case[0]), sql.Literal(case[1])))
                if o.error:
                    return case, o.sqlstate, {}, {}
            g = {}
            # the whole corpus in one statement; entry by entry when that raises
            o = s.run("guardrails", "SELECT k.t, (SELECT c.blocked FROM coord.check_guardrails(k.t, "
                      "'{}'::pg_catalog.text[]) c) AS blocked FROM pg_catalog.unnest(%s::pg_catalog.text[]) "
                      "WITH ORDINALITY k(t, i) ORDER BY k.i", (corpus,))
            if not o.error:
                g = {r["t"]: bool(r["blocked"]) for r in o.rows}
            else:
                for text in corpus:
                    o = s.run("guardrail", "SELECT blocked FROM coord.check_guardrails(%s::pg_catalog.text, "
                              "'{}'::pg_catalog.text[])", (text,))
                    g[text] = None if o.error else bool(o.rows[0]["blocked"])
            p = {}
            for path in PATH_PROBES:
                o = s.run("lease", "SELECT ok FROM coord.acquire_lock(%s::pg_catalog.text, "
                          "'60 seconds'::pg_catalog.interval)", (path,))
                p[path] = None if o.error else bool(o.rows[0]["ok"])
                if p[path]:
                    s.run("release", "SELECT * FROM coord.release_lock(%s::pg_catalog.text)", (path,))
            return case, None, g, p
        finally:
            s.close()

    _, _, base_g, base_p = probe(("baseline", ""))
    blocked = [t for t, b in base_g.items() if b]
    refused = [p for p, ok in base_p.items() if ok is False]
    tally, extra, problems = h.Tally(), [], []
    extra.append(f"{len(cases)} hostile settings; baseline: {len(blocked)}/{len(corpus)} corpus entries blocked, "
                 f"{len(refused)}/{len(PATH_PROBES)} lease probes refused against the victim's lease")
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(probe, cases))
    for case, refused_state, g, p in results:
        label = f"{case[0]}={case[1]!r}"
        tally.attempts += 1
        if refused_state:
            tally.refused += 1
            extra.append(f"{label}: setting refused ({refused_state})")
            continue
        tally.allowed += 1
        bypass = [t for t in blocked if g.get(t) is False]
        granted = [x for x in refused if p.get(x) is True]
        failed_closed = sum(1 for t in blocked if g.get(t) is None) + sum(1 for x in refused if p.get(x) is None)
        if failed_closed:
            extra.append(f"{label}: {failed_closed} probe(s) fail closed (error)")
        if bypass:
            s = h.AgentSession(w.db.role_dsn(roles[case]), roles[case])
            s.run("set", sql.SQL("SELECT pg_catalog.set_config({}, {}, false)").format(
                sql.Literal(case[0]), sql.Literal(case[1])))
            sub = s.run("submit", "SELECT ok, reason FROM coord.submit_task('build'::pg_catalog.text, "
                        "%s::pg_catalog.text, '{}'::pg_catalog.jsonb)", (bypass[0],))
            s.close()
            problems.append(f"{label}: {len(bypass)} destructive entr(y/ies) no longer blocked, e.g. {bypass[0]!r}; "
                            f"submit_task with it: {sub.short()}")
        if granted:
            problems.append(f"{label}: lease probe(s) granted over the victim's lease: {granted}")
    _finish("INV-DEFINER hostile session settings", tally, problems, extra)
    assert problems == []
