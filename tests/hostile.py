"""The hostile-agent toolkit behind tests/test_hostile_agent.py.

Everything an attack needs is derived from the catalog of a deployed database, never
kept by hand:

* ``derive(dsn)``: every type, relation, function, operator and cast-target name that a
  function of coord / coord_private refers to (plpgsql_check's dependency report,
  pg_depend, the argument/result types in pg_proc, the column types of pgcoord's
  relations, and the function sources parsed for unqualified names), plus the
  built-in types pgcoord uses;
* ``plan_calls(...)``: every coord function, with plausible hostile arguments per
  argument name and type (aimed at the victim's lease, tasks and session), and an
  all-NULL call;
* ``Snapshot``: a superuser picture of every coord_private table (rows of other agents
  exactly; the attacker's own legitimate rows filtered out), the catalog objects of
  pgcoord (functions, relations, triggers, policies, grants, memberships), the canary
  and the audit chain — compared before and after an attack.

Detection never trusts the attacker's session: the shadow objects run a payload
(``pg_temp.hostile_pwn``) that, only when it runs as a role other than the session
user, advances a canary sequence (not transactional: it survives a rolled-back call),
records a canary row, escalates the attacker (``UPDATE coord_private.agents SET profile
= 'administrator'``) and raises ``WARNING 'PWNED ...'``. The superuser then reads the
real tables.
"""
from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

CANARY = "hostile_canary"
ESCALATE = "UPDATE coord_private.agents SET profile = 'administrator' WHERE role_name = session_user::pg_catalog.text;"

# The built-in types pgcoord uses (the brief of the suite); added to what the catalog yields.
BUILTIN_TYPES = ("text", "integer", "int", "int4", "bigint", "int8", "smallint", "int2", "boolean", "bool",
                 "jsonb", "json", "interval", "timestamptz", "timestamp", "uuid", "numeric", "name", "bytea",
                 "oid", "regclass", "regprocedure", "regproc", "regtype", "regnamespace", "regrole", "record",
                 "void", "char", "varchar", "inet", "date", "float8", "double")

PSEUDO_TYPTYPE = "p"
IDENT = r'(?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)'
QNAME = rf"{IDENT}(?:\s*\.\s*{IDENT})?"
SQL_WORDS = {
    "select", "lateral", "values", "strict", "only", "the", "a", "an", "set", "with", "where", "and", "or", "not",
    "null", "true", "false", "case", "when", "then", "else", "end", "as", "on", "in", "is", "by", "for", "to",
    "of", "distinct", "all", "any", "some", "exists", "array", "row", "cast", "coalesce", "nullif", "greatest",
    "least", "if", "elsif", "loop", "return", "returning", "perform", "execute", "raise", "using", "begin",
    "declare", "exception", "found", "new", "old", "conflict", "do", "nothing", "update", "insert", "delete",
    "into", "from", "join", "table", "group", "order", "limit", "offset", "having", "union", "except",
    "intersect", "left", "right", "inner", "outer", "full", "cross", "natural", "filter", "over", "partition",
    "window", "within", "current_user", "session_user", "current_role", "user", "extract", "overlay",
    "position", "substring", "trim", "collate", "default", "primary", "key", "references", "check", "unique",
}


# ---------------------------------------------------------------------------
# source masking and parsing

def mask_source(src: str, literals: bool = True) -> str:
    """src with comments (and, when literals, the contents of string literals and
    dollar-quoted strings) blanked; same length, newlines kept."""
    out = list(src)
    n = len(src)

    def blank(a: int, b: int) -> None:
        for k in range(max(a, 0), min(b, n)):
            if out[k] != "\n":
                out[k] = " "

    i = 0
    while i < n:
        c = src[i]
        if src.startswith("--", i):
            j = src.find("\n", i)
            j = n if j < 0 else j
            blank(i, j)
            i = j
        elif src.startswith("/*", i):
            depth, j = 0, i
            while j < n:
                if src.startswith("/*", j):
                    depth += 1
                    j += 2
                elif src.startswith("*/", j):
                    depth -= 1
                    j += 2
                    if depth == 0:
                        break
                else:
                    j += 1
            blank(i, j)
            i = j
        elif c == '"':
            j = i + 1
            while j < n:
                if src[j] == '"':
                    if j + 1 < n and src[j + 1] == '"':
                        j += 2
                        continue
                    break
                j += 1
            i = j + 1
        elif c == "'":
            esc = i > 0 and src[i - 1] in "Ee" and (i == 1 or not (src[i - 2].isalnum() or src[i - 2] == "_"))
            j = i + 1
            while j < n:
                if esc and src[j] == "\\":
                    j += 2
                    continue
                if src[j] == "'":
                    if j + 1 < n and src[j + 1] == "'":
                        j += 2
                        continue
                    break
                j += 1
            if literals:
                blank(i + 1, j)
            i = j + 1
        elif c == "$" and (i == 0 or not (src[i - 1].isalnum() or src[i - 1] == "_")):
            m = re.match(r"\$([A-Za-z_][A-Za-z_0-9]*)?\$", src[i:])
            if not m:
                i += 1
                continue
            tag = m.group(0)
            end = src.find(tag, i + len(tag))
            end = n if end < 0 else end
            if literals:
                blank(i + len(tag), end)
            i = end + len(tag)
        else:
            i += 1
    return "".join(out)


def _bare(qname: str) -> tuple[str, bool]:
    """(bare name, was qualified) of a possibly schema-qualified, possibly quoted name."""
    parts = re.findall(IDENT, qname)
    last = parts[-1]
    name = last[1:-1].replace('""', '"') if last.startswith('"') else last.lower()
    return name, len(parts) > 1


