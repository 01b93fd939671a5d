"""`pgcoord hook git-pre-commit` and `pgcoord hook install` with a real git repository.

`install` writes .git/hooks/pre-commit into a repository in a temporary directory; then
real `git commit`s run it as the committing agent (PGCOORD_DSN, its own login role):
every staged path (additions, changes, deletions, both sides of a rename) must be
covered by a live exclusive lease of that agent, checked with the lease's fencing token
(coord.check_fence); a commit fails listing the uncovered paths and succeeds once they
are covered.
"""
from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from pgcoord import hooks

from .helpers import Database


@pytest.fixture
def shared(module_db: Database) -> Iterator[Database]:
    """The module's database; afterwards its clock moves a day on, so no lease outlives a test."""
    yield module_db
    module_db.advance_clock(86401)


def agent(db: Database) -> str:
    role = db.create_role("coord_agent")
    db.su.execute("SELECT coord.register_agent(%s, 'implementer')", (role,))
    return role


def lease(db: Database, role: str, path: str, mode: str = "exclusive", ttl: int = 600) -> None:
    with db.session(role) as s:
        row = s.execute("SELECT * FROM coord.acquire_lock(%s, make_interval(secs => %s), %s)",
                        (path, ttl, mode)).fetchone()
    assert row["ok"], row


def git_env(dsn: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "PGCOORD_"))}
    env.update(GIT_AUTHOR_NAME="agent", GIT_AUTHOR_EMAIL="agent@example.invalid",
               GIT_COMMITTER_NAME="agent", GIT_COMMITTER_EMAIL="agent@example.invalid",
               GIT_CONFIG_NOSYSTEM="1", HOME=env.get("HOME", "/tmp"))
    if dsn is not None:
        env["PGCOORD_DSN"] = dsn
    return env


def git(repo: Path, *args: str, dsn: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, env=git_env(dsn), timeout=120)
    if check:
        assert proc.returncode == 0, (args, proc.stdout, proc.stderr)
    return proc


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "work"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    for rel, text in {"README.md": "# demo\n", "src/app.py": "print('hi')\n", "src/util.py": "X = 1\n",
                      "docs/guide.md": "guide\n"}.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    out, err = io.StringIO(), io.StringIO()
    assert hooks.install(str(root), out=out, err=err) == 0, err.getvalue()
    return root


def commit(repo: Path, dsn: str | None, message: str = "change") -> subprocess.CompletedProcess:
    return git(repo, "commit", "-q", "-m", message, dsn=dsn, check=False)


def uncovered(proc: subprocess.CompletedProcess) -> set[str]:
    """The paths the hook listed as uncovered."""
    lines = proc.stderr.splitlines()
    return {ln.split()[0] for ln in lines if ln.startswith("  ")}


def test_install_writes_the_hook_and_prints_the_settings(tmp_path):
    root = tmp_path / "r"
    root.mkdir()
    git(root, "init", "-q")
    out, err = io.StringIO(), io.StringIO()
    assert hooks.install(str(root), out=out, err=err) == 0
    hook = root / ".git" / "hooks" / "pre-commit"
    text = hook.read_text()
    assert os.access(hook, os.X_OK) and hooks.MARKER in text and "git-pre-commit" in text
    printed = out.getvalue()
    # the two snippets, printed as JSON, each with a PreToolUse command hook
    claude, codex = hooks.settings_snippets()
    assert json.dumps(claude, indent=2) in printed and json.dumps(codex, indent=2) in printed
    entry = claude["hooks"]["PreToolUse"][0]
    assert entry["matcher"] == "Edit|Write|MultiEdit|NotebookEdit|Bash|WebFetch|WebSearch"
    assert entry["hooks"][0]["type"] == "command" and entry["hooks"][0]["command"].endswith("pre-tool-use || exit 2")
    assert codex["hooks"]["PreToolUse"][0]["matcher"] == "^(Bash|apply_patch)$"
    # installing again replaces pgcoord's own hook; a foreign one is kept unless --force
    assert hooks.install(str(root), out=io.StringIO(), err=io.StringIO()) == 0
    hook.write_text("#!/bin/sh\nexit 0\n")
    err = io.StringIO()
    assert hooks.install(str(root), out=io.StringIO(), err=err) == 1 and "--force" in err.getvalue()
    assert hooks.install(str(root), force=True, out=io.StringIO(), err=io.StringIO()) == 0
    assert (root / ".git" / "hooks" / "pre-commit.orig").read_text() == "#!/bin/sh\nexit 0\n"
    assert hooks.MARKER in hook.read_text()


