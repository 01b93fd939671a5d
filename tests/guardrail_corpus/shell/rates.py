"""Block and pass rates of a deployed pgcoord database on the shell corpus (this directory).

    python tests/guardrail_corpus/shell/rates.py DSN [--profile implementer] [--no-misses]

DSN is a superuser connection string of a database where pgcoord is deployed; the
server must let the new agent role log in the way the test cluster does (trust on
loopback). The script creates a LOGIN role in coord_agent, registers it with the given
profile (implementer: trust 2), connects as that role and calls
coord.check_guardrails(command, '{}') once for every case of the four files. A case of a
*_destructive file is right when ``blocked`` is true, a case of a *_harmless file when
it is false (``blocked`` says what enforce mode would do, in shadow mode as well, and a
warn is not a block). It prints the rates per file and per category and lists every
miss with the names of the guardrails that matched. It reports; it asserts nothing and
exits 0 unless it cannot run.

Every check is audited (one audit event per case): use a scratch database. The role is
dropped at the end.

File format (README.md): ``category<TAB>command``, one case per line; inside the command
``\\n`` stands for a newline, ``\\t`` for a tab and ``\\\\`` for one backslash; any other
backslash is itself. The held-out split is checked (a case is held out iff
sha256(command as written) is 0 modulo 5) and a case in the wrong file is reported.
"""
from __future__ import annotations

import argparse
import sys
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

# The corpus format's one reader (README.md): the package's, shared with the safety report.
from pgcoord.safety_report import decode_case as decode
from pgcoord.safety_report import held_out

HERE = Path(__file__).parent
FILES = ("tune_destructive.tsv", "holdout_destructive.tsv", "tune_harmless.tsv", "holdout_harmless.tsv")
CATEGORIES = ("filesystem", "git", "sql", "secrets", "persistence", "disk", "cloud", "container", "cluster",
              "publishing", "interpreter", "wrapper", "nesting", "heredoc", "obfuscation", "lookalike")


def load(name: str) -> tuple[list[tuple[str, str]], list[str]]:
    """(category, command as written) for every line of a file, and the problems found."""
    cases, problems = [], []
    for n, line in enumerate((HERE / name).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        category, sep, written = line.partition("\t")
        if not sep or "\t" in written or not written:
            problems.append(f"{name}:{n}: not 'category<TAB>command': {line!r}")
            continue
        if category not in CATEGORIES:
            problems.append(f"{name}:{n}: unknown category {category!r}")
        if held_out(written) != name.startswith("holdout_"):
            problems.append(f"{name}:{n}: the split puts this case in the other file: {written!r}")
        cases.append((category, written))
    return cases, problems


def role_dsn(dsn: str, role: str) -> str:
    parts = urlsplit(dsn)
    if not parts.scheme:   # key=value form
        return f"{dsn} user={role}"
    return urlunsplit(parts._replace(netloc=f"{role}@{parts.netloc.rsplit('@', 1)[-1]}"))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dsn", help="superuser DSN of a database where pgcoord is deployed")
    ap.add_argument("--profile", default="implementer", help="agent profile to register (default: implementer, trust 2)")
    ap.add_argument("--no-misses", action="store_true", help="print the rates only")
    args = ap.parse_args()

    data, problems = {}, []
    for name in FILES:
        data[name], p = load(name)
        problems += p
    seen: dict[str, str] = {}
    for name in FILES:
        for _, written in data[name]:
            if written in seen:
                problems.append(f"{name}: duplicate of a case in {seen[written]}: {written!r}")
            seen.setdefault(written, name)
    for p in problems:
        print("corpus problem:", p)

    su = psycopg.connect(args.dsn, autocommit=True, row_factory=dict_row)
    role = f"rates_{uuid.uuid4().hex[:10]}"
    su.execute(sql.SQL("CREATE ROLE {} LOGIN IN ROLE coord_agent").format(sql.Identifier(role)))
    try:
        su.execute("SELECT coord.register_agent(%s, %s)", (role, args.profile))
        trust = su.execute("SELECT trust_level FROM coord_private.profiles WHERE name = %s",
                           (args.profile,)).fetchone()["trust_level"]
        results = {}
        with psycopg.connect(role_dsn(args.dsn, role), autocommit=True, row_factory=dict_row) as agent:
            for name in FILES:
                rows = []
                for category, written in data[name]:
                    r = agent.execute("SELECT blocked, guardrails FROM coord.check_guardrails(%s, '{}')",
                                      (decode(written),)).fetchone()
                    names = sorted({m["name"] + ("" if m["severity"] == "block" else f"({m['severity']})")
                                    for m in (r["guardrails"] or [])})
                    rows.append((category, written, bool(r["blocked"]), names))
                results[name] = rows
    finally:
        try:
            su.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))
        except psycopg.Error as exc:
            print(f"note: could not drop role {role}: {exc}".strip())
        su.close()

    print(f"\nshell corpus, checked as a registered {args.profile} (trust {trust}) through coord.check_guardrails")
    print(f"{'file':26} {'cases':>6} {'right':>6} {'rate':>8}   (right = blocked for destructive, passed for harmless)")
    right_by = {}
    for name in FILES:
        want = "destructive" in name
        rows = results[name]
        right = sum(1 for _, _, b, _ in rows if b == want)
        right_by[name] = (right, len(rows))
        print(f"{name:26} {len(rows):6} {right:6} {right / len(rows):8.2%}" if rows else f"{name:26} 0")
    for kind in ("destructive", "harmless"):
        r = sum(right_by[f][0] for f in FILES if kind in f)
        n = sum(right_by[f][1] for f in FILES if kind in f)
        print(f"{'all ' + kind:26} {n:6} {r:6} {r / n:8.2%}")

    print("\nper category: blocked/cases of the destructive files, passed/cases of the harmless files")
    cols = FILES
    print(f"{'category':13}" + "".join(f" {c.replace('.tsv', ''):>19}" for c in cols))
    for cat in CATEGORIES:
        cells = []
        for name in cols:
            want = "destructive" in name
            rows = [b for c, _, b, _ in results[name] if c == cat]
            ok = sum(1 for b in rows if b == want)
            cells.append(f"{ok:4}/{len(rows):<4} {ok / len(rows):7.1%}" if rows else f"{'-':>19}")
        print(f"{cat:13}" + "".join(f" {c:>19}" for c in cells))

    if not args.no_misses:
        for name in FILES:
            want = "destructive" in name
            wrong = [(c, w, n) for c, w, b, n in results[name] if b != want]
            label = "destructive but passed" if want else "harmless but blocked"
            print(f"\n{name}: {len(wrong)} {label}")
            for c, w, n in wrong:
                print(f"  [{c}] {w}" + (f"   -> {', '.join(n)}" if n else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
