"""`pgcoord hook pre-tool-use` against the real database.

The payloads are the JSON Claude Code and Codex send, written from their hook
documentation (tests/hook_payloads/; `$REPO` is this test's repository, `$OTHER`
another agent). Each agent is a login role of its own whose connection is the hook's
identity (PGCOORD_DSN). Decisions are asked in-process through `hooks.decide` over a
libpq connection (what the command runs), and as a subprocess through the installed
`pgcoord hook pre-tool-use` and through the fast script form that `pgcoord hook
install` prints; each decision that reaches the database is found in the agent's own
audit events.
"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from pgcoord import hooks

from .helpers import Database
from .hook_helpers import ENTRIES, PAYLOADS, agent, lease, payload, run_hook

# -- set-up ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def net_db(module_db: Database) -> Database:
    """The module's database with network rules: *.allowed.example and allowed.example are
    allowed, everything else is denied by the default (no rule)."""
    admin = module_db.create_role("coord_admin, coord_auditor", prefix="admin")
    with module_db.session(admin) as s:
        for pattern in ("allowed.example", "*.allowed.example"):
            assert s.execute("SELECT ok FROM coord.add_network_rule(%s, 'allow')", (pattern,)).fetchone()["ok"]
    return module_db


@pytest.fixture
def net(net_db: Database) -> Iterator[Database]:
    """The shared database; afterwards its clock moves a day on, so no lease a test took
    outlives it (INV-LOCK-EXPIRY: at most 24 h)."""
    yield net_db
    net_db.advance_clock(86401)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "src" / "app").mkdir(parents=True)
    (root / ".git").mkdir()            # what the hook looks for; git itself is exercised in test_hooks_git
    (root / "src" / "app" / "users.py").write_text("def get_user(id):\n    return db.get(id)\n")
    return root


def ask(db: Database, role: str, p: dict, config: hooks.Config | None = None) -> hooks.Decision:
    conn = hooks.connect(db.role_dsn(role))
    try:
        return hooks.decide(p, conn, config or hooks.Config())
    finally:
        conn.close()


def my_events(db: Database, role: str, event_ids: list[int]) -> dict[int, dict]:
    """The agent's own audit events (coord.my_audit_events) with these ids."""
    with db.session(role) as s:
        rows = s.execute("SELECT * FROM coord.my_audit_events WHERE event_id = ANY(%s)", (event_ids,)).fetchall()
    return {r["event_id"]: r for r in rows}


def assert_denied(proc: subprocess.CompletedProcess, *fragments: str) -> str:
    """Exit 2, the reason on stderr, the same decision as hookSpecificOutput on stdout, no traceback."""
    err = proc.stderr.decode()
    assert proc.returncode == 2, (proc.returncode, proc.stdout, err)
    assert "Traceback" not in err and "Traceback" not in proc.stdout.decode()
    out = json.loads(proc.stdout)["hookSpecificOutput"]
    assert out["hookEventName"] == "PreToolUse" and out["permissionDecision"] == "deny"
    assert out["permissionDecisionReason"].strip() == err.strip()
    for f in fragments:
        assert f in err, (f, err)
    return err


# -- file edits: a live exclusive lease of the calling agent ----------------------------------

@pytest.mark.parametrize("name", ["claude_edit.json", "claude_write.json", "claude_multiedit.json",
                                  "claude_notebookedit.json"])
def test_INV_LOCK_EXCL_edit_tools_need_a_covering_lease(net, repo, name):
    role = agent(net)
    p = payload(name, repo)
    denied = ask(net, role, p)
    assert not denied.allow and denied.code == "lease_required"
    assert "no live lease" in denied.reason and role in denied.reason
    # a directory lease covers every file below it; the notebook lives elsewhere
    lease(net, role, "src/")
    lease(net, role, "notebooks/")
    allowed = ask(net, role, p)
    assert allowed.allow and allowed.code == "allowed", allowed
    # both decisions were audited as the agent (the path check is a check_guardrails event)
    events = my_events(net, role, denied.event_ids + allowed.event_ids)
    assert len(events) == 2 and {e["operation"] for e in events.values()} == {"check_guardrails"}
    relpath = hooks.repo_relative(str(repo), str(repo), p["tool_input"].get("file_path")
                                  or p["tool_input"]["notebook_path"])
    assert all(e["context"]["paths"] == [relpath] for e in events.values())


