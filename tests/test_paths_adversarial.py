"""Adversarial lease paths (sql/deploy/path_hardening.sql), INV-LOCK-EXCL.

INV-LOCK-EXCL needs one spelling per file. Checked against PostgreSQL:

* the fast path of coord_private.normalize_path and the full check
  (normalize_path_checked, then fold_path_case when paths are case-insensitive)
  agree on paths drawn from the whole code-point range (hypothesis), in both case
  modes, and a spelling is its own spelling (idempotent);
* every accepted path is free of refused code points (the red team's list, kept in
  RED_TEAM_REFUSED below, independently of the database's own table), of segments
  that end with '.' or a space or start with a space, of segments whose NFKC form
  holds a separator or is '.'/'..' or ends with '.', and within the glob caps;
* exhaustively, over every code point c: 'a' c 'b' is refused exactly when c is
  refused (or is a control, '\\', '[' or an NFKC separator), and the message names
  c as U+XXXX;
* case-insensitive: the fold merges every pair of characters Python's casefold(),
  upper() or lower() merge and is idempotent (every code point); a path, its
  upper() and its lower() are one spelling;
* the faster segment_regex/glob_regex build exactly paths.sql's expressions;
* the worst glob the caps allow costs a bounded multiple of an ordinary glob in the
  overlap test (a ratio, not a wall-clock bound), and globs the caps refuse cannot be
  held at all;
* the case rule cannot change under a live or in-flight lease (two real sessions).
"""
from __future__ import annotations

import contextlib
import re
import statistics
import threading
import unicodedata

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pgcoord import errors

from .helpers import SPELL, spell, wait_until

