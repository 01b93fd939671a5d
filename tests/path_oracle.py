"""An overlap oracle for lease paths, independent of coord_private.paths_overlap.

Semantics (README "File leases"), over concrete files: a file path is non-empty
segments joined by '/'.

  file      src/a.py       covers itself
  dir       src/           covers every file beneath it (one or more segments)
  glob      src/**/*.py    '*' = any run within a segment, '?' = one character of a
                           segment, '[...]' / '[!...]' = one character in / not in the
                           class (the first character after '[' or '[!' belongs to the
                           class even if it is ']'; 'x-y' is a code-point range),
                           '**' = any number of whole segments (at least one when it is
                           the last segment: 'a/**' covers what 'a/' covers)

`path_regex` turns a normalised path into a Python regular expression over the files
it covers. `witness(a, b)` searches for a concrete file covered by both: each '**'
(and a directory's tail) is expanded to 0-3 (trailing: 1-3) generic segments, the two
segment lists are aligned, and for each position a common segment is built by
instantiating the wildcards of one side with literal text of the other, class
members, the empty string or a fixed letter. Every candidate is tested against both
full-path regexes; a witness is also a path pgcoord accepts as a file (NFC, no '.'
or '..' segment, no segment ending with '.' or a space or starting with a space, no
wildcard character). None means undecided, not disjoint.
"""
from __future__ import annotations

import itertools
import re
import unicodedata
from functools import lru_cache

WILDCARDS = "*?["
SEGS1 = r"[^/]+(?:/[^/]+)*"          # one or more segments
SEGS0 = r"(?:[^/]+/)*"               # zero or more segments, each followed by '/'
FILL = "x"                           # the fixed letter
MAX_EXTRA = 3                        # a '**' stands for at most this many segments
MAX_CANDIDATES = 4000                # per segment pair


def kind(p: str) -> str:
    if any(c in p for c in WILDCARDS):
        return "glob"
    return "dir" if p.endswith("/") else "file"


# -- segment tokens -----------------------------------------------------------------
# ('lit', text) | ('star',) | ('any',) | ('class', negated, ((lo, hi), ...))

def parse_segment(seg: str) -> tuple[tuple, ...]:
    out: list[tuple] = []
    lit = ""
    i, n = 0, len(seg)
    while i < n:
        c = seg[i]
        if c == "*":
            if lit:
                out.append(("lit", lit))
                lit = ""
            out.append(("star",))
            i += 1
        elif c == "?":
            if lit:
                out.append(("lit", lit))
                lit = ""
            out.append(("any",))
            i += 1
        elif c == "[":
            if lit:
                out.append(("lit", lit))
                lit = ""
            k = i + 1
            neg = k < n and seg[k] == "!"
            if neg:
                k += 1
            end = seg.find("]", k + 1)          # the first character is a member even if ']'
            if end < 0:
                raise ValueError(f"unbalanced class in {seg!r}")
            body = seg[k:end]
            items: list[tuple[int, int]] = []
            j = 0
            while j < len(body):
                if j + 2 < len(body) and body[j + 1] == "-":
                    items.append((ord(body[j]), ord(body[j + 2])))
                    j += 3
                else:
                    items.append((ord(body[j]), ord(body[j])))
                    j += 1
            out.append(("class", neg, tuple(items)))
            i = end + 1
        else:
            lit += c
            i += 1
    if lit:
        out.append(("lit", lit))
    return tuple(out)


def _cp(c: int) -> str:
    return f"\\U{c:08x}"


def token_regex(t: tuple) -> str:
    if t[0] == "lit":
        return re.escape(t[1])
    if t[0] == "star":
        return "[^/]*"
    if t[0] == "any":
        return "[^/]"
    _, neg, items = t
    body = "".join(_cp(lo) if lo == hi else f"{_cp(lo)}-{_cp(hi)}" for lo, hi in items)
    return f"[^/{body}]" if neg else f"[{body}]"


def segment_regex(seg: str) -> str:
    return "".join(token_regex(t) for t in parse_segment(seg))


@lru_cache(maxsize=None)
def path_regex(p: str) -> re.Pattern[str]:
    """The files a normalised path covers, as an anchored Python regex (use fullmatch)."""
    k = kind(p)
    if k == "file":
        return re.compile(re.escape(p))
    if k == "dir":
        return re.compile(re.escape(p) + SEGS1)
    segs = p.split("/")
    out = ""
    for i, s in enumerate(segs):
        last = i == len(segs) - 1
        if s == "**":
            out += SEGS1 if last else SEGS0
        else:
            out += segment_regex(s) + ("" if last else "/")
    return re.compile(out)