def test_INV_LOCK_EXCL_lease_of_another_agent_is_named(net, repo):
    me, other = agent(net), agent(net)
    held = lease(net, other, "src/app/")
    d = ask(net, me, payload("claude_edit.json", repo))
    assert not d.allow and d.code == "lease_required"
    assert f"leased by {other} (exclusive on src/app/, until" in d.reason
    assert str(held["expires_at"].year) in d.reason


def test_INV_LOCK_EXCL_a_shared_lease_is_not_enough_to_write(net, repo):
    role = agent(net)
    lease(net, role, "src/app/users.py", mode="shared")
    d = ask(net, role, payload("claude_edit.json", repo))
    assert not d.allow and "shared" in d.reason


def test_INV_LOCK_EXPIRY_an_expired_lease_covers_nothing(db, repo):
    role = agent(db)
    lease(db, role, "src/", ttl=60)
    assert ask(db, role, payload("claude_edit.json", repo)).allow
    db.advance_clock(61)
    d = ask(db, role, payload("claude_edit.json", repo))
    assert not d.allow and d.code == "lease_required"


def test_glob_characters_in_a_file_name(net, repo):
    """`[slug]` is a glob to the database: a lease on another file it matches covers
    nothing; the same spelling, or a directory above it, does."""
    role = agent(net)
    p = payload("claude_write.json", repo)
    p["tool_input"]["file_path"] = str(repo / "src/pages/[slug]/page.tsx")
    lease(net, role, "src/pages/s/page.tsx")
    d = ask(net, role, p)
    assert not d.allow and d.code == "lease_required"
    lease(net, role, "src/pages/[slug]/page.tsx")
    assert ask(net, role, p).allow


def test_paths_outside_the_repository_are_denied(net, repo, tmp_path):
    role = agent(net)
    lease(net, role, "src/")
    p = payload("claude_write.json", repo)
    for target, code in [("/etc/passwd", "outside_repository"),
                         (str(repo / "src/../../elsewhere.py"), "outside_repository"),
                         (str(repo / ".git/hooks/pre-commit"), "git_metadata")]:
        p["tool_input"]["file_path"] = target
        d = ask(net, role, p)
        assert not d.allow and d.code == code, (target, d)
        assert d.event_ids == []                      # refused before the database is asked
    # a symlink inside the repository that leads out of it
    outside = tmp_path / "outside"
    outside.mkdir()
    (repo / "src" / "link").symlink_to(outside)
    p["tool_input"]["file_path"] = str(repo / "src/link/x.py")
    d = ask(net, role, p)
    assert not d.allow and d.code == "outside_repository" and str(outside) in d.reason


def test_relative_paths_resolve_against_cwd(net, repo):
    role = agent(net)
    lease(net, role, "src/app/users.py")
    p = payload("claude_edit.json", repo)
    p["cwd"] = str(repo / "src")
    p["tool_input"]["file_path"] = "app/users.py"
    d = ask(net, role, p)
    assert d.allow, d


def test_path_guardrails_apply_to_writes(net, repo):
    role = agent(net)
    lease(net, role, "config/")
    p = payload("claude_write.json", repo)
    p["tool_input"]["file_path"] = str(repo / "config/.env")
    d = ask(net, role, p)
    assert not d.allow and d.code == "guardrail_blocked" and "cred_secret_paths" in d.reason
    assert my_events(net, role, d.event_ids)[d.event_ids[0]]["reason"] == "guardrail_blocked"


# -- automatic leases -------------------------------------------------------------------------

def test_auto_acquire_takes_the_lease_through_the_database(net, repo):
    role = agent(net)
    d = ask(net, role, payload("claude_edit.json", repo), hooks.Config(on_unleased="acquire", lease_ttl=120))
    assert d.allow and "leased src/app/users.py" in d.context and "120 s" in d.context
    with net.session(role) as s:
        live = s.execute("SELECT path, mode, holder FROM coord.live_locks WHERE holder = %s", (role,)).fetchall()
    assert live == [{"path": "src/app/users.py", "mode": "exclusive", "holder": role}]
    events = my_events(net, role, d.event_ids)
    assert [events[i]["operation"] for i in d.event_ids] == ["check_guardrails", "acquire_lock"]
    assert events[d.event_ids[1]]["resource"] == "src/app/users.py" and events[d.event_ids[1]]["proceeded"]
    # the lease now covers the next edit without another acquire
    again = ask(net, role, payload("claude_edit.json", repo), hooks.Config(on_unleased="acquire"))
    assert again.allow and again.context is None and len(again.event_ids) == 1