def parse_source(src: str) -> dict[str, dict[str, bool]]:
    """Names a function body refers to: {'type'|'relation'|'function'|'operator': {name: unqualified?}}."""
    found: dict[str, dict[str, bool]] = {"type": {}, "cast_as": {}, "relation": {}, "function": {}, "operator": {}}

    def add(kind: str, qname: str) -> None:
        name, qualified = _bare(qname)
        found[kind][name] = found[kind].get(name, False) or not qualified

    masked = mask_source(src)
    no_comments = mask_source(src, literals=False)   # dynamic SQL inside literals counts for casts
    for text in (masked, no_comments):
        for m in re.finditer(rf"::\s*({QNAME})", text):
            add("type", m.group(1))
        for m in re.finditer(rf"\bAS\s+({QNAME})\s*(?:\[\s*\])?\s*\)", text, re.I):
            if _bare(m.group(1))[0] not in SQL_WORDS:
                add("cast_as", m.group(1))   # CAST(x AS t) -- or a column alias: kept if it names a type
    for block in re.finditer(r"\bDECLARE\b(.*?)\bBEGIN\b", masked, re.I | re.S):
        for stmt in block.group(1).split(";"):
            m = re.match(rf"\s*{IDENT}\s+(?:CONSTANT\s+)?({QNAME})(\s*%\s*(?:ROW)?TYPE)?", stmt, re.I)
            if not m or _bare(m.group(1))[0] in ("alias", "cursor", "refcursor"):
                continue
            add("relation" if m.group(2) else "type", m.group(1))
    for m in re.finditer(rf"({QNAME})\s*%\s*(?:ROW)?TYPE", masked, re.I):
        add("relation", m.group(1).rsplit(".", 1)[0] if "." in m.group(1) else m.group(1))
    for m in re.finditer(rf"\b(?:FROM|JOIN|INTO|UPDATE|TABLE|USING)\s+(?:ONLY\s+)?({QNAME})(?!\s*[(.])", masked, re.I):
        if _bare(m.group(1))[0] not in SQL_WORDS:
            add("relation", m.group(1))
    for m in re.finditer(rf"(?<![\w.\"$])({QNAME})\s*\(", masked):
        if _bare(m.group(1))[0] not in SQL_WORDS:
            add("function", m.group(1))
    for m in re.finditer(r"[-+*/<>=~!@#%^&|`?]+", masked):
        tok = m.group(0)
        if "--" not in tok and "/*" not in tok:
            found["operator"][tok] = True
    return found


# ---------------------------------------------------------------------------
# derivation from the catalog

@dataclass
class Derived:
    functions: list[str]                                  # coord/coord_private functions analysed
    types: dict[str, str] = field(default_factory=dict)   # type name -> base of its shadow domain
    unqualified_types: set[str] = field(default_factory=set)
    relations: dict[str, list[tuple[str, str]]] = field(default_factory=dict)   # name -> columns
    function_sigs: list[tuple[str, list[str], str]] = field(default_factory=list)  # name, args, result
    operator_sigs: list[tuple[str, str | None, str, str, str]] = field(default_factory=list)  # op, l, r, res, fn
    function_names: set[str] = field(default_factory=set)
    operator_names: set[str] = field(default_factory=set)
    cast_targets: set[str] = field(default_factory=set)
    gucs: set[str] = field(default_factory=set)           # settings the sources read or write
    dependency_report_rows: int = 0

    def count(self) -> int:
        return len(set(self.types) | set(self.relations) | self.function_names | self.operator_names)

    def breakdown(self) -> str:
        return (f"{self.count()} names ({len(self.types)} types [{len(self.unqualified_types)} referenced "
                f"unqualified somewhere], {len(self.relations)} relations, {len(self.function_names)} functions "
                f"-> {len(self.function_sigs)} signatures, {len(self.operator_names)} operators -> "
                f"{len(self.operator_sigs)} signatures, {len(self.cast_targets)} cast targets) from "
                f"{len(self.functions)} coord/coord_private functions, {self.dependency_report_rows} "
                f"plpgsql_check dependency rows")


def derive(dsn: str) -> Derived:
    """Derive every name to shadow from the catalog of the deployed database at dsn
    (installs plpgsql_check in a private schema for the dependency report, then drops it)."""
    with psycopg.connect(dsn, autocommit=True, row_factory=dict_row) as su:
        su.execute("SET search_path = pg_catalog")
        ext = su.execute("SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
                         "WHERE e.extname = 'plpgsql_check'").fetchone()
        installed_here = ext is None
        if installed_here:
            su.execute("CREATE SCHEMA hostile_analysis")
            su.execute("REVOKE ALL ON SCHEMA hostile_analysis FROM PUBLIC")
            su.execute("CREATE EXTENSION plpgsql_check SCHEMA hostile_analysis")
            ext_schema = "hostile_analysis"
        else:
            ext_schema = ext["nspname"]
        try:
            return _derive(su, ext_schema)
        finally:
            if installed_here:
                su.execute("DROP EXTENSION plpgsql_check")
                su.execute("DROP SCHEMA hostile_analysis")