def valid_segment(s: str) -> bool:
    return (s != "" and s not in (".", "..") and "/" not in s and "\\" not in s
            and not any(c in s for c in WILDCARDS)
            and not any(ord(c) < 32 or ord(c) == 127 for c in s)
            and not s.endswith(".") and not s.endswith(" ") and not s.startswith(" ")
            and unicodedata.is_normalized("NFC", s))


def valid_file(f: str) -> bool:
    return unicodedata.is_normalized("NFC", f) and all(valid_segment(s) for s in f.split("/"))


def covers(p: str, f: str) -> bool:
    return valid_file(f) and path_regex(p).fullmatch(f) is not None


# -- witness search ---------------------------------------------------------------------
# A position of an aligned path: ('lit', text) | ('glob', tokens, text) | ('gen',)

def _positions(p: str) -> list[tuple]:
    """Segment patterns; '**' is ('**', min) with min 0 in the middle, 1 at the end."""
    k = kind(p)
    body = p[:-1] if k == "dir" else p
    segs = body.split("/")
    out: list[tuple] = []
    for i, s in enumerate(segs):
        if k == "glob" and s == "**":
            out.append(("**", 1 if i == len(segs) - 1 else 0))
        elif k == "glob" and any(c in s for c in WILDCARDS):
            out.append(("glob", parse_segment(s), s))
        else:
            out.append(("lit", s))
    if k == "dir":
        out.append(("**", 1))
    return out


def _expansions(pos: list[tuple]) -> list[list[tuple]]:
    stars = [i for i, x in enumerate(pos) if x[0] == "**"]
    ranges = [range(pos[i][1], MAX_EXTRA + 1) for i in stars]
    out = []
    for counts in itertools.product(*ranges):
        seq: list[tuple] = []
        c = iter(counts)
        for x in pos:
            if x[0] == "**":
                seq.extend([("gen",)] * next(c))
            else:
                seq.append(x)
        out.append(seq)
    return out


def _texts(pos: tuple) -> tuple[list[str], list[str]]:
    """Literal runs and single characters (literals and class members) of a position."""
    if pos[0] == "lit":
        return [pos[1]], list(pos[1])
    if pos[0] == "gen":
        return [], []
    runs, chars = [], []
    for t in pos[1]:
        if t[0] == "lit":
            runs.append(t[1])
            chars.extend(t[1])
        elif t[0] == "class":
            for lo, hi in t[2]:
                chars.extend({chr(lo), chr(hi)})
    return runs, chars


def _choices(t: tuple, runs: list[str], chars: list[str]) -> list[str]:
    if t[0] == "lit":
        return [t[1]]
    if t[0] == "star":
        return list(dict.fromkeys(["", FILL, *runs, *chars]))
    if t[0] == "any":
        return list(dict.fromkeys([FILL, *chars]))
    _, neg, items = t
    if neg:
        return list(dict.fromkeys([FILL, "a", "0", *chars]))
    return list(dict.fromkeys(c for lo, hi in items for c in (chr(lo), chr(hi), chr(min(lo + 1, hi)))))


def _instantiate(pos: tuple, other: tuple) -> list[str]:
    if pos[0] == "lit":
        return [pos[1]]
    runs, chars = _texts(other)
    if pos[0] == "gen":
        return list(dict.fromkeys([FILL, *runs, *chars]))
    out = []
    for combo in itertools.product(*(_choices(t, runs, chars) for t in pos[1])):
        out.append("".join(combo))
        if len(out) >= MAX_CANDIDATES:
            break
    return out


def _pos_regex(pos: tuple) -> re.Pattern[str]:
    if pos[0] == "lit":
        return re.compile(re.escape(pos[1]))
    if pos[0] == "gen":
        return re.compile("[^/]+")
    return re.compile(segment_regex(pos[2]))


@lru_cache(maxsize=None)
def _common_segment(pa: tuple, pb: tuple) -> str | None:
    ra, rb = _pos_regex(pa), _pos_regex(pb)
    for cand in itertools.chain(_instantiate(pa, pb), _instantiate(pb, pa)):
        if valid_segment(cand) and ra.fullmatch(cand) and rb.fullmatch(cand):
            return cand
    return None


@lru_cache(maxsize=None)
def witness(a: str, b: str) -> str | None:
    """A concrete file covered by both normalised paths, or None (undecided)."""
    pa, pb = _positions(a), _positions(b)
    for ea in _expansions(pa):
        for eb in _expansions(pb):
            if len(ea) != len(eb):
                continue
            segs = []
            for x, y in zip(ea, eb, strict=True):
                s = _common_segment(x, y)
                if s is None:
                    break
                segs.append(s)
            else:
                f = "/".join(segs)
                # the constructed file must really be covered by both (full-path regexes)
                if covers(a, f) and covers(b, f):
                    return f
    return None