def test_INV_LOCK_EXCL_auto_acquire_refused_names_holder_and_expiry(net, repo):
    me, other = agent(net), agent(net)
    lease(net, other, "src/app/users.py")
    d = ask(net, me, payload("claude_multiedit.json", repo), hooks.Config(on_unleased="acquire"))
    assert not d.allow and d.code == "lock_held_by_other"
    assert f"held by {other} (exclusive on src/app/users.py, until" in d.reason
    refusal = my_events(net, me, d.event_ids)[d.event_ids[-1]]
    assert refusal["operation"] == "acquire_lock" and not refusal["proceeded"]


def test_INV_TRUST_auto_acquire_refused_by_policy(net, repo):
    reviewer = agent(net, "reviewer")                  # trust 1: may check, may not lease
    d = ask(net, reviewer, payload("claude_write.json", repo), hooks.Config(on_unleased="acquire"))
    assert not d.allow and d.code == "trust_too_low", d


def test_codex_apply_patch_needs_every_file_leased(net, repo):
    role = agent(net)
    p = payload("codex_apply_patch.json", repo)
    lease(net, role, "src/")
    d = ask(net, role, p)
    assert not d.allow and d.code == "lease_required"
    for path in ("lib/slugify.py", "docs/obsolete.md"):
        assert f"{path}: no live lease" in d.reason
    assert "src/app/new_name.py:" not in d.reason       # the move's both sides are under src/
    lease(net, role, "lib/slugify.py")
    lease(net, role, "docs/")
    d = ask(net, role, p)
    assert d.allow, d
    paths = my_events(net, role, d.event_ids)[d.event_ids[0]]["context"]["paths"]
    assert sorted(paths) == ["docs/obsolete.md", "lib/slugify.py", "src/app/new_name.py", "src/app/old_name.py",
                             "src/app/users.py"]


# -- shell commands and the network -----------------------------------------------------------

def test_bash_goes_through_the_guardrails(net, repo):
    role = agent(net)
    ok = ask(net, role, payload("claude_bash.json", repo))
    assert ok.allow and ok.code == "allowed"
    blocked = ask(net, role, payload("claude_bash_destructive.json", repo))
    assert not blocked.allow and blocked.code == "guardrail_blocked"
    assert "git_rewrite_history (git, block)" in blocked.reason
    events = my_events(net, role, ok.event_ids + blocked.event_ids)
    assert [events[i]["operation"] for i in ok.event_ids + blocked.event_ids] == ["check_guardrails"] * 2
    assert events[blocked.event_ids[0]]["context"]["excerpt"] == "git push --force origin main"


def test_bash_network_targets_go_through_the_network_policy(net, repo):
    role = agent(net)
    ok = ask(net, role, payload("claude_bash_curl.json", repo))
    assert ok.allow, ok
    denied = ask(net, role, payload("claude_bash_wget_denied.json", repo))
    assert not denied.allow and denied.code == "domain_denied" and "downloads.unlisted.example" in denied.reason
    events = my_events(net, role, ok.event_ids + denied.event_ids)
    ops = [(events[i]["operation"], events[i]["resource"]) for i in ok.event_ids + denied.event_ids]
    assert ops == [("check_guardrails", ops[0][1]), ("network_access", "api.allowed.example"),
                   ("check_guardrails", ops[2][1]), ("network_access", "downloads.unlisted.example")]
    # targets inside bash -c, and one computed at run time
    p = payload("claude_bash.json", repo)
    p["tool_input"]["command"] = "bash -c 'curl -s https://x.unlisted.example/a'"
    assert ask(net, role, p).code == "domain_denied"
    p["tool_input"]["command"] = 'curl -s "$ENDPOINT/v1"'
    d = ask(net, role, p)
    assert not d.allow and d.code == "dynamic_target"
    # a URL a command only prints is no network access
    p["tool_input"]["command"] = "echo 'docs at https://x.unlisted.example'"
    assert ask(net, role, p).allow


