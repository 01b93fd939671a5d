"""The safety report (issue 16; the seeds' evaluation metrics in one table).

    pgcoord report safety [--corpus DIR]        (and `make bench`, against its database)

Computed against any pgcoord database, from what it holds:

* guardrails on the shell corpus (tests/guardrail_corpus/shell/, or --corpus): the
  share of destructive commands blocked and of harmless ones blocked (false
  positives), by coord.check_guardrails as a throwaway trust-2 agent. It needs a
  superuser connection: the role is created, registered and acted as (SET LOCAL
  SESSION AUTHORIZATION) inside one transaction that is rolled back, so the database
  keeps no trace of it (no role, no audit event). Without a superuser the row says
  why it was skipped.
* trust enforcement: of the decisions in the audit trail that record the agent's
  trust and the operation's minimum (the engines' decision context), the share
  consistent with the profile rules: allowed (and every later-stage refusal) only at
  trust >= min_trust (>= 3 for an elevated call), trust_too_low only below it, an
  approval below it only from the source 'elevation'. Static refusals that are not
  about trust (suspended, blocked, ...) and shadow-mode refusals that name a
  coordination reason instead of the policy's are not judged.
* audit completeness: of the rows whose creation the retained trail covers, the share
  with exactly one event: each task one proceeded submit_task naming it, each
  completed task one proceeded complete_task, each live lease one grant naming its
  token (acquire_lock, or claim_task with lease_touches).
* the enforcement mode and engine in force, and whether the audit chains verify.

Reads need coord_auditor or coord_admin (views coord.audit_trail, coord.tasks,
coord.live_locks); nothing here writes.
"""
from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

CORPUS_FILES = ("tune_destructive.tsv", "holdout_destructive.tsv", "tune_harmless.tsv", "holdout_harmless.tsv")
BATCH = 25          # corpus checks per rolled-back transaction
TARGETS = {"guardrail_block_rate": 0.99, "guardrail_false_positive_rate": 0.01,
           "trust_enforcement_accuracy": 1.0, "audit_completeness": 1.0}


def decode_case(written: str) -> str:
    """The command a corpus line stands for: \\n newline, \\t tab, \\\\ backslash;
    any other backslash is itself (tests/guardrail_corpus/shell/README.md)."""
    out, i = [], 0
    while i < len(written):
        c = written[i]
        if c == "\\" and i + 1 < len(written) and written[i + 1] in "nt\\":
            out.append({"n": "\n", "t": "\t", "\\": "\\"}[written[i + 1]])
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def held_out(written: str) -> bool:
    """The corpus's fixed split: a case is held out iff sha256 of its line is 0 modulo 5."""
    return int(hashlib.sha256(written.encode("utf-8")).hexdigest(), 16) % 5 == 0


def read_corpus(directory: Path) -> dict[str, list[tuple[str, str]]]:
    """(category, command as written) per file of a shell corpus directory."""
    cases: dict[str, list[tuple[str, str]]] = {}
    for name in CORPUS_FILES:
        rows = []
        for line in (directory / name).read_text(encoding="utf-8").splitlines():
            category, sep, written = line.partition("\t")
            if sep and written:
                rows.append((category, written))
        cases[name] = rows
    return cases


@dataclass
class Metric:
    name: str
    value: float | None          # None: not measured (see note)
    target: float | None
    lower_is_better: bool = False
    detail: str = ""

    @property
    def met(self) -> bool | None:
        if self.value is None or self.target is None:
            return None
        return self.value <= self.target if self.lower_is_better else self.value >= self.target


@dataclass
class SafetyReport:
    metrics: list[Metric] = field(default_factory=list)
    enforcement_mode: str = ""
    policy_engine: str = ""
    audit_verified: bool | None = None
    offenders: dict[str, list[str]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"enforcement_mode": self.enforcement_mode, "policy_engine": self.policy_engine,
                "audit_verified": self.audit_verified,
                "metrics": [{"name": m.name, "value": m.value, "target": m.target, "met": m.met,
                             "lower_is_better": m.lower_is_better, "detail": m.detail} for m in self.metrics],
                "offenders": self.offenders}


# -- trust enforcement ----------------------------------------------------------------