def _derive(su: psycopg.Connection, ext_schema: str) -> Derived:
    fns = su.execute("""
        SELECT p.oid, p.oid::regprocedure::text AS sig, n.nspname, p.proname, l.lanname, p.prosrc,
               p.prorettype, p.proargtypes::oid[] AS argtypes, coalesce(p.proallargtypes, '{}') AS allargtypes,
               coalesce((SELECT array_agg(t.tgrelid) FROM pg_trigger t WHERE t.tgfoid = p.oid AND NOT t.tgisinternal),
                        '{}') AS trigger_relids,
               p.prorettype = 'trigger'::regtype AS is_trigger
          FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace JOIN pg_language l ON l.oid = p.prolang
         WHERE n.nspname IN ('coord', 'coord_private')
         ORDER BY 2""").fetchall()
    d = Derived(functions=[f["sig"] for f in fns])
    type_oids: set[int] = set()
    names: dict[str, dict[str, bool]] = {"type": {}, "cast_as": {}, "relation": {}, "function": {}, "operator": {}}

    def note(kind: str, name: str, unqualified: bool) -> None:
        names[kind][name] = names[kind].get(name, False) or unqualified

    for f in fns:
        type_oids.update([f["prorettype"], *f["argtypes"], *f["allargtypes"]])
        for kind, found in parse_source(f["prosrc"] or "").items():
            for name, unq in found.items():
                note(kind, name, unq)
        for m in re.finditer(r"(?:current_setting|set_config)\s*\(\s*'([^']+)'", f["prosrc"] or ""):
            d.gucs.add(m.group(1))
        if f["lanname"] != "plpgsql":
            continue
        relids = f["trigger_relids"] if f["is_trigger"] else [None]
        for relid in relids:
            if f["is_trigger"] and relid is None:
                continue
            try:
                with su.transaction():
                    rows = su.execute(
                        sql.SQL("SELECT * FROM {}.plpgsql_show_dependency_tb(%s::regprocedure{})").format(
                            sql.Identifier(ext_schema), sql.SQL(", %s::regclass") if relid else sql.SQL("")),
                        (f["oid"], relid) if relid else (f["oid"],)).fetchall()
            except psycopg.Error:
                continue
            d.dependency_report_rows += len(rows)
            for r in rows:
                kind = {"RELATION": "relation", "FUNCTION": "function", "OPERATOR": "operator"}.get(r["type"])
                if kind:
                    note(kind, r["name"], False)
                if r["type"] == "FUNCTION" and r["params"]:
                    for t in re.findall(r"[^(),]+", r["params"]):
                        note("type", _bare(t.strip().removesuffix("[]"))[0], False)

    # pg_depend: whatever the functions are recorded to depend on
    for r in su.execute("""
        SELECT DISTINCT dep.refclassid::regclass::text AS cls, dep.refobjid
          FROM pg_depend dep JOIN pg_proc p ON p.oid = dep.objid AND dep.classid = 'pg_proc'::regclass
         WHERE p.pronamespace IN ('coord'::regnamespace, 'coord_private'::regnamespace)""").fetchall():
        if r["cls"] == "pg_type":
            type_oids.add(r["refobjid"])
    # column types of pgcoord's relations, and the relations themselves
    for r in su.execute("""
        SELECT a.atttypid FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
         WHERE c.relnamespace IN ('coord'::regnamespace, 'coord_private'::regnamespace)
           AND a.attnum > 0 AND NOT a.attisdropped""").fetchall():
        type_oids.add(r["atttypid"])
    for r in su.execute("""
        SELECT c.relname, c.reltype FROM pg_class c
         WHERE c.relnamespace IN ('coord'::regnamespace, 'coord_private'::regnamespace)
           AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')""").fetchall():
        note("relation", r["relname"], False)
        if r["reltype"]:
            type_oids.add(r["reltype"])
    for r in su.execute("""
        SELECT t.oid FROM pg_type t
         WHERE t.typnamespace IN ('coord'::regnamespace, 'coord_private'::regnamespace)""").fetchall():
        type_oids.add(r["oid"])

    # type names: the catalog's, the parsed ones, the built-ins
    for r in su.execute("SELECT n AS name FROM unnest(%s::text[]) n WHERE to_regtype(n) IS NOT NULL",
                        (list(names["cast_as"]),)).fetchall():
        note("type", r["name"], names["cast_as"][r["name"]])
    for name in BUILTIN_TYPES:
        note("type", name, False)
    parsed_type_names = list(names["type"])
    resolved = su.execute("SELECT n AS name, to_regtype(n)::oid AS oid FROM unnest(%s::text[]) n",
                          (parsed_type_names,)).fetchall()
    for r in resolved:
        if r["oid"]:
            type_oids.add(r["oid"])
    type_oids.discard(0)
    types = su.execute("""
        SELECT t.oid, t.typname, n.nspname, t.typtype, t.typelem, e.typname AS elemname, en.nspname AS elemnsp,
               e.typtype AS elemtyptype, format_type(t.oid, NULL) AS sqlname
          FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
          LEFT JOIN pg_type e ON e.oid = t.typelem AND t.typcategory = 'A'
          LEFT JOIN pg_namespace en ON en.oid = e.typnamespace
         WHERE t.oid = ANY (%s)""", (list(type_oids),)).fetchall()
    usable_oids = set()
    for t in types:
        for nm, nsp, tt in ((t["typname"], t["nspname"], t["typtype"]),
                            (t["elemname"], t["elemnsp"], t["elemtyptype"])):
            if not nm:
                continue
            base = (f'pg_catalog.{sql.Identifier(nm).as_string(None)}'
                    if nsp == "pg_catalog" and tt in ("b", "e", "r", "m") else "pg_catalog.text")
            d.types.setdefault(nm, base)
        if t["nspname"] == "pg_catalog" and t["typtype"] != PSEUDO_TYPTYPE:
            usable_oids.add(t["oid"])
        if re.fullmatch(r"[a-z_][a-z0-9_]*", t["sqlname"] or ""):
            d.types.setdefault(t["sqlname"], d.types.get(t["typname"], "pg_catalog.text"))
    for name in parsed_type_names:
        d.types.setdefault(name, next((f"pg_catalog.{sql.Identifier(t['typname']).as_string(None)}"
                                       for r in resolved if r["name"] == name and r["oid"]
                                       for t in types if t["oid"] == r["oid"] and t["nspname"] == "pg_catalog"
                                       and t["typtype"] in ("b", "e", "r", "m")), "pg_catalog.text"))
    d.unqualified_types = {n for n, unq in names["type"].items() if unq}
    d.cast_targets = set(names["type"])

    # relations: columns from pgcoord's relation of that name (coord_private first) or pg_catalog's
    rel_names = list(names["relation"])
    cols = su.execute("""
        SELECT c.relname, n.nspname, a.attname, a.attnum, t.typname, tn.nspname AS typnsp, t.typtype,
               e.typname AS elemname, en.nspname AS elemnsp
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
          JOIN pg_type t ON t.oid = a.atttypid JOIN pg_namespace tn ON tn.oid = t.typnamespace
          LEFT JOIN pg_type e ON e.oid = t.typelem AND t.typcategory = 'A'
          LEFT JOIN pg_namespace en ON en.oid = e.typnamespace
         WHERE c.relname = ANY (%s) AND n.nspname IN ('coord_private', 'coord', 'pg_catalog')
         ORDER BY CASE n.nspname WHEN 'coord_private' THEN 0 WHEN 'coord' THEN 1 ELSE 2 END, a.attnum""",
                      (rel_names,)).fetchall()
    for name in rel_names:
        rows = [c for c in cols if c["relname"] == name]
        if rows:
            nsp = rows[0]["nspname"]
            out = []
            for c in rows:
                if c["nspname"] != nsp:
                    continue
                if c["typnsp"] == "pg_catalog" and c["typtype"] != PSEUDO_TYPTYPE:
                    typ = f'pg_catalog.{sql.Identifier(c["typname"]).as_string(None)}'
                else:
                    typ = "pg_catalog.text"
                out.append((c["attname"], typ))
            d.relations[name] = out
        else:
            d.relations[name] = [("hostile_col", "pg_catalog.text")]

    # functions: names that exist in pg_proc; signatures built from usable types only
    fn_names = [n for n in names["function"]]
    sigs = su.execute("""
        SELECT p.proname, n.nspname, p.proargtypes::oid[] AS args, p.prorettype, p.proretset,
               p.provariadic <> 0 AS variadic, p.prokind
          FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
         WHERE p.proname = ANY (%s) AND n.nspname IN ('pg_catalog', 'coord', 'coord_private')
         ORDER BY p.proname, n.nspname, p.oid""", (fn_names,)).fetchall()
    typname = {t["oid"]: t for t in su.execute(
        "SELECT t.oid, t.typname, n.nspname, t.typtype FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
        "WHERE n.nspname = 'pg_catalog'").fetchall()}
    per_name: dict[str, int] = {}
    seen_sigs = set()
    for s in sigs:
        d.function_names.add(s["proname"])
        if s["variadic"] or s["prokind"] != "f" or s["proretset"]:
            continue
        args = []
        for a in s["args"]:
            t = typname.get(a)
            if t is None or t["typtype"] == PSEUDO_TYPTYPE:
                args = None
                break
            args.append(f'pg_catalog.{sql.Identifier(t["typname"]).as_string(None)}')
        if args is None:
            continue
        rt = typname.get(s["prorettype"])
        ret = (f'pg_catalog.{sql.Identifier(rt["typname"]).as_string(None)}'
               if rt and rt["typtype"] != PSEUDO_TYPTYPE else "pg_catalog.text")
        key = (s["proname"], tuple(args))
        if key in seen_sigs or per_name.get(s["proname"], 0) >= 6:
            continue
        seen_sigs.add(key)
        per_name[s["proname"]] = per_name.get(s["proname"], 0) + 1
        d.function_sigs.append((s["proname"], args, ret))

    # operators: names that exist in pg_operator; signatures over the derived (usable) types
    ops = su.execute("""
        SELECT o.oprname, o.oprleft, o.oprright, o.oprresult,
               quote_ident(pn.nspname) || '.' || quote_ident(p.proname) AS fn
          FROM pg_operator o JOIN pg_proc p ON p.oid = o.oprcode JOIN pg_namespace pn ON pn.oid = p.pronamespace
         WHERE o.oprname = ANY (%s) AND o.oprnamespace = 'pg_catalog'::regnamespace
         ORDER BY o.oprname, o.oid""", (list(names["operator"]),)).fetchall()
    for o in ops:
        d.operator_names.add(o["oprname"])
        if (o["oprleft"] and o["oprleft"] not in usable_oids) or o["oprright"] not in usable_oids:
            continue
        res = typname.get(o["oprresult"])
        if res is None or res["typtype"] == PSEUDO_TYPTYPE:
            continue

        def q(oid: int) -> str:
            return f'pg_catalog.{sql.Identifier(typname[oid]["typname"]).as_string(None)}'
        d.operator_sigs.append((o["oprname"], q(o["oprleft"]) if o["oprleft"] else None, q(o["oprright"]),
                                q(o["oprresult"]), o["fn"]))
    return d


