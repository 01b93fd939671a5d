"""Lease races over an adversarial path space, judged by an independent oracle
(INV-LOCK-EXCL, INV-LOCK-FENCE, INV-LOCK-EXPIRY; issue 12).

Agents (each its own LOGIN role and connection, one thread each, released together
by a barrier) acquire, renew, release and abandon leases with 1-3 s TTLs for a few
seconds, on paths drawn from a small, hostile path space: code-point extremes that
normalisation accepts (U+10FFFD, U+FFFD, U+E000, U+1D400, CJK), combining sequences
given in NFD that must be one path with their NFC spelling, dotted names, character
classes, '?', '*', '**', deep globs, directories and files, all from one small
alphabet so that overlaps are frequent.

Nothing recorded by the clients is taken as truth. Afterwards the audit trail alone
rebuilds every grant's validity window by the database clock (context.at of the
grant; its end is the earliest of its recorded expiry, extended by renewals'
context.expires_at, its release's at, or a later grant of the same path to the same
holder). Every pair of grants by different holders whose windows intersect, one of
them exclusive, is given to tests/path_oracle.py, which knows nothing of
coord_private.paths_overlap: if it builds a concrete file both paths cover, that is a
double grant. For every pair with such a witness the later grant's token must be the
larger (INV-LOCK-FENCE), and paths_overlap must say true (else paths_overlap misses a
real overlap). A last test seeds a defect into paths_overlap (in its own database)
and checks that the race catches it.

The seed is printed; PGCOORD_ORACLE_SEED=<n> replays a run's path space and choices
(the interleaving is the scheduler's).
"""
from __future__ import annotations

import os
import random
import threading
import time
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import psycopg
import pytest

from . import invariants as inv
from . import path_oracle as oracle
from .helpers import run_parallel

pytestmark = pytest.mark.race

SEED = int(os.environ.get("PGCOORD_ORACLE_SEED", "20261207"))
N_AGENTS = 12
RUN_SECONDS = 5.0
MAX_HELD = 4                      # per agent, well below the implementer's limit of 20
N_GENERATED = 48                  # paths drawn on top of the fixed ones

NFD_E = "e\u0301"                 # NFC: U+00E9
LIT_SEGS = ["a", "b", "x.py", "ax.py", ".hidden", "a.b.c", NFD_E, "\u00e9", NFD_E + ".py", "\u00e9.py",
            "\U0010FFFD", "\uFFFD", "\uE000", "\U0001D400", "\U0001D400.py", "\u6f22\u5b57", "\u6f22.py",
            "q\u0301.py"]
GLOB_SEGS = ["*", "?", "*.py", "[ab]x.py", "[!a]*.py", "?x.py", "a*", "*.c", "[a-c]*", "\U0001D400*", "*\uFFFD",
             "[" + NFD_E + "x]*.py", "[\U0001D400-\U0001D402]*", "??", ".*", "*.b.*", "?\u0301.py",
             "[\uE000\U0010FFFD]*"]
FIXED = [
    "**", "*", "a", "a/", "a/**", "a/**/b/**/*.py", "**/*.py", "**/.hidden", ".hidden", "a.b.c", "[ab]x.py",
    "[!a]*.py", "?", NFD_E, "\u00e9", NFD_E + "/", "\u00e9/x.py", NFD_E + "/x.py", "\U0010FFFD", "\U0010FFFD/",
    "\U0010FFFD/*", "\uFFFD", "\uE000/a.py", "\U0001D400/**", "\u6f22\u5b57/", "\u6f22\u5b57/*.py", "a/**/**/x.py",
    "*/x.py", "?/*.c", "a/b/x.py", "a/[ab]x.py", "b/**", "**/b/*.py", "*/**/a.b.c",
]