def test_codex_bash_git_over_ssh(net, repo):
    role = agent(net)
    d = ask(net, role, payload("codex_bash.json", repo))
    assert not d.allow and d.code == "domain_denied" and "github.com" in d.reason


def test_bash_request_carries_the_workspace_and_cwd(repo, tmp_path):
    """A command is asked with the repository root as its workspace and the payload's cwd:
    PGCOORD_REPO_ROOT first, else the nearest .git above cwd; outside a repository, or
    with no cwd in the payload, that one is unknown (NULL), not a denial. A cwd that is
    there but not absolute is refused, as for an edit."""
    p = payload("claude_bash.json", repo)
    p["cwd"] = str(repo / "src" / "app")
    r = hooks.request_from_payload(p, hooks.Config())
    assert (r.kind, r.workspace, r.cwd) == ("command", os.path.realpath(repo), str(repo / "src" / "app"))
    r = hooks.request_from_payload(p, hooks.Config(repo_root="/srv/app"))
    assert (r.workspace, r.cwd) == ("/srv/app", str(repo / "src" / "app"))
    elsewhere = tmp_path / "not-a-repo"
    elsewhere.mkdir()
    p["cwd"] = str(elsewhere)
    r = hooks.request_from_payload(p, hooks.Config())
    assert (r.workspace, r.cwd) == (None, str(elsewhere))
    del p["cwd"]
    r = hooks.request_from_payload(p, hooks.Config())
    assert (r.workspace, r.cwd) == (None, None)
    assert hooks.request_from_payload(p, hooks.Config(repo_root="/srv/app")).workspace == "/srv/app"
    for bad in ("src", "", 42):
        p["cwd"] = bad
        with pytest.raises(hooks.HookError) as raised:
            hooks.request_from_payload(p, hooks.Config())
        assert raised.value.code == "invalid_payload" and "cwd" in raised.value.message


def test_bash_asks_the_check_with_workspace_and_cwd_null_when_unknown(repo):
    """The statement a command is asked with: the workspace ($3) and cwd ($4) by name,
    NULL when unknown."""
    class Recorder:
        def __init__(self):
            self.asked = []

        def query_json(self, statement, params=()):
            self.asked.append((statement, list(params)))
            return {"guard": {"ok": True, "reason": "allowed", "blocked": False, "guardrails": [], "event_id": 1},
                    "network": []}

    p = payload("claude_bash.json", repo)
    db = Recorder()
    assert hooks.decide(p, db).allow
    statement, params = db.asked[-1]
    assert "check_guardrails($1, '{}', p_workspace => $3, p_cwd => $4)" in statement
    assert params == [p["tool_input"]["command"], "[]", os.path.realpath(repo), str(repo)]
    del p["cwd"]
    assert hooks.decide(p, db).allow
    statement, params = db.asked[-1]
    assert "check_guardrails($1, '{}', p_workspace => $3, p_cwd => $4)" in statement
    assert params == [p["tool_input"]["command"], "[]", None, None]


def test_bash_paths_resolve_against_the_repository_root_and_cwd(net, repo):
    """(needs the four-argument coord.check_guardrails) The hook passes the repository root
    and the payload's cwd: the root itself may not be deleted, a build directory in it may;
    from / (no repository), `rm -rf etc` is /etc; PGCOORD_REPO_ROOT is a workspace too."""
    role = agent(net)
    p = payload("claude_bash.json", repo)
    p["tool_input"]["command"] = f"rm -rf {repo}"
    d = ask(net, role, p)
    assert not d.allow and d.code == "guardrail_blocked", d
    p["tool_input"]["command"] = f"rm -rf {repo}/build && cd src && rm -rf app/__pycache__"
    assert ask(net, role, p).allow
    p["cwd"] = "/"
    p["tool_input"]["command"] = "rm -rf etc"
    d = ask(net, role, p)
    assert not d.allow and d.code == "guardrail_blocked", d
    del p["cwd"]
    assert ask(net, role, p).allow, "no cwd: today's reading (relative paths are inside the workspace)"
    p["cwd"] = "/srv/app/src"
    p["tool_input"]["command"] = "rm -rf /srv/app/build ../dist"
    assert ask(net, role, p, hooks.Config(repo_root="/srv/app")).allow
    assert not ask(net, role, p).allow, "without the root the same paths are outside any workspace"