# ---------------------------------------------------------------------------
# the canary: written only by a role other than the attacker (coord_owner)

def install_canary(su: psycopg.Connection) -> None:
    su.execute(sql.SQL("""
        CREATE SCHEMA {canary};
        REVOKE ALL ON SCHEMA {canary} FROM PUBLIC;
        CREATE SEQUENCE {canary}.fired;
        CREATE TABLE {canary}.hits (session_role text, acting_role text, vector text, value text,
                                    at timestamptz DEFAULT clock_timestamp());
        GRANT USAGE ON SCHEMA {canary} TO coord_owner;
        GRANT USAGE ON SEQUENCE {canary}.fired TO coord_owner;
        GRANT INSERT ON {canary}.hits TO coord_owner;
    """).format(canary=sql.Identifier(CANARY)))


def canary_state(su: psycopg.Connection) -> tuple[int, list[dict[str, Any]]]:
    canary = sql.Identifier(CANARY)
    seq = su.execute(sql.SQL("SELECT last_value, is_called FROM {}.fired").format(canary)).fetchone()
    fired = int(seq["last_value"]) if seq["is_called"] else 0
    hits = su.execute(sql.SQL("SELECT session_role, acting_role, vector, value FROM {}.hits ORDER BY at").format(
        canary)).fetchall()
    return fired, hits


def payload_ddl(action: str = ESCALATE, tag_prefix: str = "") -> str:
    """pg_temp.hostile_pwn(tag, value): returns true; when run as a role other than
    the session user it fires (canary, action, WARNING). Recursion-guarded, every name
    qualified, search path pinned (pg_temp explicitly last)."""
    return f"""
CREATE FUNCTION pg_temp.hostile_pwn(p_tag pg_catalog.text, p_value pg_catalog.text)
RETURNS pg_catalog.bool LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $pwn$
BEGIN
    IF current_user::pg_catalog.text OPERATOR(pg_catalog.=) session_user::pg_catalog.text
       OR pg_catalog.current_setting('hostile.busy', true) OPERATOR(pg_catalog.=) 'on' THEN
        RETURN true;
    END IF;
    PERFORM pg_catalog.set_config('hostile.busy', 'on', true);
    BEGIN
        PERFORM pg_catalog.nextval('{CANARY}.fired'::pg_catalog.regclass);
    EXCEPTION WHEN OTHERS THEN NULL;
    END;
    IF pg_catalog.current_setting('hostile.done', true) IS DISTINCT FROM 'on' THEN
        PERFORM pg_catalog.set_config('hostile.done', 'on', true);
        BEGIN
            INSERT INTO {CANARY}.hits (session_role, acting_role, vector, value)
            VALUES (session_user::pg_catalog.text, current_user::pg_catalog.text, '{tag_prefix}' OPERATOR(pg_catalog.||) p_tag,
                    pg_catalog.left(p_value, 200));
        EXCEPTION WHEN OTHERS THEN NULL;
        END;
        BEGIN
            {action}
        EXCEPTION WHEN OTHERS THEN
            RAISE WARNING 'PWNED-ACTION-FAILED %: %', p_tag, SQLERRM;
        END;
        RAISE WARNING 'PWNED % as % via %', session_user, current_user, p_tag;
    END IF;
    PERFORM pg_catalog.set_config('hostile.busy', 'off', true);
    RETURN true;
END
$pwn$;
CREATE FUNCTION pg_temp.hostile_trg() RETURNS trigger LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $trg$
BEGIN
    PERFORM pg_temp.hostile_pwn('trigger:' OPERATOR(pg_catalog.||) TG_TABLE_NAME, TG_OP);
    RETURN NULL;
END
$trg$;
"""