SETTINGS = settings(max_examples=120, deadline=None, database=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

# The red team's list of code points no lease path may contain (issue: look-alike
# paths), written out here so that the database's table is checked, not trusted.
RED_TEAM_REFUSED = [
    # Unicode general category Cf
    (0x00AD, 0x00AD), (0x0600, 0x0605), (0x061C, 0x061C), (0x06DD, 0x06DD), (0x070F, 0x070F),
    (0x0890, 0x0891), (0x08E2, 0x08E2), (0x180E, 0x180E), (0x200B, 0x200F), (0x202A, 0x202E),
    (0x2060, 0x2064), (0x2066, 0x206F), (0xFEFF, 0xFEFF), (0xFFF9, 0xFFFB), (0x110BD, 0x110BD),
    (0x110CD, 0x110CD), (0x13430, 0x1343F), (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A), (0xE0001, 0xE0001),
    (0xE0020, 0xE007F),
    # C1 controls
    (0x0080, 0x009F),
    # non-ASCII white space
    (0x00A0, 0x00A0), (0x1680, 0x1680), (0x2000, 0x200A), (0x2028, 0x2029), (0x202F, 0x202F),
    (0x205F, 0x205F), (0x3000, 0x3000),
    # fillers and invisible characters
    (0x034F, 0x034F), (0x115F, 0x1160), (0x3164, 0x3164), (0xFFA0, 0xFFA0), (0x2800, 0x2800),
    # variation selectors
    (0xFE00, 0xFE0F), (0xE0100, 0xE01EF),
    # noncharacters
    (0xFDD0, 0xFDEF), *[(p * 0x10000 + 0xFFFE, p * 0x10000 + 0xFFFF) for p in range(17)],
    # look-alikes of '/' that NFKC keeps
    (0x2215, 0x2215), (0x2044, 0x2044), (0x29F8, 0x29F8),
]

# Characters the strategies mix in, so that hostile paths are frequent: look-alike
# separators and dots, invisible and bidirectional characters, spaces, controls,
# combining marks, case pairs with special mappings, homoglyphs, ligatures.
SPECIAL = [chr(c) for c in (
    0xFF0F, 0x2215, 0x2044, 0x29F8, 0xFF3C, 0x2216, 0xFF0E, 0x2024, 0x2025, 0x2026, 0xFE52,
    0x200B, 0x200D, 0x202E, 0x2066, 0x00AD, 0xFEFF, 0x00A0, 0x3000, 0x2002, 0x3164, 0xFE0F, 0xE0100,
    0xE0041, 0xFDD0, 0xFFFE, 0x10FFFF, 0x0085, 0x001F, 0x007F, 0x0301, 0x0307, 0x00DF, 0x1E9E,
    0x03C2, 0x03C3, 0x03A3, 0x0130, 0x0131, 0x212A, 0x2126, 0x017F, 0x0435, 0x0415, 0xFB01, 0x00C9,
)]
ANY_CHAR = st.characters(exclude_categories=["Cs"], exclude_characters="\x00")
CHAR = st.one_of(ANY_CHAR, st.sampled_from(list("aAzZ09._- *?[]!/\\") + SPECIAL))
SEGMENT = st.one_of(st.text(CHAR, min_size=0, max_size=6), st.text(st.sampled_from(list("abXY.-_")), min_size=1, max_size=5),
                    st.sampled_from(["**", "*", ".", "..", "", "src", "x.py", "*.py", "[a-z]", "?"]))
PATH = st.builds(lambda segs, tail: "/".join(segs) + tail,
                 st.lists(SEGMENT, min_size=1, max_size=8), st.sampled_from(["", "", "", "/"]))
# wildcard-heavy globs, many of them beyond the caps
GLOB_SEGMENT = st.one_of(st.sampled_from(["**", "*", "?", "*a*", "[!x]*", "x", "y.py"]),
                         st.text(st.sampled_from(list("ab*?")), min_size=1, max_size=12),
                         st.builds(lambda n: "[a-z]" * n, st.integers(1, 12)))
GLOB = st.lists(GLOB_SEGMENT, min_size=1, max_size=70).map("/".join)

TRY_CODE_POINTS = """
CREATE FUNCTION pg_temp.refused_code_points(OUT cp integer, OUT state text, OUT message text)
RETURNS SETOF record LANGUAGE plpgsql AS $$
BEGIN
    FOR i IN 1 .. 1114111 LOOP
        CONTINUE WHEN i BETWEEN 55296 AND 57343;          -- surrogates are no text
        BEGIN
            PERFORM coord_private.normalize_path('a' || pg_catalog.chr(i) || 'b');
        EXCEPTION WHEN OTHERS THEN
            cp := i; state := SQLSTATE; message := SQLERRM;
            RETURN NEXT;
        END;
    END LOOP;
END
$$"""


@pytest.fixture(scope="module")
def su(module_db):
    module_db.su.execute(SPELL)
    module_db.su.execute(OVERLAP_MICROS)
    module_db.su.execute(OLD_GLOB_REGEX)
    return module_db.su


@pytest.fixture(scope="module")
def refused_ranges(su) -> list[tuple[int, int]]:
    return [(r["first_cp"], r["last_cp"]) for r in su.execute(
        "SELECT first_cp, last_cp FROM coord_private.path_refused_code_points() ORDER BY 1").fetchall()]


@contextlib.contextmanager
def path_case(conn: psycopg.Connection, rule: str):
    """Paths spelled under rule inside a transaction that is rolled back."""
    with conn.transaction(force_rollback=True):
        conn.execute("UPDATE coord_private.settings SET path_case = %s", (rule,))
        yield


def in_ranges(ch: str, ranges: list[tuple[int, int]]) -> bool:
    return any(lo <= ord(ch) <= hi for lo, hi in ranges)


def segments(path: str) -> list[str]:
    return (path[:-1] if path.endswith("/") else path).split("/")


def check_spelling(p: str, spelled: str, refused: list[tuple[int, int]]) -> None:
    """Everything an accepted spelling must be (path_hardening's rules)."""
    assert unicodedata.normalize("NFC", spelled) == spelled, f"{p!r} -> {spelled!r} is not NFC"
    bad = [f"U+{ord(c):04X}" for c in spelled
           if in_ranges(c, RED_TEAM_REFUSED) or in_ranges(c, refused) or ord(c) < 32 or c in "\x7f\\"]
    assert not bad, f"{p!r} -> {spelled!r} holds refused code points {bad}"
    segs = segments(spelled)
    assert 1 <= len(segs) <= 64 and not spelled.startswith("/"), f"{spelled!r}: segments"
    for seg in segs:
        assert seg not in ("", ".", "..") and not seg.endswith((".", " ")) and not seg.startswith(" "), \
            f"{p!r} -> {spelled!r}: segment {seg!r}"
        k = unicodedata.normalize("NFKC", seg)
        assert "/" not in k and "\\" not in k and (k == seg or not (k in (".", "..") or k.endswith("."))), \
            f"{p!r} -> {spelled!r}: segment {seg!r} reads as {k!r} in NFKC"
    assert segs.count("**") <= 4 and "**/**" not in spelled, f"{spelled!r}: ** not collapsed or over the cap"
    assert sum(1 for s in segs if any(c in s for c in "*?[")) <= 8, f"{spelled!r}: too many wildcard segments"


# ---------------------------------------------------------------- agreement and accepted spellings

def test_INV_LOCK_EXCL_the_database_refuses_the_red_team_list(refused_ranges):
    """Every code point of the red team's list is in coord_private.path_refused_code_points()."""
    missing = [f"U+{c:04X}" for lo, hi in RED_TEAM_REFUSED for c in range(lo, hi + 1) if not in_ranges(chr(c), refused_ranges)]
    assert missing == []
    cf = [f"U+{c:04X}" for c in range(0x110000)
          if unicodedata.category(chr(c)) in ("Cf", "Zs", "Zl", "Zp") and c > 0x7F and not in_ranges(chr(c), refused_ranges)]
    assert cf == [], f"format characters or spaces of Unicode {unicodedata.unidata_version} the database accepts"


@SETTINGS
@given(paths=st.lists(PATH, min_size=1, max_size=25))
def test_INV_LOCK_EXCL_fast_path_and_full_check_agree_case_sensitive(su, refused_ranges, paths):
    """Case-sensitive: normalize_path = normalize_path_checked on any code points; accepted spellings are clean and stable."""
    for row in spell(su, paths):
        p, fast = row["path"], row["fast"]
        assert fast == row["slow"], f"{p!r}: fast path {fast!r}, full check {row['slow']!r}"
        if fast.startswith("ERROR "):
            assert fast in ("ERROR PC003", "ERROR PC001"), f"{p!r}: {fast}"
            continue
        assert row["again"] == fast, f"{p!r} -> {fast!r} -> {row['again']!r}: not idempotent"
        check_spelling(p, fast, refused_ranges)


@SETTINGS
@given(paths=st.lists(PATH, min_size=1, max_size=25))
def test_INV_LOCK_EXCL_fast_path_and_full_check_agree_case_insensitive(su, refused_ranges, paths):
    """Case-insensitive: normalize_path = normalize_path_checked then fold; a path, its upper() and lower() are one spelling."""
    variants = [v for p in paths for v in (p, p.upper(), p.lower())]
    with path_case(su, "insensitive"):
        rows = spell(su, variants)
    for i in range(0, len(rows), 3):
        for row in rows[i:i + 3]:
            p, fast = row["path"], row["fast"]
            assert fast == row["slow"], f"{p!r}: fast path {fast!r}, full check then fold {row['slow']!r}"
            if not fast.startswith("ERROR "):
                assert row["again"] == fast, f"{p!r} -> {fast!r} -> {row['again']!r}: not idempotent"
                check_spelling(p, fast, refused_ranges)
        spelled = {r["fast"] for r in rows[i:i + 3]}
        if not any(s.startswith("ERROR ") for s in spelled):
            assert len(spelled) == 1, f"{rows[i]['path']!r}, its upper() and lower() spell differently: {spelled}"


def test_INV_LOCK_EXCL_every_code_point_alone_in_a_name(module_db, refused_ranges):
    """Exhaustive: 'a' c 'b' is refused exactly when c is refused, and the message names c as U+XXXX."""
    su = module_db.su
    su.execute(TRY_CODE_POINTS)
    got = {r["cp"]: (r["state"], r["message"]) for r in su.execute("SELECT * FROM pg_temp.refused_code_points()").fetchall()}
    assert all(state == "PC003" for state, _ in got.values()), {hex(c): s for c, s in got.items() if s[0] != "PC003"}
    refused = {c for lo, hi in refused_ranges for c in range(lo, hi + 1)}
    expected = set()
    for c in range(1, 0x110000):
        if 0xD800 <= c <= 0xDFFF:
            continue
        ch = chr(c)
        k = unicodedata.normalize("NFKC", "a" + ch + "b")
        if c in refused or c < 32 or c == 0x7F or ch in "\\[" or (ch != "/" and "/" in k[1:-1]) or "\\" in k:
            expected.add(c)
    missing = sorted(expected - got.keys())
    assert missing == [], f"accepted although refused: {[f'U+{c:04X}' for c in missing[:20]]}"
    extra = {c: m for c, (_, m) in got.items() if c not in expected and m != "invalid path: control character"}
    assert extra == {}, f"refused for no documented reason: {[(f'U+{c:04X}', m) for c, m in list(extra.items())[:20]]}"
    unnamed = [f"U+{c:04X}" for c, (_, m) in got.items()
               if c in refused and not m.startswith(f"invalid path: U+{c:04X}")]
    assert unnamed == [], f"refusals that do not name their code point: {unnamed[:20]}"


def test_INV_LOCK_EXCL_case_fold_merges_every_case_pair(su):
    """Every code point: the fold is idempotent and merges what casefold(), upper() and lower() merge."""
    if su.execute("SELECT count(*) AS n FROM pg_collation WHERE collname = 'und-x-icu'").fetchone()["n"] == 0:
        pytest.skip("no ICU on this server: case-insensitive repositories refuse non-ASCII paths (fold_path_case)")
    rows = su.execute("""
        SELECT cp, f, coord_private.fold_path_case(f) AS ff
          FROM (SELECT cp, coord_private.fold_path_case(pg_catalog.normalize(chr(cp), 'NFC')) AS f
                  FROM generate_series(1, 1114111) cp WHERE cp NOT BETWEEN 55296 AND 57343) s""").fetchall()
    fold = {chr(r["cp"]): r["f"] for r in rows}
    assert [f"U+{r['cp']:04X}" for r in rows if r["ff"] != r["f"]] == [], "fold_path_case is not idempotent"
    for name, key in (("casefold", str.casefold), ("upper", str.upper), ("lower", str.lower)):
        classes: dict[str, set[str]] = {}
        for ch in fold:
            if unicodedata.category(ch) != "Cn":
                classes.setdefault(key(unicodedata.normalize("NFC", ch)), set()).add(ch)
        split = [sorted(f"U+{ord(c):04X}" for c in cls) for cls in classes.values() if len({fold[c] for c in cls}) > 1]
        assert split == [], f"characters {name}() merges that the fold keeps apart: {split[:10]}"


# ---------------------------------------------------------------- glob complexity

@SETTINGS
@given(globs=st.lists(GLOB, min_size=1, max_size=20))
def test_INV_LOCK_EXCL_accepted_globs_compile_to_bounded_expressions(su, globs):
    """An accepted glob has at most 64 segments, 4 **, 8 wildcard segments and 32 wildcard characters, and a regular
    expression of at most 4 (.*/)? groups and linear length: what makes a compilation expensive is bounded."""
    spelled = [r["fast"] for r in spell(su, globs)]
    accepted = [g for g in spelled if not g.startswith("ERROR ")]
    assert all(g == "ERROR PC003" for g in spelled if g.startswith("ERROR ")), spelled
    rx = dict(zip(accepted, (r["rx"] for r in su.execute(
        "SELECT coord_private.glob_regex(g) AS rx FROM unnest(%s::text[]) WITH ORDINALITY u(g, n) ORDER BY n",
        (accepted,)).fetchall()), strict=True))
    for g in accepted:
        segs = segments(g)
        assert len(segs) <= 64 and segs.count("**") <= 4 and sum(g.count(c) for c in "*?[") <= 32, g
        assert sum(1 for s in segs if re.search(r"[*?\[]", s)) <= 8, g
        assert rx[g].count("(.*/)?") + rx[g].endswith(".*$") <= 4, (g, rx[g])
        assert len(rx[g]) <= 5 * len(g) + 8, (g, rx[g])


# paths.sql's segment_regex and glob_regex, verbatim but in pg_temp: path_hardening
# rebuilds them with less work and must build the same expressions.
OLD_GLOB_REGEX = r"""
CREATE FUNCTION pg_temp.segment_regex_0(p_seg text)
RETURNS text LANGUAGE plpgsql IMMUTABLE AS $fn$
DECLARE
    v text := '';
    c text;
    i integer := 1;
    n integer := pg_catalog.length(p_seg);
    j integer;
    k integer;
    cls text;
BEGIN
    WHILE i <= n LOOP
        c := pg_catalog.substr(p_seg, i, 1);
        IF c = '*' THEN
            v := v || '[^/]*';
        ELSIF c = '?' THEN
            v := v || '[^/]';
        ELSIF c = '[' THEN
            k := i + 1;
            IF pg_catalog.substr(p_seg, k, 1) = '!' THEN k := k + 1; END IF;
            j := pg_catalog.strpos(pg_catalog.substr(p_seg, k + 1), ']') + k;
            cls := pg_catalog.substr(p_seg, k, j - k);
            IF pg_catalog.left(cls, 1) = '^' THEN cls := '\^' || pg_catalog.substr(cls, 2); END IF;
            v := v || '[' || CASE WHEN k > i + 1 THEN '^' ELSE '' END || cls || ']';
            i := j;
        ELSE
            v := v || pg_catalog.regexp_replace(c, '([.^$+(){}|\\\]\[])', '\\\1', 'g');
        END IF;
        i := i + 1;
    END LOOP;
    RETURN '^' || v || '$';
END
$fn$;
CREATE FUNCTION pg_temp.glob_regex_0(p_glob text)
RETURNS text LANGUAGE sql IMMUTABLE AS $fn$
    SELECT '^' || pg_catalog.string_agg(
               CASE WHEN s.seg = '**' THEN CASE WHEN s.ord < s.total THEN '(.*/)?' ELSE '.*' END
                    ELSE pg_catalog.regexp_replace(pg_catalog.regexp_replace(pg_temp.segment_regex_0(s.seg), '^\^', ''), '\$$', '')
                         || CASE WHEN s.ord < s.total THEN '/' ELSE '' END END,
               '' ORDER BY s.ord) || '$'
      FROM (SELECT u.seg, u.ord, pg_catalog.count(*) OVER () AS total
              FROM pg_catalog.unnest(pg_catalog.string_to_array(p_glob, '/')) WITH ORDINALITY AS u(seg, ord)) s
$fn$"""

OVERLAP_MICROS = """
CREATE FUNCTION pg_temp.overlap_micros(p_file text, p_glob text, p_rounds integer) RETURNS double precision
LANGUAGE plpgsql AS $$
DECLARE
    t0 timestamptz := clock_timestamp();
    x boolean;
BEGIN
    FOR i IN 1 .. p_rounds LOOP
        x := coord_private.paths_overlap(p_file, replace(p_glob, '#', i::text));
    END LOOP;
    RETURN extract(epoch FROM clock_timestamp() - t0) * 1e6 / p_rounds;
END
$$"""


def _overlap_micros(su, file_path: str, glob: str, rounds: int) -> float:
    """Microseconds of one paths_overlap(file, glob'), a fresh glob (so a fresh regex) each time."""
    return su.execute("SELECT pg_temp.overlap_micros(%s, %s, %s) AS us", (file_path, glob, rounds)).fetchone()["us"]


@SETTINGS
@given(globs=st.lists(st.one_of(GLOB, PATH), min_size=1, max_size=30))
def test_INV_LOCK_EXCL_glob_regex_builds_what_paths_sql_built(su, globs):
    """The faster segment_regex and glob_regex build exactly the expressions of paths.sql
    for any text without a [...] class; a class is the one intended difference: it
    now stays within its segment (paths.sql let [!x] and a range spanning '/' match
    '/', so 'a/b' overlapped 'a[!x]b' while 'a/' did not)."""
    rows = su.execute("""SELECT g, coord_private.glob_regex(g) AS new, pg_temp.glob_regex_0(g) AS old
                           FROM unnest(%s::text[]) g""", (globs + [""],)).fetchall()
    differ = [(r["g"], r["new"], r["old"]) for r in rows if r["new"] != r["old"] and "[" not in r["g"]]
    assert differ == []
    balanced = re.compile(r"^([^\[\]]|\[!?\]?[^\]]+\])*$")     # the classes normalize_path accepts
    segments = {seg for g in globs for seg in g.split("/") if "[" in seg and balanced.match(seg)}
    segments |= {"[!x]", "[+-0]", "[!a-z]", "[!]]", "a[!x]b"}
    leaks = su.execute("""SELECT g FROM unnest(%s::text[]) g
                           WHERE '/' ~ coord_private.segment_regex(g)""", (sorted(segments),)).fetchall()
    assert leaks == [], f"a class segment matched '/': {leaks[:5]}"
    assert su.execute("""SELECT coord_private.paths_overlap('a/b', 'a[!x]b') AS neg,
                                coord_private.paths_overlap('a/b', 'a[+-0]b') AS rng,
                                coord_private.paths_overlap('ayb', 'a[!x]b') AS hit""").fetchone() == \
        {"neg": False, "rng": False, "hit": True}


def test_INV_LOCK_EXCL_worst_allowed_glob_costs_a_bounded_multiple_of_an_ordinary_one(su):
    """The red team's globs cannot be spelled; the dearest glob the caps allow costs < 60x src/**/*.py to compare.

    A ratio of two interleaved measurements in one session, not a wall-clock bound.
    Before path_hardening the red team's glob (340 **) cost ~8,000x an ordinary one
    (205 ms against 25 us); the figures are in the report of the change.
    """
    assert spell(su, ["**/" * 340 + "x"])[0]["fast"] == "**/x", "repeated ** collapse to one"
    assert spell(su, ["a/" + "**/x/" * 200 + "y"])[0]["fast"] == "ERROR PC003", "200 separate ** are refused"
    assert spell(su, ["a/**/b/**/c/**/d/**/e/**/f"])[0]["fast"] == "ERROR PC003", "5 separate ** are refused"
    worst = "".join(f"**/{'x' * 113}#{'*'}/" for _ in range(4)) + "y"
    ordinary = "src/**/#*.py"
    assert spell(su, [worst.replace("#", "1")])[0]["fast"] == worst.replace("#", "1"), "the worst case is allowed"
    f = "src/" + "/".join("d" * 3 for _ in range(40)) + "/file.py"
    ratios = []
    for _ in range(5):
        o = _overlap_micros(su, f, ordinary, 200)
        w = _overlap_micros(su, f, worst, 200)
        ratios.append(w / o)
    ratio = statistics.median(ratios)
    print(f"\nworst allowed glob / src/**/*.py, paths_overlap with a fresh regex: {ratio:.1f}x (rounds {[round(r, 1) for r in ratios]})")
    assert ratio < 60


def test_INV_LOCK_EXCL_check_locks_is_bounded(db, make_agent):
    """check_locks takes at most 100 paths (PC002 beyond, nothing written)."""
    _, agent = make_agent()
    before = db.scalar("SELECT count(*) FROM coord_private.audit_events")
    with pytest.raises(errors.InvalidArgument):
        agent.rows("check_locks", [f"p/{i}.py" for i in range(101)])
    assert agent.rows("check_locks", [f"p/{i}.py" for i in range(100)]) == []
    assert db.scalar("SELECT count(*) FROM coord_private.audit_events") == before


# ---------------------------------------------------------------- the case rule under concurrency

def _waits_then_answers(db, waiter: psycopg.Connection, query: str, blocker: psycopg.Connection) -> dict:
    """Run query on waiter (in a thread) until its backend waits for a lock, then commit
    blocker's transaction; what the query came to: {"row": ...} or {"error": SQLSTATE}."""
    outcome: dict = {}

    def run() -> None:
        try:
            outcome["row"] = waiter.execute(query).fetchone()
        except psycopg.Error as exc:
            outcome["error"] = exc.diag.sqlstate

    t = threading.Thread(target=run)
    t.start()
    pid = waiter.info.backend_pid
    wait_until(lambda: pid in db.lock_waiters([pid]), f"backend {pid} to wait for a lock", 20, poll=0.02)
    blocker.commit()
    t.join(30)
    assert not t.is_alive(), f"{query} still waiting 30 s after the blocker committed"
    return outcome


def test_INV_LOCK_EXCL_a_request_spelled_under_the_old_case_rule_is_not_granted(db, make_agent):
    """set_path_case holds the root line; an acquire of VICTIM/SECRET.PY spelled before the switch is refused (PC021)."""
    _, victim = make_agent()
    mallory_role, _ = make_agent()
    admin_role = db.create_role("coord_admin", prefix="admin")
    admin = psycopg.connect(db.role_dsn(admin_role))            # one transaction, held open
    mallory = psycopg.connect(db.role_dsn(mallory_role), autocommit=True)
    try:
        row = admin.execute("SELECT ok FROM coord.set_path_case('insensitive', 'pytest: race')").fetchone()
        assert row[0] is True
        outcome = _waits_then_answers(
            db, mallory, "SELECT ok, path FROM coord.acquire_lock('VICTIM/SECRET.PY', '60 s')", admin)
        assert outcome == {"error": "PC021"}, outcome
        assert db.scalar("SELECT count(*) FROM coord_private.locks WHERE lower(path) = 'victim/secret.py'") == 0
        # retried, the request is spelled under the rule now in force
        assert mallory.execute("SELECT ok, path FROM coord.acquire_lock('VICTIM/SECRET.PY', '60 s')").fetchone() \
            == (True, "victim/secret.py")
        assert victim.acquire_lock("Victim/Secret.py", 60, raise_on_refusal=False)["reason"] == "lock_held_by_other"
    finally:
        admin.close()
        mallory.close()


def test_INV_LOCK_EXCL_the_case_rule_waits_for_an_in_flight_grant_and_refuses(db, make_agent):
    """A grant whose transaction is still open makes set_path_case wait for it, then refuse (PC021)."""
    agent_role, _ = make_agent()
    admin_role = db.create_role("coord_admin", prefix="admin")
    agent = psycopg.connect(db.role_dsn(agent_role))            # one transaction, held open
    admin = psycopg.connect(db.role_dsn(admin_role), autocommit=True)
    try:
        assert agent.execute("SELECT ok FROM coord.acquire_lock('src/Main.py', '60 s')").fetchone()[0] is True
        outcome = _waits_then_answers(db, admin, "SELECT ok FROM coord.set_path_case('insensitive', 'pytest')", agent)
        assert outcome == {"error": "PC021"}, outcome
        assert db.scalar("SELECT path_case FROM coord_private.settings") == "sensitive"
    finally:
        agent.close()
        admin.close()