def path_space(seed: int) -> list[str]:
    """The raw spellings agents use (some in NFD): FIXED plus N_GENERATED drawn paths."""
    rng = random.Random(seed)
    out = list(FIXED)
    while len(out) < len(FIXED) + N_GENERATED:
        depth = rng.choice([1, 1, 2, 2, 2, 3])
        k = rng.random()
        if k < 0.35:                                   # a file
            p = "/".join(rng.choice(LIT_SEGS) for _ in range(depth))
        elif k < 0.55:                                 # a directory
            p = "/".join(rng.choice(LIT_SEGS) for _ in range(depth)) + "/"
        else:                                          # a glob
            segs = [rng.choice(LIT_SEGS) if r < 0.45 else rng.choice(GLOB_SEGS) if r < 0.85 else "**"
                    for r in (rng.random() for _ in range(depth))]
            if not any(s == "**" or any(c in s for c in "*?[") for s in segs):
                segs[rng.randrange(depth)] = rng.choice(GLOB_SEGS)
            p = "/".join(segs)
        if p not in out:
            out.append(p)
    return out


def normalise_space(su, raw: list[str]) -> tuple[dict[str, str], dict[str, str]]:
    """raw spelling -> pgcoord's spelling, for those it accepts; and the refused ones with the error."""
    spelling, refused = {}, {}
    for p in raw:
        try:
            spelling[p] = su.execute("SELECT coord_private.normalize_path(%s) AS n", (p,)).fetchone()["n"]
        except psycopg.Error as exc:
            refused[p] = str(exc).splitlines()[0]
    return spelling, refused


# -- the trail ----------------------------------------------------------------------------

@dataclass
class Grant:
    event_id: int
    holder: str
    path: str
    mode: str
    token: int
    start: datetime
    expires: datetime
    end: datetime | None = None
    how: str = ""
    renewals: list[int] = field(default_factory=list)

    def show(self) -> str:
        return (f"event {self.event_id} {self.holder} {self.mode} {self.path!r} token {self.token} "
                f"window [{self.start.isoformat()}, {self.end.isoformat() if self.end else '?'}) ended by {self.how}"
                + (f", renewed by events {self.renewals}" if self.renewals else ""))


def _t(ctx: dict[str, Any], key: str) -> datetime:
    return datetime.fromisoformat(ctx[key])


def rebuild_grants(events: list[dict[str, Any]]) -> tuple[list[Grant], list[str]]:
    """Every grant's window by the database clock, from the proceeded lease events alone:
    [context.at of the grant, the earliest of its expiry (context.expires_at of the
    grant or of its latest renewal), its release's at, or the at of a later grant of the
    same path to the same holder, which replaces it)."""
    grants: list[Grant] = []
    current: dict[tuple[str, str], Grant] = {}
    problems: list[str] = []

    def close(g: Grant, at: datetime, how: str) -> None:
        if at < g.expires:
            g.end, g.how = at, how
        else:
            g.end, g.how = g.expires, "expiry"

    for ev in events:
        if not ev["proceeded"]:
            continue
        ctx, op, key = ev["context"], ev["operation"], (ev["actor"], ev["resource"])
        at = _t(ctx, "at")
        if op == "acquire_lock":
            if key in current:
                close(current.pop(key), at, f"re-grant event {ev['event_id']}")
            g = Grant(ev["event_id"], ev["actor"], ev["resource"], ctx["mode"], int(ctx["token"]), at,
                      _t(ctx, "expires_at"))
            grants.append(g)
            current[key] = g
        elif op in ("renew_lock", "release_lock"):
            g = current.get(key)
            if g is None or at >= g.expires or int(ctx["token"]) != g.token:
                problems.append(f"event {ev['event_id']} {op} by {ev['actor']} of {ev['resource']!r} at {at} "
                                f"(token {ctx.get('token')}) proceeded without a live grant in the trail: "
                                f"{g.show() if g else 'none'}")
                continue
            if op == "renew_lock":
                g.expires = _t(ctx, "expires_at")
                g.renewals.append(ev["event_id"])
            else:
                close(current.pop(key), at, f"release event {ev['event_id']}")
        elif op == "force_release_lock":
            for k in [k for k in current if k[1] == ev["resource"]]:
                close(current.pop(k), at, f"force release event {ev['event_id']}")
    for g in current.values():
        g.end, g.how = g.expires, "expiry"
    return grants, problems


# -- the oracle alone ------------------------------------------------------------------------