def test_install_from_the_command_line(tmp_path):
    root = tmp_path / "r"
    root.mkdir()
    git(root, "init", "-q")
    proc = subprocess.run([str(Path(sys.executable).parent / "pgcoord"), "hook", "install", "--repo", str(root)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert (root / ".git" / "hooks" / "pre-commit").exists() and '"PreToolUse"' in proc.stdout


def test_INV_LOCK_FENCE_commit_needs_every_staged_path_leased(shared, repo):
    role = agent(shared)
    dsn = shared.role_dsn(role)
    git(repo, "add", "-A")
    proc = commit(repo, dsn, "initial")
    assert proc.returncode != 0
    assert uncovered(proc) == {"README.md", "docs/guide.md", "src/app.py", "src/util.py"}
    assert f"not covered by a live exclusive lease of {role}" in proc.stderr
    assert "Traceback" not in proc.stderr
    lease(shared, role, "src/")
    proc = commit(repo, dsn, "initial")
    assert proc.returncode != 0 and uncovered(proc) == {"README.md", "docs/guide.md"}
    lease(shared, role, "README.md")
    lease(shared, role, "docs/**")
    proc = commit(repo, dsn, "initial")
    assert proc.returncode == 0, proc.stderr
    assert git(repo, "log", "--oneline").stdout.count("\n") == 1


def test_renames_and_deletions(shared, repo):
    role = agent(shared)
    dsn = shared.role_dsn(role)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--no-verify", "-m", "base")
    lease(shared, role, "src/")
    (repo / "lib").mkdir()
    git(repo, "mv", "src/util.py", "lib/util.py")
    git(repo, "rm", "-q", "docs/guide.md")
    proc = commit(repo, dsn)
    # the rename's old side is under the leased src/, its new side is not; the deletion needs a lease too
    assert proc.returncode != 0 and uncovered(proc) == {"lib/util.py", "docs/guide.md"}, proc.stderr
    lease(shared, role, "lib/util.py")
    lease(shared, role, "docs/guide.md")
    assert commit(repo, dsn).returncode == 0


def test_INV_LOCK_EXCL_another_agents_lease_is_named(shared, repo):
    me, other = agent(shared), agent(shared)
    git(repo, "add", "README.md")
    lease(shared, other, "README.md")
    proc = commit(repo, shared.role_dsn(me))
    assert proc.returncode != 0 and uncovered(proc) == {"README.md"}
    assert f"leased by {other} (exclusive on README.md, until" in proc.stderr


def test_a_shared_lease_does_not_cover_a_commit(shared, repo):
    role = agent(shared)
    git(repo, "add", "README.md")
    lease(shared, role, "README.md", mode="shared")
    proc = commit(repo, shared.role_dsn(role))
    assert proc.returncode != 0 and "shared" in proc.stderr


def test_INV_LOCK_EXPIRY_an_expired_lease_does_not_cover_a_commit(shared, repo):
    role = agent(shared)
    git(repo, "add", "README.md")
    lease(shared, role, "README.md", ttl=30)
    shared.advance_clock(31)
    proc = commit(repo, shared.role_dsn(role))
    assert proc.returncode != 0 and uncovered(proc) == {"README.md"}


def test_path_guardrails_refuse_committing_secrets(shared, repo):
    role = agent(shared)
    (repo / "config").mkdir()
    (repo / "config" / ".env").write_text("TOKEN=x\n")
    git(repo, "add", "config/.env")
    lease(shared, role, "config/")
    proc = commit(repo, shared.role_dsn(role))
    assert proc.returncode != 0 and "cred_secret_paths" in proc.stderr and uncovered(proc) == set()
    with shared.session(role) as s:
        event = s.execute("SELECT * FROM coord.my_audit_events WHERE operation = 'check_guardrails' "
                          "ORDER BY event_id DESC LIMIT 1").fetchone()
    assert event["reason"] == "guardrail_blocked" and event["context"]["paths"] == ["config/.env"]


def test_fails_closed(shared, repo, tmp_path):
    role = agent(shared)
    git(repo, "add", "README.md")
    lease(shared, role, "README.md")
    for dsn, fragment in [(None, "PGCOORD_DSN is not set"),
                          (f"postgresql://{role}@127.0.0.1:1/x", "cannot be reached")]:
        proc = commit(repo, dsn)
        assert proc.returncode != 0 and fragment in proc.stderr, proc.stderr
        assert "Traceback" not in proc.stderr
    # outside a repository the hook refuses rather than passing
    err = io.StringIO()
    assert hooks.git_pre_commit(cwd=str(tmp_path), env={"PGCOORD_DSN": shared.role_dsn(role)}, err=err) == 1
    assert "git diff" in err.getvalue()
    assert commit(repo, shared.role_dsn(role)).returncode == 0


def test_nothing_staged_needs_no_database(repo):
    assert hooks.git_pre_commit(cwd=str(repo), env={}) == 0