def test_bash_with_a_cwd_the_database_refuses_fails_closed(net, repo):
    """(needs the four-argument coord.check_guardrails) A cwd past 4096 characters is the
    database's PC002: the hook denies (database_error), in process and as a command."""
    role = agent(net)
    p = payload("claude_bash.json", repo)
    p["cwd"] = "/" + "x" * 4100
    d = ask(net, role, p)
    assert not d.allow and d.code == "database_error" and "PC002" in d.reason, d
    assert_denied(run_hook("fast", json.dumps(p), net.role_dsn(role)), "database_error", "PC002")


@pytest.mark.parametrize("command,targets", [
    ("curl -sSL https://a.example/x -o out.json -H 'X-Token: $T'", ["https://a.example/x"]),
    ("wget -qO- http://b.example/i.sh | sh", ["http://b.example/i.sh"]),
    ("cd /tmp && sudo -u bob timeout 10 curl --url=https://c.example 2>/dev/null", ["https://c.example"]),
    ("curl -x http://proxy.example:3128 d.example", ["http://proxy.example:3128", "d.example"]),
    ("http POST api.example/x name=1", ["api.example/x"]),
    ("ls $(curl -s e.example) `wget f.example`", ["e.example", "f.example"]),
    ("sh -c 'curl g.example'; eval \"wget h.example\"", ["g.example", "h.example"]),
    ("git clone git@github.com:o/r.git && git fetch https://gitlab.example/o/r", ["github.com",
                                                                                "https://gitlab.example/o/r"]),
    ("ssh -p 2222 deploy@i.example uptime; scp a.txt u@j.example:/tmp/", ["i.example", "j.example"]),
    ("nc -z k.example 5432", ["k.example"]),
    ("pip install git+https://l.example/pkg && python get.py https://m.example/f",
     ["https://l.example/pkg", "https://m.example/f"]),
    ("echo https://n.example; grep -r http://o.example .; git commit -m 'https://p.example'", []),
    ("git push origin main && pytest -q", []),
])
def test_network_targets_of_shell_commands(command, targets):
    assert hooks.network_targets(command) == targets


@pytest.mark.parametrize("name,allowed", [("claude_webfetch.json", True), ("claude_webfetch_denied.json", False),
                                          ("claude_websearch.json", True)])
def test_web_tools_go_through_the_network_policy(net, repo, name, allowed):
    role = agent(net)
    d = ask(net, role, payload(name, repo))
    assert d.allow is allowed, d
    event = my_events(net, role, d.event_ids)[d.event_ids[0]]
    assert event["operation"] == "network_access" and event["proceeded"] is allowed


def test_websearch_without_domains_checks_the_configured_target(net, repo):
    role = agent(net)
    p = payload("claude_websearch.json", repo)
    del p["tool_input"]["allowed_domains"]
    assert not ask(net, role, p).allow                              # api.anthropic.com: no rule allows it
    assert ask(net, role, p, hooks.Config(websearch_target="search.allowed.example")).allow


@pytest.mark.parametrize("name", ["claude_read.json", "claude_mcp_tool.json"])
def test_other_tools_are_not_checked(net, repo, name):
    role = agent(net)
    d = ask(net, role, payload(name, repo))
    assert d.allow and d.code == "not_checked" and d.event_ids == []


# -- identity ---------------------------------------------------------------------------------

def test_INV_BOUNDARY_identity_is_the_connection_never_the_payload(net, repo):
    """The payload names another agent, who holds the lease: the hook is still the DSN's
    role, which holds none."""
    me, other = agent(net), agent(net)
    lease(net, other, "src/")
    p = payload("identity_spoof.json", repo, other=other)
    d = ask(net, me, p)
    assert not d.allow and f"lease of {me}" in d.reason and f"leased by {other}" in d.reason
    proc = run_hook("fast", json.dumps(p), net.role_dsn(me))
    assert_denied(proc, f"lease of {me}")
    with net.session(other) as s:
        assert s.execute("SELECT count(*) AS n FROM coord.my_audit_events WHERE operation = 'check_guardrails'"
                         ).fetchone()["n"] == 0
    with net.session(me) as s:
        assert s.execute("SELECT count(*) AS n FROM coord.my_audit_events WHERE operation = 'check_guardrails'"
                         ).fetchone()["n"] == 2