# ---------------------------------------------------------------------------
# an agent's session, with its notices collected

SQLSTATE_REFUSED = {"42501"}   # insufficient_privilege


@dataclass
class Outcome:
    what: str
    sqlstate: str | None = None
    message: str = ""
    rows: list[dict[str, Any]] | None = None
    seconds: float = 0.0

    @property
    def refused(self) -> bool:
        if self.sqlstate in SQLSTATE_REFUSED:
            return True
        return bool(self.rows) and all(r.get("ok") is False for r in self.rows)

    @property
    def error(self) -> bool:
        return self.sqlstate is not None

    def short(self) -> str:
        if self.sqlstate:
            return f"{self.what}: {self.sqlstate} {self.message[:120]}"
        return f"{self.what}: {str(self.rows)[:160]}"


class AgentSession:
    """One real login session of a role (autocommit: one statement, one transaction)."""

    def __init__(self, dsn: str, role: str, statement_timeout: str = "20s", autocommit: bool = True):
        self.role = role
        self.conn = psycopg.connect(dsn, autocommit=autocommit, row_factory=dict_row,
                                    options=f"-c statement_timeout={statement_timeout}")
        self.notices: list[str] = []
        self.pwned: list[str] = []
        self.conn.add_notice_handler(self._notice)

    def _notice(self, diag: psycopg.errors.Diagnostic) -> None:
        msg = diag.message_primary or ""
        if msg.startswith("PWNED"):
            if len(self.pwned) < 200:
                self.pwned.append(msg)
        elif len(self.notices) < 200:
            self.notices.append(msg)

    def run(self, what: str, query: str | sql.Composable, params: Sequence[Any] | None = None) -> Outcome:
        t0 = time.monotonic()
        try:
            cur = self.conn.execute(query, params)
            rows = cur.fetchall() if cur.description else []
            return Outcome(what, rows=rows, seconds=time.monotonic() - t0)
        except psycopg.Error as exc:
            if not self.conn.autocommit and not self.conn.closed:
                try:
                    self.conn.rollback()
                except psycopg.Error:
                    pass
            return Outcome(what, sqlstate=exc.sqlstate or "?????",
                           message=(exc.diag.message_primary or str(exc)).splitlines()[0],
                           seconds=time.monotonic() - t0)

    def close(self) -> None:
        self.conn.close()


# ---------------------------------------------------------------------------
# shadows

@dataclass
class ShadowReport:
    attempted: int = 0
    created: int = 0
    refused: int = 0             # 42501: not allowed to create it (TEMPORARY / CREATE revoked)
    other_errors: int = 0
    errors: list[str] = field(default_factory=list)
    created_names: list[str] = field(default_factory=list)

    def add(self, o: Outcome, name: str) -> None:
        self.attempted += 1
        if o.sqlstate is None:
            self.created += 1
            self.created_names.append(name)
        elif o.sqlstate in SQLSTATE_REFUSED:
            self.refused += 1
        else:
            self.other_errors += 1
            if len(self.errors) < 8:
                self.errors.append(o.short())

    def line(self, label: str) -> str:
        return (f"{label}: attempted={self.attempted} created={self.created} refused={self.refused} "
                f"other_errors={self.other_errors}")


def ident(name: str) -> str:
    return sql.Identifier(name).as_string(None)


def tag(name: str) -> str:
    """name as the contents of a string literal"""
    return name.replace("'", "''")


def install_payload(s: AgentSession, action: str = ESCALATE, tag_prefix: str = "") -> Outcome:
    return s.run("payload", payload_ddl(action, tag_prefix))


def shadow_types(s: AgentSession, d: Derived, schema: str = "pg_temp") -> ShadowReport:
    """A domain per derived type name, whose CHECK runs the payload; plus casts to it."""
    rep = ShadowReport()
    # element names before array names (a domain's array type is created with it)
    for name in sorted(d.types, key=lambda n: (n.startswith("_"), n)):
        base = d.types[name]
        o = s.run(f"domain {name}", f"CREATE DOMAIN {schema}.{ident(name)} AS {base} "
                  f"CHECK (pg_temp.hostile_pwn('type:{tag(name)}', VALUE::pg_catalog.text))")
        if o.sqlstate == "42710" and name.startswith("_"):
            continue   # the implicit array type of a shadow already created
        rep.add(o, f"type {name}")
        if o.sqlstate is None and base != "pg_catalog.text" and name in d.cast_targets:
            fn = f"hostile_cast_{len(rep.created_names)}"
            rep.add(s.run(f"cast fn {name}", f"CREATE FUNCTION pg_temp.{fn}(v {base}) RETURNS {schema}.{ident(name)} "
                          f"LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $c$ BEGIN "
                          f"PERFORM pg_temp.hostile_pwn('cast:{tag(name)}', v::pg_catalog.text); RETURN v; END $c$"),
                    f"cast function {name}")
            rep.add(s.run(f"cast {name}", f"CREATE CAST ({base} AS {schema}.{ident(name)}) "
                          f"WITH FUNCTION pg_temp.{fn}({base}) AS IMPLICIT"), f"cast {name}")
    return rep


def shadow_relations(s: AgentSession, d: Derived, schema: str = "pg_temp") -> ShadowReport:
    """A view per derived relation name (same columns) whose WHERE runs the payload,
    with INSTEAD OF triggers that run it on any write."""
    rep = ShadowReport()
    for name, cols in sorted(d.relations.items()):
        select_list = ", ".join(f"NULL::{typ} AS {ident(col)}" for col, typ in cols)
        kw = "TEMPORARY VIEW" if schema == "pg_temp" else "VIEW"
        target = ident(name) if schema == "pg_temp" else f"{schema}.{ident(name)}"
        o = s.run(f"view {name}", f"CREATE {kw} {target} AS SELECT {select_list} "
                  f"WHERE NOT pg_temp.hostile_pwn('relation:{tag(name)}', NULL)")
        if o.sqlstate in ("42883", "3F000"):
            # no payload function (its creation was refused): is the view itself refused?
            o = s.run(f"view {name}", f"CREATE {kw} {target} AS SELECT {select_list}")
        rep.add(o, f"relation {name}")
        if o.sqlstate is None:
            rep.add(s.run(f"trigger {name}", f"CREATE TRIGGER hostile_iud INSTEAD OF INSERT OR UPDATE OR DELETE "
                          f"ON {schema}.{ident(name)} FOR EACH ROW EXECUTE FUNCTION pg_temp.hostile_trg()"),
                    f"trigger on {name}")
    return rep