@pytest.mark.parametrize("a, b, covered", [
    ("src/**/*.py", "src/a/b.py", "src/a/b.py"),
    ("src/", "src/**/*.py", None),
    ("a/", "a/**/b", None),
    ("**", "\U0010FFFD", "\U0010FFFD"),
    ("[ab]x.py", "?x.*", "ax.py"),
    ("[!a]*.py", "*.py", None),
    ("a/**/b/**/*.py", "**/b/*.py", None),
    ("\U0001D400*", "*\uFFFD", "\U0001D400\uFFFD"),
    ("[\U0001D400-\U0001D402]*", "\U0001D401.py", "\U0001D401.py"),
    ("*x*", "*y*", None),
    ("**/.hidden", "a/**", "a/.hidden"),
    ("\u00e9/", "\u00e9/x.py", "\u00e9/x.py"),
])
def test_path_oracle_finds_known_overlaps(a, b, covered):
    w = oracle.witness(a, b)
    assert w is not None, f"no witness for {a!r} and {b!r}"
    assert oracle.covers(a, w) and oracle.covers(b, w)
    if covered is not None:
        assert w == covered


@pytest.mark.parametrize("a, b", [
    ("*.py", "*.js"), ("a/", "b/"), ("a/**", "a"), ("[!a]*.py", "a*.py"), ("?", "ab"), ("a/*", "a/b/c"),
    ("*/x.py", "x.py"), ("\u00e9", "e"), ("[ab]x.py", "cx.py"), ("a/b/", "a/c/**"),
    ("?\u0301.py", "\u00e9.py"),           # NFC: U+00E9 is one character, no combining mark left
])
def test_path_oracle_rejects_known_disjoint_pairs(a, b):
    assert oracle.witness(a, b) is None


def test_path_oracle_semantics():
    assert oracle.covers("a/", "a/b/c") and not oracle.covers("a/", "a")
    assert oracle.covers("a/**/b", "a/b") and oracle.covers("a/**/b", "a/x/y/b") and not oracle.covers("a/**", "a")
    assert oracle.covers("[]a]x", "]x") and oracle.covers("[!]a]x", "bx") and not oracle.covers("[!]a]x", "]x")
    assert not oracle.covers("[!a]", "/") and not oracle.covers("*", "a/b") and oracle.covers("*", ".hidden")
    assert not oracle.covers("**", "a/./b") and not oracle.covers("**", "a.") and not oracle.covers("**", NFD_E)


# -- paths_overlap against the oracle ---------------------------------------------------------

def test_INV_LOCK_EXCL_adversarial_paths_overlap_never_misses_a_witness(module_db):
    """Over the whole adversarial path space (every ordered pair of accepted spellings):
    wherever the oracle builds a common file, coord_private.paths_overlap says true, the
    witness is a spelling pgcoord accepts as itself, and pgcoord's file-vs-pattern test
    agrees that both paths cover it."""
    su = module_db.su
    print(f"\nseed {SEED} (PGCOORD_ORACLE_SEED)")
    spelling, refused = normalise_space(su, path_space(SEED))
    assert spelling[NFD_E] == spelling["\u00e9"] == "\u00e9", "e + U+0301 and U+00E9 must be one path"
    paths = sorted(set(spelling.values()))
    overlap = inv.overlap_matrix(su, paths)
    found: dict[tuple[str, str], str] = {}
    for a in paths:
        for b in paths:
            w = oracle.witness(a, b)
            if w is not None:
                found[(a, b)] = w
    witnesses = sorted(set(found.values()))
    rows = su.execute("SELECT w, coord_private.normalize_path(w) AS n FROM unnest(%s::text[]) w", (witnesses,)).fetchall()
    bad_spelling = [f"witness {r['w']!r} is spelled {r['n']!r} by pgcoord" for r in rows if r["n"] != r["w"]]
    covered = {(r["p"], r["w"]): r["o"] for r in su.execute(
        """SELECT p, w, coord_private.paths_overlap(w, p) AS o FROM unnest(%s::text[], %s::text[]) AS x(p, w)""",
        ([ab[i] for ab in found for i in (0, 1)], [w for w in found.values() for _ in (0, 1)])).fetchall()}
    misses = [f"paths_overlap({a!r}, {b!r}) = false, but both cover the file {w!r}"
              for (a, b), w in sorted(found.items()) if not overlap[(a, b)]]
    file_misses = sorted({f"paths_overlap({w!r}, {p!r}) = false, but {p!r} covers the file {w!r}"
                          for (p, w), o in covered.items() if not o})
    conservative = sum(1 for k, o in overlap.items() if o and k not in found)
    print(f"paths: {len(paths)} spellings of {len(spelling) + len(refused)} drawn ({len(refused)} refused: "
          f"{sorted(refused)[:5]}); ordered pairs {len(overlap)}, with a witness {len(found)}, "
          f"paths_overlap true without a witness (conservative or undecided) {conservative}")
    inv.check(bad_spelling, "oracle witnesses are normalised file paths")
    inv.check(misses, "paths_overlap against the oracle (a false is a missed overlap: a possible double grant)")
    inv.check(file_misses, "paths_overlap(file, pattern) against the oracle")
    assert len(found) >= len(paths) * 3, f"only {len(found)} overlapping pairs: the path space barely overlaps"
    assert len(found) < len(overlap) * 0.9, "nearly every pair overlaps: the oracle decides nothing"


