"""The shell rules' shortcuts hold against the rules they shorten (issue 16, speed).

coord_private.shell_rule_hits skips, per analysed command, every block when no block
could match it: among other things its program must be in the array of programs the
blocks name (a literal in the function, so PostgreSQL hashes it). And the secrets
blocks test words with shell_is_secret / shell_is_key_material only when
shell_may_name_secret is true of the text. A shortcut that drifts from what it
shortens lets a destructive command through silently, so:

* every program a block compares p with (p = 'x', p IN (...), p NOT IN (...), read from
  the deployed function's source) is in the array, and every p LIKE prefix is among
  the LIKE tests of the shortcut;
* later, after the git blocks, a second shortcut ends the commands whose program the
  blocks above name and no block below is guarded for (p = 'x', p IN (...)): no
  program of its array may be one a block below is guarded for;
* shell_may_name_secret is true of every word the two functions accept, over the
  corpus's words and directed spellings (case, quotes removed, paths).
"""
from __future__ import annotations

import re
import shlex
from pathlib import Path

import psycopg

SHELL = Path(__file__).parent / "guardrail_corpus" / "shell"
SHORTCUT = re.compile(r"AND NOT \(p = ANY \('\{(?P<names>[^}]*)\}'::text\[\]\)\) THEN")
JUDGED = re.compile(r"IF p = ANY \('\{(?P<names>[^}]*)\}'::text\[\]\) AND v_kind IS NULL")
LIKES = re.compile(r"AND NOT \((?P<likes>p LIKE '[^']*'(?: OR p LIKE '[^']*')*)\)")


def _source(conn: psycopg.Connection) -> str:
    return conn.execute("SELECT pg_get_functiondef('coord_private.shell_rule_hits(text, text, text)'::regprocedure)").fetchone()[0]


def _named(body: str) -> tuple[set[str], set[str]]:
    """Programs and LIKE prefixes the blocks compare p with (outside the shortcut itself)."""
    names: set[str] = set()
    for m in re.finditer(r"\bp\s+(?:NOT\s+)?IN\s*\(([^)]*)\)", body):
        names |= set(re.findall(r"'([^']*)'", m.group(1)))
    names |= set(re.findall(r"\bp\s*(?:=|<>)\s*'([^']*)'", body))
    likes = set(re.findall(r"\bp\s+LIKE\s+'([^']*)'", body))
    return names, likes


def _shortcut(body: str) -> tuple[set[str], set[str], str]:
    m = SHORTCUT.search(body)
    assert m, "the shortcut over unnamed programs is not in shell_rule_hits"
    names = {x.strip().strip('"') for x in m.group("names").split(",")}
    likes_m = LIKES.search(body)
    assert likes_m, "the shortcut's LIKE tests are not in shell_rule_hits"
    likes = set(re.findall(r"p LIKE '([^']*)'", likes_m.group("likes")))
    rest = body[:m.start()] + body[m.end():]
    rest = rest[:likes_m.start()] + rest[likes_m.end():] if likes_m.start() < m.start() else rest
    return names, likes, rest


def test_every_program_a_rule_names_is_in_the_shortcut(db):
    with psycopg.connect(db.dsn) as conn:
        body = _source(conn)
    shortcut, shortcut_likes, rest = _shortcut(body)
    named, likes = _named(rest)
    assert len(named) > 250, f"the source read {len(named)} program names: the reader is broken"
    missing = sorted(named - shortcut)
    assert not missing, f"programs the rules name but the shortcut skips: {missing}"
    uncovered = sorted(x for x in likes if not any(x.startswith(y.rstrip('%')) for y in shortcut_likes))
    assert not uncovered, f"LIKE prefixes the rules test but the shortcut skips: {uncovered}"


def test_the_check_catches_a_program_missing_from_the_shortcut(db):
    """The check above can fail: a body whose shortcut lacks a program a rule names."""
    with psycopg.connect(db.dsn) as conn:
        body = _source(conn)
    mutated = SHORTCUT.sub(lambda m: m.group(0).replace(",git,", ",").replace("{git,", "{"), body, count=1)
    shortcut, _, rest = _shortcut(mutated)
    named, _ = _named(rest)
    assert "git" in named and "git" not in shortcut


def _words() -> set[str]:
    words: set[str] = set()
    for f in ("tune_destructive.tsv", "tune_harmless.tsv"):
        for line in (SHELL / f).read_text(encoding="utf-8").splitlines():
            command = line.partition("\t")[2].replace("\\n", "\n")
            try:
                words.update(shlex.split(command, comments=False))
            except ValueError:
                words.update(command.split())
    directed = ["~/.aws", "/root/.AWS/credentials", "ID_RSA", "x/.Env.local", "server.PEM", "SECRETS.yaml", "~/.config/gcloud",
                "/proc/1/environ", "~/.config/gh/hosts.yml", "a/.git-credentials", "KEYSTORE.jks", "/etc/gshadow"]
    return words | set(directed)


def test_may_name_secret_holds_for_every_secret_word(db):
    with psycopg.connect(db.dsn) as conn:
        rows = conn.execute(
            """SELECT w FROM unnest(%s::text[]) w
                WHERE (coord_private.shell_is_secret(w) OR coord_private.shell_is_key_material(w))
                  AND NOT coord_private.shell_may_name_secret(lower(w))""", (sorted(_words()),)).fetchall()
        accepted = conn.execute(
            "SELECT count(*) FROM unnest(%s::text[]) w WHERE coord_private.shell_is_secret(w) OR coord_private.shell_is_key_material(w)",
            (sorted(_words()),)).fetchone()[0]
    assert accepted > 50, f"only {accepted} secret words: the sample is too thin to hold the shortcut"
    assert not rows, f"secret words shell_may_name_secret says no to: {[r[0] for r in rows]}"


def _guarded_for(body: str) -> set[str]:
    """Programs a block is guarded for: p = 'x', p IN (...) (p <> 'x' and p NOT IN guard against them)."""
    names: set[str] = set()
    for m in re.finditer(r"\bp\s+IN\s*\(([^)]*)\)", body):
        names |= set(re.findall(r"'([^']*)'", m.group(1)))
    names |= set(re.findall(r"\bp\s*=\s*'([^']*)'", body))
    return names


def test_no_block_after_the_second_shortcut_is_guarded_for_what_it_ends(db):
    with psycopg.connect(db.dsn) as conn:
        body = _source(conn)
    m = JUDGED.search(body)
    assert m, "the second shortcut is not in shell_rule_hits"
    judged = {x.strip().strip('"') for x in m.group("names").split(",")}
    assert {"git", "rm", "chmod"} <= judged, "the second shortcut lost the programs it exists for"
    before, after = body[:m.start()], body[m.end():]
    named_before, _ = _named(SHORTCUT.sub("", before))
    assert not judged - named_before, f"programs the second shortcut ends that no block above judges: {sorted(judged - named_before)}"
    clash = sorted(judged & _guarded_for(after))
    assert not clash, f"programs the second shortcut ends although a block below is guarded for them: {clash}"