def shadow_functions_operators(s: AgentSession, d: Derived, schema: str = "pg_temp") -> ShadowReport:
    rep = ShadowReport()
    for name, args, ret in d.function_sigs:
        arglist = ", ".join(args)
        body = "RETURN NULL;"
        rep.add(s.run(f"function {name}", f"CREATE FUNCTION {schema}.{ident(name)}({arglist}) RETURNS {ret} "
                      f"LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $f$ BEGIN "
                      f"PERFORM pg_temp.hostile_pwn('function:{tag(name)}', NULL); {body} END $f$"),
                f"function {name}({arglist})")
    for i, (op, left, right, res, fn) in enumerate(d.operator_sigs):
        wrapper = f"hostile_op_{i}"
        params = [p for p in (left, right) if p]
        call_args = ", ".join(f"${k + 1}" for k in range(len(params)))
        o = s.run(f"operator fn {op}", f"CREATE FUNCTION pg_temp.{wrapper}({', '.join(params)}) RETURNS {res} "
                  f"LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $o$ BEGIN "
                  f"PERFORM pg_temp.hostile_pwn('operator:{op}', NULL); RETURN {fn}({call_args}); END $o$")
        rep.add(o, f"operator function {op}")
        if o.sqlstate is not None:
            continue
        spec = [f"RIGHTARG = {right}", f"FUNCTION = pg_temp.{wrapper}"]
        if left:
            spec.insert(0, f"LEFTARG = {left}")
        rep.add(s.run(f"operator {op}", f"CREATE OPERATOR {schema}.{op} ({', '.join(spec)})"),
                f"operator {op}({left}, {right})")
    return rep


# ---------------------------------------------------------------------------
# the victim's world and the calls aimed at it

@dataclass
class World:
    db: Any
    victim: str
    attacker: str
    admin_role: str
    auditor_role: str
    victim_path: str
    victim_lock_token: int
    victim_session_id: str
    victim_task_claimed: int
    victim_claim_token: int
    victim_task_done: int
    victim_task_failed: int
    victim_idempotency_key: str
    sessions: list[AgentSession] = field(default_factory=list)

    def session(self, role: str, **kw: Any) -> AgentSession:
        s = AgentSession(self.db.role_dsn(role), role, **kw)
        self.sessions.append(s)
        return s

    @property
    def roles(self) -> list[str]:
        return [self.victim, self.attacker, self.admin_role, self.auditor_role]

    def close(self) -> None:
        for s in self.sessions:
            try:
                s.close()
            except Exception:
                pass


def build_world(db: Any) -> World:
    victim, vc = db.agent("implementer")
    attacker, _ = db.agent("implementer")
    admin_role = db.create_role("coord_admin, coord_auditor", prefix="admin")
    auditor_role = db.create_role("coord_auditor", prefix="auditor")
    session_id = vc.register_session("victim's session")["session_id"]
    path = "victim/owned.py"
    token = vc.acquire_lock(path, 3600, "exclusive", "victim's work")["token"]
    key = "victim-idempotency-key"
    vc.submit_task("victim_job", "victim's claimed task", {"secret": "victim-input"}, idempotency_key=key)
    claimed = vc.claim_task(["victim_job"], 3600)
    vc.submit_task("victim_done", "victim's finished task", {"secret": "victim-input-2"})
    done = vc.claim_task(["victim_done"], 3600)
    vc.complete_task(done["task_id"], done["claim_token"], {"secret": "victim-result"})
    vc.submit_task("victim_fail", "victim's failed task", {"secret": "victim-input-3"}, max_attempts=1)
    failed = vc.claim_task(["victim_fail"], 3600)
    vc.fail_task(failed["task_id"], failed["claim_token"], "victim-error-secret", False)
    return World(db, victim, attacker, admin_role, auditor_role, path, token, str(session_id),
                 claimed["task_id"], claimed["claim_token"], done["task_id"], failed["task_id"], key)


@dataclass
class Call:
    fn: str            # regprocedure text
    name: str
    query: str
    params: list[Any]
    label: str


def _arg_values(w: World, fn: str, arg: str, typ: str) -> list[Any]:
    """Hostile values for one argument, by name and type (first: aimed at the victim)."""
    a = arg.lower()
    now = "now"
    if typ in ("text", "varchar", "name"):
        table = {
            "p_path": [w.victim_path, "**"], "p_role": [w.victim, w.attacker], "p_profile": ["administrator"],
            "p_status": ["suspended", "active"], "p_reason": ["hostile agent"], "p_label": ["hostile"],
            "p_type": ["victim_job"], "p_description": ["hostile"], "p_idempotency_key": [w.victim_idempotency_key],
            "p_error": ["hostile"], "p_text": ["rm -rf /"], "p_target": ["example.com"],
            "p_name": ["administrator", "implementer"], "p_engine": ["cedar", "native"],
            "p_policy_text": ["permit(principal, action, resource);"], "p_category": ["hostile"],
            "p_regex": [".*"], "p_severity": ["warn"], "p_applies_to": ["both"], "p_pattern": ["*.example.com"],
            "p_action": ["allow"], "p_mode": ["off", "exclusive"] if "enforcement" in fn else ["exclusive", "shared"],
        }
        return table.get(a, ["hostile"])
    if typ == "int8":
        return {"p_task_id": [w.victim_task_claimed, w.victim_task_done], "p_claim_token": [w.victim_claim_token],
                "p_token": [w.victim_lock_token], "p_rule_id": [1]}.get(a, [1])
    if typ == "int4":
        return {"p_priority": [1000], "p_limit": [10], "p_max_attempts": [1], "p_trust_level": [4],
                "p_exempt_trust": [0]}.get(a, [1000])
    if typ == "interval":
        return ["1 hour"]
    if typ in ("jsonb", "json"):
        return ['{"hostile": true, "files_modified": []}']
    if typ == "_text":
        return {"p_types": ["{victim_job,victim_done}"], "p_paths": [f"{{{w.victim_path}}}"]}.get(a, ["{hostile}"])
    if typ == "_int8":
        return [f"{{{w.victim_task_claimed}}}"]
    if typ == "uuid":
        return [w.victim_session_id]
    if typ == "bool":
        return ["true"]
    if typ == "timestamptz":
        return [now]
    return [None]


