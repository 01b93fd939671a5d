"""Network policy through the database: normalisation, IDN, wildcards, priorities.

Properties (hypothesis), each checked against PostgreSQL:
* punycode: coord_private.normalize_host of an internationalised name equals Python's
  IDNA codec (encodings.idna) for known IDNs and for generated labels;
* normalisation is idempotent, and a URL around a host (scheme, userinfo, port, path,
  upper case, trailing dot) normalises to the same domain as the bare host;
* a wildcard '*.base' allows exactly the proper subdomains of base: generated host
  names that are not (base itself, base with a suffix, base glued to another label,
  look-alikes with % or _) are never allowed by it;
* the decision follows the documented rule over random rule sets: among the global
  rules and the caller's profile rules that match, the highest priority wins, deny
  wins ties, no match denies.
Every check in the last two runs as a real agent (coord.check_network_access, with its
audit event), inside a transaction that is rolled back.
"""
from __future__ import annotations

import contextlib
import re
import string

import psycopg
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from psycopg import sql

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

KNOWN_IDNS = [
    "bücher.example", "münchen.de", "пример.рф", "例え.jp", "ελληνικά.gr", "español.com", "中文.com",
    "café.fr", "ñandú.ar", "bücher.münchen.de", "δοκιμή.gr", "испытание.рф", "日本語.jp", "한국어.kr",
]

# Characters whose IDNA2003 nameprep is the identity (lower case, NFKC-stable, not
# mapped): so Python's codec and the database must agree on them exactly.
IDN_CHARS = (
    string.ascii_lowercase + string.digits
    + "".join(chr(c) for c in range(0xE0, 0xFF) if c not in (0xF7,))      # à .. þ (no ÷)
    + "".join(chr(c) for c in range(0x3B1, 0x3CA) if c != 0x3C2)           # α .. ω (no final ς)
    + "".join(chr(c) for c in range(0x430, 0x450))                         # а .. я
    + "".join(chr(c) for c in range(0x4E00, 0x4E80))                       # CJK
    + "".join(chr(c) for c in range(0x3042, 0x3094))                       # hiragana
)


@pytest.fixture(scope="module")
def su(module_db):
    return module_db.su


@pytest.fixture(scope="module")
def agent(module_db):
    role, _client = module_db.agent("implementer")
    return role


class PC002(Exception):
    """coord_private.normalize_host refused the host (SQLSTATE PC002)."""


def pc002(exc: psycopg.Error) -> PC002:
    if exc.diag.sqlstate != "PC002":
        raise exc
    assert exc.diag.message_detail and exc.diag.message_hint, "PC002 carries DETAIL and HINT"
    return PC002(exc.diag.message_detail)


def normalize(su, target: str) -> str:
    try:
        return su.execute("SELECT coord_private.normalize_host(%s) AS d", (target,)).fetchone()["d"]
    except psycopg.Error as exc:
        raise pc002(exc) from exc


@contextlib.contextmanager
def rolled_back(su):
    """A transaction on the superuser connection that is always rolled back."""
    with su.transaction(force_rollback=True):
        yield


def check_as(su, role: str, target: str) -> dict:
    """coord.check_network_access as the agent role (inside the caller's transaction)."""
    su.execute(sql.SQL("SET LOCAL SESSION AUTHORIZATION {}").format(sql.Identifier(role)))
    try:
        row = su.execute("SELECT * FROM coord.check_network_access(%s)", (target,)).fetchone()
    except psycopg.Error as exc:
        raise pc002(exc) from exc     # the transaction is aborted; its rollback resets the role
    su.execute("RESET SESSION AUTHORIZATION")
    return row


# ---------------------------------------------------------------- punycode

@pytest.mark.parametrize("name", KNOWN_IDNS)
def test_known_idns_match_python_idna(su, name):
    assert normalize(su, name) == name.encode("idna").decode("ascii")
    assert normalize(su, "https://" + name.upper() + ":443/x") == name.encode("idna").decode("ascii")


def test_bucher_example(su):
    assert normalize(su, "bücher.example") == "xn--bcher-kva.example"


@SETTINGS
@given(label=st.text(alphabet=IDN_CHARS, min_size=1, max_size=20))
def test_punycode_equals_python_idna(su, label):
    name = label + ".example"
    try:
        expected = name.encode("idna").decode("ascii")
    except UnicodeError:          # a label over 63 octets once encoded: the database refuses it too
        assume(False)
    assert normalize(su, name) == expected


# ---------------------------------------------------------------- normalisation

LABEL = st.text(alphabet=string.ascii_lowercase + string.digits + "_", min_size=1, max_size=12)
UNICODE_LABEL = st.text(alphabet=IDN_CHARS, min_size=1, max_size=8)
HOST = st.lists(st.one_of(LABEL, LABEL, UNICODE_LABEL), min_size=1, max_size=5).map(".".join)


@SETTINGS
@given(host=HOST, scheme=st.sampled_from(["", "https://", "http://", "ssh://", "//"]),
       userinfo=st.sampled_from(["", "user@", "user:pw@", "a@b@"]),
       port=st.sampled_from(["", ":443", ":8080", ":"]), path=st.sampled_from(["", "/", "/x/y?q=1#f", "?a", "#b"]),
       upper=st.booleans(), dot=st.booleans())
def test_normalisation_is_idempotent_and_strips_url_parts(su, host, scheme, userinfo, port, path, upper, dot):
    try:
        bare = normalize(su, host)
    except PC002:
        assume(False)
    assert normalize(su, bare) == bare, "idempotent"
    target = scheme + userinfo + (host.upper() if upper else host) + ("." if dot else "") + port + path
    if not scheme and (userinfo or path or port):
        target = "https://" + target
    assert normalize(su, target) == bare