# -- the race ---------------------------------------------------------------------------------

@dataclass
class Race:
    spelling: dict[str, str]
    refused: dict[str, str]
    roles: list[str]
    calls: Counter[str]
    events: list[dict[str, Any]]


def race(db, seed: int, seconds: float, n_agents: int = N_AGENTS) -> Race:
    """n_agents agents acquire (both modes, 1-3 s), renew, release and abandon leases on
    the path space for `seconds`; returns their lease events from the audit trail."""
    raw = path_space(seed)
    spelling, refused = normalise_space(db.su, raw)
    assert spelling[NFD_E] == spelling["\u00e9"], "e + U+0301 and U+00E9 must be one path"
    usable = [p for p in raw if p in spelling]
    spellings_of: dict[str, list[str]] = {}
    for p in usable:
        spellings_of.setdefault(spelling[p], []).append(p)
    agents = [db.agent("implementer") for _ in range(n_agents)]
    calls: Counter[str] = Counter()
    guard = threading.Lock()

    def worker(i: int) -> None:
        _role, client = agents[i]
        rng = random.Random(seed * 1000 + i)
        held: list[str] = []                       # a hint for choosing calls, never evidence
        mine: Counter[str] = Counter()
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            r = rng.random()
            if held and (r < 0.2 or len(held) >= MAX_HELD and r < 0.6):
                norm = rng.choice(held)            # renewed under any of its spellings (NFD or NFC)
                res = client.renew_lock(rng.choice(spellings_of[norm]), rng.choice([1, 2, 3]), raise_on_refusal=False)
                mine["renew_lock"] += 1
                if not res["ok"]:
                    held.remove(norm)
            elif held and r < 0.45 or len(held) >= MAX_HELD:
                norm = rng.choice(held)
                held.remove(norm)
                if rng.random() < 0.2:
                    mine["abandoned"] += 1         # left to expire
                    continue
                client.release_lock(rng.choice(spellings_of[norm]), raise_on_refusal=False)
                mine["release_lock"] += 1
            else:
                p = rng.choice(usable)
                mode = "shared" if rng.random() < 0.3 else "exclusive"
                res = client.acquire_lock(p, rng.choice([1, 2, 3]), mode, raise_on_refusal=False)
                mine["acquire_lock"] += 1
                if res["ok"]:
                    assert res["path"] == spelling[p], f"{p!r} granted as {res['path']!r}, spelled {spelling[p]!r}"
                    if res["path"] not in held:
                        held.append(res["path"])
            if rng.random() < 0.1:
                time.sleep(rng.random() * 0.02)
        with guard:
            calls.update(mine)

    run_parallel([lambda i=i: worker(i) for i in range(n_agents)], timeout=120)
    roles = [role for role, _ in agents]
    events = db.su.execute(
        """SELECT event_id, actor, operation, resource, proceeded, reason, context
             FROM coord_private.audit_events
            WHERE operation IN ('acquire_lock', 'renew_lock', 'release_lock', 'force_release_lock')
              AND actor = ANY (%s) ORDER BY event_id""", (roles,)).fetchall()
    return Race(spelling, refused, roles, calls, events)