@pytest.mark.parametrize("status", ["unregistered", "suspended"])
def test_INV_TRUST_unregistered_or_suspended_agent_is_denied(net, repo, status):
    role = net.create_role("coord_agent")
    if status == "suspended":
        net.su.execute("SELECT coord.register_agent(%s, 'implementer')", (role,))
        lease(net, role, "src/")
        admin = net.create_role("coord_admin", prefix="admin")
        with net.session(admin) as s:
            s.execute("SELECT coord.set_agent_status(%s, 'suspended')", (role,))
    d = ask(net, role, payload("claude_edit.json", repo))
    assert not d.allow and d.code == ("agent_not_registered" if status == "unregistered" else "agent_suspended"), d


# -- the command: output format and failing closed ---------------------------------------------

@pytest.mark.parametrize("entry", sorted(ENTRIES))
def test_subprocess_allow_and_deny(net, repo, entry):
    role = agent(net)
    dsn = net.role_dsn(role)
    proc = run_hook(entry, json.dumps(payload("claude_edit.json", repo)), dsn)
    assert_denied(proc, "lease_required", "src/app/users.py", role)
    lease(net, role, "src/app/")
    proc = run_hook(entry, json.dumps(payload("claude_edit.json", repo)), dsn)
    assert proc.returncode == 0 and proc.stdout == b"" and proc.stderr == b"", proc
    # with auto-acquire the model is told about the lease taken for it
    proc = run_hook(entry, json.dumps(payload("claude_notebookedit.json", repo)), dsn,
                    PGCOORD_HOOK_ON_UNLEASED="acquire")
    assert proc.returncode == 0, proc
    out = json.loads(proc.stdout)["hookSpecificOutput"]
    assert out == {"hookEventName": "PreToolUse", "additionalContext": out["additionalContext"]}
    assert "leased notebooks/analysis.ipynb" in out["additionalContext"]
    # PGCOORD_HOOK_ALLOW_DECISION=allow answers "allow" with the reason
    proc = run_hook(entry, json.dumps(payload("claude_bash.json", repo)), dsn, PGCOORD_HOOK_ALLOW_DECISION="allow")
    out = json.loads(proc.stdout)["hookSpecificOutput"]
    assert proc.returncode == 0 and out["permissionDecision"] == "allow" and "allowed" in out["permissionDecisionReason"]


def test_fast_form_imports_neither_pgcoord_nor_psycopg(net, repo):
    """The fast form loads the hook's modules as a package of their own (pgcoord_hooks),
    only those pre-tool-use needs, and neither the pgcoord package nor psycopg."""
    role = agent(net)
    lease(net, role, "src/")
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PGCOORD_")}
    environment["PGCOORD_DSN"] = net.role_dsn(role)
    argv = [sys.executable, "-I", "-X", "importtime", os.path.join(hooks.HOOK_DIR, "__main__.py"), "pre-tool-use"]
    for name in ("claude_edit.json", "claude_bash.json"):
        proc = subprocess.run(argv, input=json.dumps(payload(name, repo)).encode(), capture_output=True,
                              env=environment, timeout=60)
        assert proc.returncode == 0, proc
        imported = {line.rsplit("|", 1)[1].strip() for line in proc.stderr.decode().splitlines()
                    if line.startswith("import time:") and "|" in line}
        assert "pgcoord_hooks.cli" in imported and "pgcoord_hooks.decisions" in imported, sorted(imported)
        assert not {m for m in imported if m == "pgcoord" or m.startswith(("pgcoord.", "psycopg"))}, sorted(imported)
        assert not imported & {"pgcoord_hooks.pre_commit", "pgcoord_hooks.installation"}, sorted(imported)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("entry", sorted(ENTRIES))