@pytest.mark.parametrize("target", ["%", "git%ub.com", "%.github.com", "a b.com", "a..b", "-a.com", "a-.com",
                                    "127.1", "0x7f.0.0.1", "2130706433", "010.0.0.1", "host:port", "", "   ",
                                    "*.github.com", "a" * 64 + ".com"])
def test_invalid_hosts_raise_pc002(su, target):
    with pytest.raises(PC002):
        normalize(su, target)


# ---------------------------------------------------------------- wildcards

TLD = st.text(alphabet=string.ascii_lowercase, min_size=1, max_size=6)     # a numeric last label would be an IP
BASE = st.tuples(st.lists(LABEL, max_size=2), TLD).map(lambda t: ".".join(t[0] + [t[1]]))


def looks_alike(base: str) -> st.SearchStrategy[str]:
    return st.one_of(
        st.just(base),                                                        # the base itself
        LABEL.map(lambda x: f"{x}.{base}"),                                   # a subdomain
        st.tuples(LABEL, LABEL).map(lambda t: f"{t[0]}.{t[1]}.{base}"),       # a deeper subdomain
        LABEL.map(lambda x: f"{base}.{x}"),                                   # base.evil
        LABEL.map(lambda x: f"{x}.{base}.{x}"),                               # sub.base.evil
        LABEL.map(lambda x: f"{x}{base}"),                                    # evilbase
        LABEL.map(lambda x: f"{x}_{base}"),                                   # x_base
        st.just("_" + base), st.just("%." + base), st.just(base.replace(".", "_", 1)),
        HOST,                                                                 # anything
    )


@SETTINGS
@given(data=st.data(), base=BASE)
def test_wildcard_matches_exactly_the_proper_subdomains(su, agent, data, base):
    host = data.draw(looks_alike(base))
    try:
        with rolled_back(su):
            su.execute("SELECT * FROM coord.add_network_rule(%s, 'allow')", ("*." + base,))
            row = check_as(su, agent, host)
    except PC002:
        # a numeric last label (digits, or 0x and hex digits, as WHATWG's "ends in a
        # number") makes the name an IPv4 literal, which must be a dotted quad
        assert "%" in host or re.fullmatch(r"0x[0-9a-f]*|[0-9]+", host.rsplit(".", 1)[-1].lower()), \
            f"only % look-alikes and numeric last labels are invalid host names: {host!r}"
        return
    d, b = row["domain"].split("."), base.split(".")
    is_subdomain = len(d) > len(b) and d[-len(b):] == b
    assert row["allowed"] == is_subdomain, (host, row)
    assert row["reason"] == ("allowed" if is_subdomain else "domain_denied")
    assert (row["rule"] is not None) == is_subdomain


# ---------------------------------------------------------------- priorities

PATTERNS = ["example.com", "*.example.com", "api.example.com", "*.api.example.com", "other.org", "*.org"]
QUERIES = ["example.com", "api.example.com", "x.api.example.com", "other.org", "a.other.org", "example.com.org",
           "EXAMPLE.com.", "https://u@api.example.com:8443/p"]


def matches(pattern: str, domain: str) -> bool:
    if pattern.startswith("*."):
        return domain.endswith(pattern[1:]) and len(domain) > len(pattern) - 1
    return pattern == domain


RULE = st.tuples(st.sampled_from(PATTERNS), st.sampled_from(["allow", "deny"]), st.integers(-2, 2),
                 st.sampled_from([None, "implementer", "reviewer"]))


@SETTINGS
@given(rules=st.lists(RULE, max_size=6, unique_by=lambda r: (r[0], r[3])), query=st.sampled_from(QUERIES))
def test_decision_follows_priority_deny_ties_and_default_deny(su, agent, rules, query):
    with rolled_back(su):
        for pattern, action, priority, profile in rules:
            su.execute("SELECT * FROM coord.add_network_rule(%s, %s, %s, %s)", (pattern, action, priority, profile))
        row = check_as(su, agent, query)
    domain = row["domain"]
    applicable = [r for r in rules if r[3] in (None, "implementer") and matches(r[0], domain)]
    if not applicable:
        expected, top = False, None
    else:
        top = max(r[2] for r in applicable)
        expected = not any(r[1] == "deny" for r in applicable if r[2] == top)
    assert row["allowed"] == expected, (rules, query, row)
    assert row["reason"] == ("allowed" if expected else "domain_denied")
    if top is None:
        assert row["rule"] is None
    else:
        assert row["rule"]["priority"] == top and row["rule"]["action"] == ("allow" if expected else "deny")
        assert row["rule"]["profile"] in (None, "implementer")


def test_every_decision_is_audited_once(module_db, agent):
    su = module_db.su
    before = su.execute("SELECT count(*) AS n FROM coord_private.audit_events").fetchone()["n"]
    with rolled_back(su):
        rows = [check_as(su, agent, t) for t in ("pypi.org", "https://files.pythonhosted.org/x", "evil.net")]
        events = su.execute("SELECT event_id, operation, reason FROM coord_private.audit_events "
                            "WHERE event_id = ANY(%s) ORDER BY event_id", ([r["event_id"] for r in rows],)).fetchall()
        assert [e["operation"] for e in events] == ["network_access"] * 3
        assert [e["reason"] for e in events] == ["domain_denied"] * 3
        assert su.execute("SELECT count(*) AS n FROM coord_private.audit_events").fetchone()["n"] == before + 3