@dataclass
class Verdict:
    grants: list[Grant]
    problems: list[str]            # renewals/releases without a live grant in the trail
    bad_refusals: list[str]        # refusals naming no holder or the caller
    double: list[str]              # INV-LOCK-EXCL: witnessed overlaps in intersecting windows
    fence: list[str]               # INV-LOCK-FENCE: witnessed overlaps with tokens out of grant order
    misses: list[str]              # paths_overlap false where the oracle built a common file
    figures: dict[str, Any]


def judge(db, events: list[dict[str, Any]]) -> Verdict:
    """The trail, judged by the oracle alone (paths_overlap is only cross-checked)."""
    grants, problems = rebuild_grants(events)
    witness_of: dict[tuple[str, str], str | None] = {}

    def wit(a: str, b: str) -> str | None:
        if (a, b) not in witness_of:
            witness_of[(a, b)] = oracle.witness(a, b)
        return witness_of[(a, b)]

    # Refusals: they name other holders, and the oracle can often show the conflict is real.
    refusals = [e for e in events if e["operation"] == "acquire_lock" and not e["proceeded"]]
    held_by_other = [e for e in refusals if e["reason"] == "lock_held_by_other"]
    bad_refusals, justified = [], 0
    for e in held_by_other:
        hs = e["context"].get("holders") or []
        if not hs or any(h["holder"] == e["actor"] for h in hs):
            bad_refusals.append(f"event {e['event_id']}: refusal of {e['resource']!r} names holders {hs}")
        if any(wit(e["resource"], h["path"]) is not None for h in hs):
            justified += 1

    grants.sort(key=lambda g: g.event_id)
    double, fence = [], []
    checked = undecided = serialised = 0
    for i, g in enumerate(grants):
        for h in grants[i + 1:]:
            w = wit(g.path, h.path)
            if w is not None and h.token <= g.token:
                fence.append(f"both cover {w!r}, but the later grant has the smaller token:\n"
                             f"    {g.show()}\n    {h.show()}")
            if g.holder == h.holder or g.mode == h.mode == "shared":
                continue
            if g.start < h.end and h.start < g.end:
                checked += 1
                if w is None:
                    undecided += 1
                else:
                    double.append(f"double grant: both cover {w!r} while both windows are open:\n"
                                  f"    {g.show()}\n    {h.show()}")
            elif w is not None:
                serialised += 1

    witnessed = [(a, b, w) for (a, b), w in witness_of.items() if w is not None]
    misses: list[str] = []
    if witnessed:
        rows = db.su.execute(
            "SELECT a, b, coord_private.paths_overlap(a, b) AS o FROM unnest(%s::text[], %s::text[]) AS x(a, b)",
            ([a for a, _, _ in witnessed], [b for _, b, _ in witnessed])).fetchall()
        says = {(r["a"], r["b"]): r["o"] for r in rows}
        misses = [f"paths_overlap({a!r}, {b!r}) = false, but both cover the file {w!r}"
                  for a, b, w in witnessed if not says[(a, b)]]
    ended = Counter(g.how.split(" ")[0] for g in grants)
    figures = {
        "grants": len(grants), "ended_by": dict(ended), "renewals": sum(len(g.renewals) for g in grants),
        "refusals": dict(Counter(e["reason"] for e in refusals)), "held_by_other": len(held_by_other),
        "refusals_shown_real": justified, "pairs_checked": checked, "pairs_with_witness": len(double),
        "pairs_undecided": undecided, "witnessed_pairs_serialised": serialised,
        "path_pairs_judged": len(witness_of), "path_pairs_witnessed": len(witnessed),
    }
    return Verdict(grants, problems, bad_refusals, double, fence, misses, figures)