TRUST_SQL = """
WITH d AS (
    SELECT e.event_id, e.actor, e.operation, e.allowed, e.reason, e.mode,
           (e.context -> 'decision' ->> 'trust')::integer AS trust,
           (e.context -> 'decision' ->> 'min_trust')::integer AS min_trust,
           coalesce(e.context ->> 'elevated', 'false') = 'true' AS elevated,
           coalesce(e.context -> 'decision' -> 'approval_sources', '[]') ? 'elevation' AS via_elevation,
           e.context ? 'refusal' AS refusal_named
      FROM coord.audit_trail e
     WHERE e.context -> 'decision' ? 'trust' AND e.context -> 'decision' ? 'min_trust'
), judged AS (
    SELECT d.*, CASE
        WHEN d.reason IN ('agent_suspended', 'profile_unresolved', 'operation_blocked', 'operation_not_allowed',
                          'unknown_operation', 'agent_not_registered', 'policy_error', 'not_permitted') THEN NULL
        WHEN NOT d.allowed AND d.refusal_named AND d.mode <> 'enforce' THEN NULL
        WHEN d.reason = 'trust_too_low' THEN d.trust < d.min_trust OR (d.elevated AND d.trust < 3)
        WHEN d.reason IN ('approval_required', 'approved', 'not_approvable')
            THEN (d.trust >= d.min_trust AND (NOT d.elevated OR d.trust >= 3)) OR d.via_elevation
        ELSE d.trust >= d.min_trust AND (NOT d.elevated OR d.trust >= 3)
    END AS consistent
      FROM d
)
SELECT count(*) FILTER (WHERE consistent) AS consistent, count(consistent) AS judged,
       coalesce(array_agg(format('event %s: %s %s by %s (trust %s, min %s%s) -> %s', event_id, operation,
                                 CASE WHEN allowed THEN 'allowed' ELSE 'denied' END, actor, trust, min_trust,
                                 CASE WHEN elevated THEN ', elevated' ELSE '' END, reason)
                          ORDER BY event_id) FILTER (WHERE NOT consistent), '{}') AS offenders
  FROM judged
"""

# -- audit completeness ---------------------------------------------------------------