def plan_calls(su: psycopg.Connection, w: World, role: str, executable: bool | None = True) -> list[Call]:
    """Every coord function role may EXECUTE (executable=True) or may not (False), or all
    (None), with hostile argument tuples: the victim-aimed one, the alternates, all NULL."""
    fns = su.execute("""
        SELECT p.oid::regprocedure::text AS sig, p.proname, coalesce(p.proargnames, '{}') AS argnames,
               p.proargtypes::oid[] AS argtypes, p.pronargs,
               (SELECT array_agg(t.typname ORDER BY k.i) FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY k(oid, i)
                  JOIN pg_type t ON t.oid = k.oid) AS typnames,
               (SELECT array_agg(quote_ident(n.nspname) || '.' || quote_ident(t.typname) ORDER BY k.i)
                  FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY k(oid, i)
                  JOIN pg_type t ON t.oid = k.oid JOIN pg_namespace n ON n.oid = t.typnamespace) AS qtypes,
               has_function_privilege(%s, p.oid, 'EXECUTE') AS can
          FROM pg_proc p
         WHERE p.pronamespace = 'coord'::regnamespace
         ORDER BY 1""", (role,)).fetchall()
    calls: list[Call] = []
    for f in fns:
        if executable is not None and f["can"] != executable:
            continue
        n = f["pronargs"]
        argnames = list(f["argnames"])[:n]
        typnames = list(f["typnames"] or [])
        qtypes = list(f["qtypes"] or [])
        placeholders = ", ".join(f"%s::pg_catalog.text::{q}" for q in qtypes)
        query = f"SELECT * FROM coord.{ident(f['proname'])}({placeholders})"
        options = [_arg_values(w, f["sig"], argnames[i] if i < len(argnames) else "", typnames[i]) for i in range(n)]
        tuples = [[o[0] for o in options]]
        width = max((len(o) for o in options), default=1)
        for k in range(1, width):
            tuples.append([o[k] if k < len(o) else o[0] for o in options])
        if n:
            tuples.append([None] * n)
        for k, t in enumerate(tuples):
            calls.append(Call(f["sig"], f["proname"], query, t, f"{f['sig']} #{k}"))
    return calls


@dataclass
class Tally:
    attempts: int = 0
    refused: int = 0
    errors: int = 0
    allowed: int = 0
    changed: int = 0
    lines: list[str] = field(default_factory=list)

    def add(self, o: Outcome) -> None:
        self.attempts += 1
        if o.refused:
            self.refused += 1
        elif o.error:
            self.errors += 1
        else:
            self.allowed += 1

    def merge(self, other: "Tally") -> None:
        self.attempts += other.attempts
        self.refused += other.refused
        self.errors += other.errors
        self.allowed += other.allowed
        self.changed += other.changed

    def summary(self, label: str) -> str:
        return (f"HOSTILE {label}: attempts={self.attempts} refused={self.refused} errors={self.errors} "
                f"allowed={self.allowed} changed-anything={self.changed}")


def sweep(s: AgentSession, calls: Iterable[Call], tally: Tally | None = None) -> list[Outcome]:
    out = []
    for c in calls:
        o = s.run(c.label, c.query, c.params)
        out.append(o)
        if tally is not None:
            tally.add(o)
    return out


# ---------------------------------------------------------------------------
# the superuser's before/after picture

OWN_FILTERS = {
    # table: SQL predicate over alias t selecting the rows NOT owned by the roles in %(own)s
    "locks": "t.holder <> ALL (%(own)s)",
    "sessions": "t.agent <> ALL (%(own)s)",
    "agent_liveness": "t.role_name <> ALL (%(own)s)",
    "lost_grants": "t.agent <> ALL (%(own)s)",
    "tasks": "t.submitter <> ALL (%(own)s)",
    "task_deps": "NOT EXISTS (SELECT 1 FROM coord_private.tasks x WHERE x.task_id = t.task_id AND x.submitter = ANY (%(own)s))",
    "task_touches": "NOT EXISTS (SELECT 1 FROM coord_private.tasks x WHERE x.task_id = t.task_id "
                    "AND x.submitter = ANY (%(own)s))",
    "claim_leases": "NOT EXISTS (SELECT 1 FROM coord_private.locks l WHERE l.lock_id = t.lock_id AND l.holder = ANY (%(own)s))",
    "handoffs": "t.agent <> ALL (%(own)s)",
    "memories": "t.agent <> ALL (%(own)s)",
    "working_memory": "t.agent <> ALL (%(own)s)",
    "skill_outcomes": "t.agent <> ALL (%(own)s)",
    "network_decisions": "t.agent <> ALL (%(own)s)",
    "approvals": "t.requester <> ALL (%(own)s)",
    "guardrail_hits": "NOT EXISTS (SELECT 1 FROM coord_private.audit_events e WHERE e.event_id = t.event_id AND e.actor = ANY (%(own)s))",
    "audit_chain_heads": "NOT EXISTS (SELECT 1 FROM coord_private.audit_events e WHERE e.chain_id = t.chain_id AND e.actor = ANY (%(own)s))",
}
CATALOG_QUERIES = {
    "functions": """SELECT p.oid::regprocedure::text, md5(p.prosrc), p.prosecdef, p.proconfig::text, p.proacl::text,
                           p.proowner::regrole::text, p.provolatile
                      FROM pg_proc p WHERE p.pronamespace IN ('coord'::regnamespace, 'coord_private'::regnamespace)""",
    "relations": """SELECT c.oid::regclass::text, c.relkind, c.relacl::text, c.relowner::regrole::text, c.relrowsecurity,
                           c.relforcerowsecurity, c.relhastriggers
                      FROM pg_class c WHERE c.relnamespace IN ('coord'::regnamespace, 'coord_private'::regnamespace)""",
    "triggers": """SELECT t.tgrelid::regclass::text, t.tgname, t.tgenabled, t.tgfoid::regprocedure::text
                     FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
                    WHERE c.relnamespace IN ('coord'::regnamespace, 'coord_private'::regnamespace)""",
    "policies": """SELECT p.polrelid::regclass::text, p.polname, p.polcmd, p.polroles::text,
                          pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid)
                     FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid
                    WHERE c.relnamespace IN ('coord'::regnamespace, 'coord_private'::regnamespace)""",
    # pg_namespace without the sessions' temporary schemas; the cluster-wide catalogs
    # (roles, memberships, settings) only for the pgcoord group roles and this world's
    # roles (other suites share the cluster); the attacker's own per-role defaults are
    # its to set (their effect is what the tests check)
    "schemas": """SELECT n.nspname, n.nspowner::regrole::text, n.nspacl::text FROM pg_namespace n
                   WHERE n.nspname !~ '^pg_(toast_)?temp_'""",
    "memberships": """SELECT m.roleid::regrole::text, m.member::regrole::text, m.admin_option FROM pg_auth_members m
                       WHERE m.member::regrole::text = ANY (%(world)s) OR m.roleid = 'coord_owner'::regrole""",
    "roles": """SELECT r.rolname, r.rolsuper, r.rolcreaterole, r.rolcreatedb, r.rolcanlogin, r.rolbypassrls
                  FROM pg_roles r WHERE r.rolname = ANY (%(world)s)""",
    "role_settings": """SELECT s.setdatabase, s.setrole::regrole::text, s.setconfig::text FROM pg_db_role_setting s
                         WHERE (s.setrole = 0 AND s.setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database()))
                            OR (s.setrole::regrole::text = ANY (%(world)s) AND s.setrole::regrole::text <> ALL (%(own)s))""",
    "database": "SELECT d.datname, d.datacl::text FROM pg_database d WHERE d.datname = current_database()",
    "types": """SELECT t.oid::regtype::text, t.typowner::regrole::text, t.typacl::text FROM pg_type t
                 WHERE t.typnamespace IN ('coord'::regnamespace, 'coord_private'::regnamespace)""",
}