def test_fails_closed(net, repo, entry):
    role = agent(net)
    dsn = net.role_dsn(role)
    edit = json.dumps(payload("claude_edit.json", repo))
    cases = [
        ((PAYLOADS / "malformed.txt").read_text(), dsn, {}, "invalid_payload", "not JSON"),
        (b"\xff\xfe not utf-8", dsn, {}, "invalid_payload", "not UTF-8"),
        ("", dsn, {}, "invalid_payload", "not JSON"),
        ("[1, 2]", dsn, {}, "invalid_payload", "not a JSON object"),
        (json.dumps(payload("unknown_shape.json", repo)), dsn, {}, "invalid_payload", "tool_input is not a JSON object"),
        (json.dumps(payload("unknown_event.json", repo)), dsn, {}, "unknown_payload", "'PostToolUse', not 'PreToolUse'"),
        (json.dumps(payload("edit_without_path.json", repo)), dsn, {}, "invalid_payload",
         "tool_input.file_path is missing"),
        (edit, None, {}, "no_dsn", "PGCOORD_DSN is not set"),
        (edit, "", {}, "no_dsn", "PGCOORD_DSN is not set"),
        (edit, f"postgresql://{role}@127.0.0.1:{_closed_port()}/nodb", {}, "database_unreachable", "cannot be reached"),
        (edit, net.role_dsn("no_such_role_xyz"), {}, "database_unreachable", "cannot be reached"),
        (edit, "postgresql://[bad", {}, "database_unreachable", "cannot be reached"),
        (edit, dsn, {"PGCOORD_HOOK_ON_UNLEASED": "maybe"}, "invalid_configuration", "PGCOORD_HOOK_ON_UNLEASED='maybe'"),
        (json.dumps(payload("claude_bash.json", repo)).replace("pytest -q", "pytest\\u0000-q"), dsn, {},
         "invalid_payload", "NUL character"),
    ]
    for stdin, case_dsn, env, code, fragment in cases:
        proc = run_hook(entry, stdin, case_dsn, **env)
        assert_denied(proc, fragment)
        assert proc.stderr.decode().startswith(f"pgcoord ({code}): "), (code, proc.stderr)
    # a tool the hook does not check needs no database at all
    proc = run_hook(entry, json.dumps(payload("claude_read.json", repo)), None)
    assert proc.returncode == 0 and proc.stdout == b"", proc


def test_an_internal_failure_denies(net, repo, monkeypatch):
    """A bug in the hook itself is a denial with exit code 2, never a traceback (exit 1
    would let Claude Code and Codex go ahead)."""
    import io

    def broken(*_a, **_k):
        raise RuntimeError("boom")

    monkeypatch.setattr(hooks.protocol, "decide_request", broken)      # what pre_tool_use calls
    out, err = io.StringIO(), io.StringIO()
    code = hooks.pre_tool_use(io.StringIO(json.dumps(payload("claude_bash.json", repo))), out, err,
                              {"PGCOORD_DSN": net.role_dsn(agent(net))})
    assert code == 2 and "RuntimeError: boom" in err.getvalue() and "denied to be safe" in err.getvalue()
    assert json.loads(out.getvalue())["hookSpecificOutput"]["permissionDecision"] == "deny"


def test_psycopg_connection_gives_the_same_decisions(net, repo, monkeypatch):
    """Where libpq cannot be loaded directly the hook falls back to psycopg."""
    role = agent(net)
    lease(net, role, "src/")

    def no_libpq():
        raise OSError("libpq not found")

    monkeypatch.setattr(hooks.Libpq, "load", classmethod(lambda cls: no_libpq()))
    conn = hooks.connect(net.role_dsn(role))
    assert isinstance(conn, hooks.PsycopgConnection)
    try:
        assert hooks.decide(payload("claude_edit.json", repo), conn).allow
        d = hooks.decide(payload("claude_bash_destructive.json", repo), conn)
        assert not d.allow and d.code == "guardrail_blocked"
    finally:
        conn.close()
    with pytest.raises(hooks.DbError):
        hooks.connect(f"postgresql://{role}@127.0.0.1:{_closed_port()}/x", timeout=2)


def test_shadow_mode_lets_guardrails_warn_but_leases_still_hold(db, repo):
    """In shadow mode the database records a would-be guardrail denial and proceeds; the
    hook follows its verdict and tells the model. A lease is coordination, refused in
    every mode (INV-LOCK-EXCL): the hook still requires one."""
    role = agent(db)
    admin = db.create_role("coord_admin", prefix="admin")
    with db.session(admin) as s:
        assert s.execute("SELECT ok FROM coord.set_enforcement_mode('shadow', 'hook test')").fetchone()["ok"]
    d = ask(db, role, payload("claude_bash_destructive.json", repo))
    assert d.allow and "would block this in enforce mode" in d.context
    assert not ask(db, role, payload("claude_edit.json", repo)).allow