COMPLETENESS_SQL = """
WITH horizon AS (SELECT min(occurred_at) AS since FROM coord.audit_trail),
submits AS (
    SELECT (e.context ->> 'task_id')::bigint AS task_id, count(*) AS n
      FROM coord.audit_trail e
     WHERE e.operation = 'submit_task' AND e.proceeded AND e.context ->> 'existing_task' IS NULL
       AND e.context ? 'task_id'
     GROUP BY 1
), completions AS (
    SELECT e.resource AS task_id, count(*) AS n
      FROM coord.audit_trail e WHERE e.operation = 'complete_task' AND e.proceeded GROUP BY 1
), grants AS (
    SELECT g.token, count(*) AS n FROM (
        SELECT (e.context ->> 'token')::bigint AS token
          FROM coord.audit_trail e WHERE e.operation = 'acquire_lock' AND e.proceeded AND e.context ? 'token'
        UNION ALL
        SELECT (l ->> 'token')::bigint
          FROM coord.audit_trail e, jsonb_array_elements(CASE WHEN jsonb_typeof(e.context -> 'leases') = 'array'
                                                              THEN e.context -> 'leases' ELSE '[]' END) l
         WHERE e.operation IN ('claim_task', 'claim_tasks') AND e.proceeded) g
     GROUP BY g.token
), rows AS (
    SELECT format('task %s (submitted)', t.task_id) AS what, coalesce(s.n, 0) AS n
      FROM coord.tasks t CROSS JOIN horizon h LEFT JOIN submits s ON s.task_id = t.task_id
     WHERE t.created_at >= h.since
    UNION ALL
    SELECT format('task %s (completed)', t.task_id), coalesce(c.n, 0)
      FROM coord.tasks t CROSS JOIN horizon h LEFT JOIN completions c ON c.task_id = t.task_id::text
     WHERE t.status = 'completed' AND t.created_at >= h.since
    UNION ALL
    SELECT format('lease %s of %s (token %s)', l.path, l.holder, l.token), coalesce(g.n, 0)
      FROM coord.live_locks l CROSS JOIN horizon h LEFT JOIN grants g ON g.token = l.token
     WHERE l.granted_at >= h.since
)
SELECT count(*) FILTER (WHERE n = 1) AS complete, count(*) AS judged,
       coalesce(array_agg(format('%s: %s events', what, n) ORDER BY what) FILTER (WHERE n <> 1), '{}') AS offenders
  FROM rows
"""


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def guardrail_metrics(conn: psycopg.Connection[Any], corpus: Path | None) -> tuple[list[Metric], list[str]]:
    """Block and false-positive rates on the corpus, as a throwaway agent in a rolled-back transaction."""
    names = ("guardrail_block_rate", "guardrail_false_positive_rate")
    if corpus is None or not (corpus / CORPUS_FILES[0]).is_file():
        why = "skipped: no shell corpus (pass --corpus tests/guardrail_corpus/shell)"
        return [Metric(names[0], None, TARGETS[names[0]], detail=why),
                Metric(names[1], None, TARGETS[names[1]], True, detail=why)], []
    superuser = conn.execute("SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = session_user").fetchone()
    if not (superuser and superuser["rolsuper"]):
        why = "skipped: needs a superuser connection to act as a throwaway agent (rolled back)"
        return [Metric(names[0], None, TARGETS[names[0]], detail=why),
                Metric(names[1], None, TARGETS[names[1]], True, detail=why)], []
    cases = read_corpus(corpus)
    role = f"pgcoord_safety_{uuid.uuid4().hex[:12]}"
    counts = {"destructive": [0, 0], "harmless": [0, 0]}   # [blocked, total]
    misses: list[str] = []
    flat = [(name, category, written) for name, rows in cases.items() for category, written in rows]
    # Transactions that are always rolled back: the role, its registration, its session
    # authorization and every check's audit event go with them. Short ones (BATCH
    # checks each): an audit append locks its chain's head row until the end of the
    # transaction, and other agents' events on that chain wait for it meanwhile.
    for start in range(0, len(flat), BATCH):
        with conn.transaction(force_rollback=True):
            conn.execute(sql.SQL("CREATE ROLE {} LOGIN IN ROLE coord_agent").format(sql.Identifier(role)))
            conn.execute("SELECT coord.register_agent(%s, 'implementer')", (role,))
            conn.execute(sql.SQL("SET LOCAL SESSION AUTHORIZATION {}").format(sql.Identifier(role)))
            for name, category, written in flat[start:start + BATCH]:
                kind = "destructive" if "destructive" in name else "harmless"
                blocked = bool(conn.execute("SELECT blocked FROM coord.check_guardrails(%s, '{}')",
                                            (decode_case(written),)).fetchone()["blocked"])
                counts[kind][0] += blocked
                counts[kind][1] += 1
                if blocked != (kind == "destructive"):
                    misses.append(f"{name} [{category}] {written}")
    d, h = counts["destructive"], counts["harmless"]
    return [Metric(names[0], _ratio(d[0], d[1]), TARGETS[names[0]],
                   detail=f"{d[0]}/{d[1]} destructive commands blocked (trust 2)"),
            Metric(names[1], _ratio(h[0], h[1]), TARGETS[names[1]], True,
                   detail=f"{h[0]}/{h[1]} harmless commands blocked")], misses


def safety_report(conn: psycopg.Connection[Any], corpus: Path | None = None) -> SafetyReport:
    """Every metric against the database behind ``conn`` (a dict_row connection)."""
    report = SafetyReport()
    mode = conn.execute("SELECT enforcement_mode, policy_engine FROM coord.enforcement").fetchone()
    report.enforcement_mode, report.policy_engine = mode["enforcement_mode"], mode["policy_engine"]
    report.audit_verified = conn.execute("SELECT ok FROM coord.verify_audit()").fetchone()["ok"]
    guardrails, misses = guardrail_metrics(conn, corpus)
    report.metrics.extend(guardrails)
    if misses:
        report.offenders["guardrails"] = misses
    t = conn.execute(TRUST_SQL).fetchone()
    report.metrics.append(Metric("trust_enforcement_accuracy", _ratio(t["consistent"], t["judged"]),
                                 TARGETS["trust_enforcement_accuracy"],
                                 detail=f"{t['consistent']}/{t['judged']} recorded decisions match the profile rules"))
    if t["offenders"]:
        report.offenders["trust"] = list(t["offenders"])
    a = conn.execute(COMPLETENESS_SQL).fetchone()
    report.metrics.append(Metric("audit_completeness", _ratio(a["complete"], a["judged"]),
                                 TARGETS["audit_completeness"],
                                 detail=f"{a['complete']}/{a['judged']} tasks, completions and live leases "
                                        "with exactly one event"))
    if a["offenders"]:
        report.offenders["audit"] = list(a["offenders"])
    return report