def test_INV_LOCK_EXCL_adversarial_paths_no_double_grant_by_oracle_and_INV_LOCK_FENCE(db):
    """N_AGENTS agents race acquire/renew/release/abandon with 1-3 s TTLs over the
    adversarial path space. From the audit trail alone: no two grants of different
    holders, one exclusive, with intersecting windows cover a common file (INV-LOCK-EXCL);
    for every pair of grants covering a common file the later grant has the larger token
    (INV-LOCK-FENCE); every renewal and release proceeded on a live grant
    (INV-LOCK-EXPIRY); paths_overlap is true wherever the oracle found a common file."""
    print(f"\nseed {SEED} (PGCOORD_ORACLE_SEED), {N_AGENTS} agents, {RUN_SECONDS} s")
    run = race(db, SEED, RUN_SECONDS)
    by_op = Counter(e["operation"] for e in run.events)
    for op in ("acquire_lock", "renew_lock", "release_lock"):
        assert by_op[op] == run.calls[op], f"{op}: {run.calls[op]} calls, {by_op[op]} audit events"
    not_nfc = [e for e in run.events if not unicodedata.is_normalized("NFC", e["resource"])]
    assert not not_nfc, f"resources not in NFC: {not_nfc[:3]}"

    v = judge(db, run.events)
    f = v.figures
    print(f"paths {len(set(run.spelling.values()))} ({len(run.refused)} raw spellings refused); "
          f"calls {dict(run.calls)}\n{f}")
    inv.check(v.misses, "paths_overlap against the oracle (a false is a missed overlap)")
    inv.check(v.double, "INV-LOCK-EXCL (oracle witnesses in intersecting windows)")
    inv.check(v.fence, "INV-LOCK-FENCE (tokens of grants covering a common file, in grant order)")
    inv.check(v.problems, "INV-LOCK-EXPIRY (renewals and releases of live grants only)")
    inv.check(v.bad_refusals, "refusals name other holders")
    inv.check(inv.inv_lock_excl(db.su), "INV-LOCK-EXCL (final sweep)")
    inv.check(inv.inv_lock_fence(db.su), "INV-LOCK-FENCE (trail)")
    inv.check(inv.verify_audit(db.su), "audit chain")

    # Not vacuous: contention, expiry during the run, renewals, and work for the oracle.
    assert f["grants"] >= 300, f"only {f['grants']} grants"
    assert f["held_by_other"] >= 200, f"only {f['held_by_other']} lock_held_by_other refusals"
    assert f["refusals_shown_real"] >= 100, f"only {f['refusals_shown_real']} refusals shown real by the oracle"
    assert f["ended_by"].get("expiry", 0) >= 20, "too few grants ended by expiry during the run"
    assert f["renewals"] >= 50, f"only {f['renewals']} renewals"
    assert f["witnessed_pairs_serialised"] >= 200, "too few overlapping pairs of different holders serialised in time"
    assert f["pairs_checked"] >= 50, f"only {f['pairs_checked']} time-intersecting conflicting pairs checked"


def test_INV_LOCK_EXCL_adversarial_paths_oracle_catches_a_seeded_double_grant(db):
    """The check has teeth: in this test's own database paths_overlap is made to miss
    every overlap with a character class (as the U+10FFFF anchor bound made '**' miss
    some leases). The same race must then show double grants with witnesses, and the
    cross-check must name paths_overlap."""
    db.su.execute("SET ROLE coord_owner")
    db.su.execute("ALTER FUNCTION coord_private.paths_overlap(text, text) RENAME TO paths_overlap_correct")
    db.su.execute("""CREATE FUNCTION coord_private.paths_overlap(a text, b text) RETURNS boolean
                     LANGUAGE sql IMMUTABLE AS $$
                       SELECT coord_private.paths_overlap_correct(a, b) AND strpos(a || b, '[') = 0 $$""")
    db.su.execute("RESET ROLE")
    run = race(db, SEED, 2.0)
    v = judge(db, run.events)
    print(f"\nseeded defect: {v.figures}; first double grant:\n{v.double[:1]}")
    assert v.double, "a paths_overlap that ignores classes went unnoticed by the race"
    assert v.misses, "a paths_overlap that ignores classes went unnoticed by the cross-check"
    assert all("[" in m for m in v.misses)