@dataclass
class Snapshot:
    tables: dict[str, set[str]]
    audit_rows: set[str]
    audit_max: int
    catalog: dict[str, set[str]]
    canary_fired: int
    canary_hits: list[dict[str, Any]]

    @classmethod
    def take(cls, su: psycopg.Connection, own: Sequence[str], world: Sequence[str] = ()) -> "Snapshot":
        rels = [r["relname"] for r in su.execute(
            "SELECT c.relname FROM pg_class c WHERE c.relnamespace = 'coord_private'::regnamespace "
            "AND c.relkind IN ('r', 'p') ORDER BY 1").fetchall()]
        tables = {}
        for rel in rels:
            if rel == "audit_events":
                continue
            where = OWN_FILTERS.get(rel, "true") % {"own": "%(own)s"}
            rows = su.execute(sql.SQL("SELECT t::text AS r FROM coord_private.{} t WHERE {}").format(
                sql.Identifier(rel), sql.SQL(where)), {"own": list(own)}).fetchall()
            tables[rel] = {r["r"] for r in rows}
        audit = su.execute("SELECT t.event_id, t::text AS r FROM coord_private.audit_events t").fetchall()
        scope = {"world": ["coord_owner", "coord_agent", "coord_admin", "coord_auditor", *world], "own": list(own)}
        catalog = {k: {str(tuple(r.values())) for r in su.execute(q, scope).fetchall()} for k, q in CATALOG_QUERIES.items()}
        fired, hits = canary_state(su)
        return cls(tables, {r["r"] for r in audit}, max((r["event_id"] for r in audit), default=0), catalog,
                   fired, hits)

    def diff(self, su: psycopg.Connection, own: Sequence[str], world: Sequence[str] = ()) -> list[str]:
        """What changed that the roles in own could not legitimately have changed."""
        after = Snapshot.take(su, own, world)
        problems: list[str] = []
        for rel, before_rows in self.tables.items():
            now = after.tables.get(rel, set())
            gone, new = before_rows - now, now - before_rows
            if gone or new:
                problems.append(f"coord_private.{rel}: {len(gone)} pre-existing row(s) changed or removed, "
                                f"{len(new)} new row(s) (the attacker's own legitimate rows excluded); e.g. "
                                f"{(sorted(gone) + sorted(new))[0][:240]}")
        for rel in set(after.tables) - set(self.tables):
            problems.append(f"coord_private.{rel}: a table appeared during the attack")
        gone = self.audit_rows - after.audit_rows
        if gone:
            problems.append(f"coord_private.audit_events: {len(gone)} pre-existing event(s) changed or removed, e.g. "
                            f"{sorted(gone)[0][:200]}")
        foreign = su.execute("SELECT event_id, actor, operation FROM coord_private.audit_events "
                             "WHERE event_id > %s AND actor <> ALL (%s) ORDER BY event_id LIMIT 3",
                             (self.audit_max, list(own))).fetchall()
        if foreign:
            problems.append(f"coord_private.audit_events: new event(s) by others: {foreign}")
        for k, before_rows in self.catalog.items():
            now = after.catalog.get(k, set())
            if before_rows != now:
                ch = sorted(before_rows ^ now)
                problems.append(f"catalog {k}: {len(ch)} difference(s), e.g. {ch[0][:240]}")
        if after.canary_fired != self.canary_fired:
            problems.append(f"CANARY: the payload ran as another role {after.canary_fired - self.canary_fired} "
                            f"time(s) (hits: {after.canary_hits[:3]})")
        elif after.canary_hits != self.canary_hits:
            problems.append(f"CANARY rows: {after.canary_hits[:3]}")
        return problems


def verify_audit(db: Any, w: World) -> dict[str, Any]:
    with psycopg.connect(db.role_dsn(w.auditor_role), autocommit=True, row_factory=dict_row) as c:
        return c.execute("SELECT * FROM coord.verify_audit()").fetchone()


# ---------------------------------------------------------------------------
# concurrency helper: one call in its own session and thread, bounded by statement_timeout

class TimedCall(threading.Thread):
    def __init__(self, dsn: str, role: str, query: str, params: Sequence[Any] = (), timeout: str = "10s"):
        super().__init__(daemon=True)
        self.dsn, self.role, self.query, self.params, self.timeout = dsn, role, query, params, timeout
        self.outcome: Outcome | None = None

    def run(self) -> None:
        s = AgentSession(self.dsn, self.role, statement_timeout=self.timeout)
        try:
            self.outcome = s.run(self.query, self.query, self.params)
        finally:
            s.close()
