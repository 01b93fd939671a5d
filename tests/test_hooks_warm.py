"""The warm path of the PreToolUse hook (PGCOORD_HOOK_WARM=1): `pgcoord hook serve`.

The hook process hands the payload to the agent's server over a private Unix socket and
prints its answer; where none answers it decides itself and starts one. These tests run
the fast form Claude Code runs, against the real database, and attack what the socket
must not change: the decision (the same bytes as the direct hook, each with its audit
event), the identity (one server per login and settings; another user id, another
digest or a crafted request gets nothing), and failing closed (a killed server, a
terminated backend, a stalled or lying server).
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import struct
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from pgcoord import hooks
from pgcoord.hooks import warm

from .helpers import Database, wait_until
from .hook_helpers import agent, lease, payload, run_hook

pytestmark = pytest.mark.skipif(not hasattr(socket, "AF_UNIX"), reason="the warm path needs Unix sockets")


@pytest.fixture
def runtime() -> Iterator[Path]:
    """A private runtime directory (short: a Unix socket's path has at most 103 bytes);
    every server started in it is stopped afterwards."""
    d = Path(tempfile.mkdtemp(prefix="pgc-", dir="/tmp"))
    yield d
    for sock in d.glob("hook-*.sock"):
        pid = server_pid(sock)
        if pid:
            os.kill(pid, signal.SIGTERM)
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "src").mkdir(parents=True)
    (root / ".git").mkdir()
    return root


def server_pid(sock: Path) -> int | None:
    """The pid of the process listening on ``sock`` (SO_PEERCRED of a connection to it)."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect(str(sock))
        pid, _, _ = struct.unpack("3i", s.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i")))
        return pid
    except OSError:
        return None
    finally:
        s.close()


def env_for(runtime: Path, **extra: str) -> dict[str, str]:
    return {"PGCOORD_HOOK_WARM": "1", "PGCOORD_HOOK_RUNTIME_DIR": str(runtime), "PGCOORD_HOOK_SERVE_IDLE": "60",
            **extra}


def the_socket(runtime: Path, dsn: str, env: dict[str, str]) -> Path:
    return Path(warm.socket_path(str(runtime), warm.settings_key(dsn, env)))


def warm_up(runtime: Path, dsn: str, env: dict[str, str], data: bytes) -> Path:
    """Run the hook once (it decides itself and starts the server); wait for the server."""
    run_hook("fast", data, dsn, **env)
    sock = the_socket(runtime, dsn, env)
    wait_until(lambda: server_pid(sock) is not None, deadline=15, what="the hook server to listen")
    return sock


def edit(repo: Path, path: str) -> bytes:
    p = payload("claude_edit.json", repo)
    p["tool_input"]["file_path"] = str(repo / path)
    return json.dumps(p).encode()


def test_the_warm_answer_is_the_direct_answer(db: Database, repo, runtime):
    role = agent(db)
    dsn = db.role_dsn(role)
    lease(db, role, "src/")
    env = env_for(runtime)
    cases = [edit(repo, "src/app.py"), edit(repo, "docs/x.md"),
             json.dumps(payload("claude_bash.json", repo)).encode(),
             json.dumps({**payload("claude_bash.json", repo), "tool_input": {"command": "git push --force"}}).encode(),
             b"not json", json.dumps({"hook_event_name": "PostToolUse"}).encode()]
    sock = warm_up(runtime, dsn, env, cases[0])
    for data in cases:
        direct = run_hook("fast", data, dsn)                      # no warm path: its own connection
        answered = warm.ask(data, dsn, {**env})                  # the server, in process: it did answer
        assert answered is not None
        via_hook = run_hook("fast", data, dsn, **env)
        for got in ((answered[0], answered[1], answered[2]), (via_hook.stdout, via_hook.stderr, via_hook.returncode)):
            assert got[2] == direct.returncode, (data, got, direct)
            assert _without_event_ids(got[0]) == _without_event_ids(direct.stdout)
            assert _without_event_ids(got[1]) == _without_event_ids(direct.stderr)
    assert server_pid(sock) is not None
    # each decision the server made is the agent's own audited decision
    with db.session(role) as s:
        n = s.execute("SELECT count(*) AS n FROM coord.my_audit_events WHERE operation = 'check_guardrails'"
                      ).fetchone()["n"]
    assert n >= 3 * 4      # 4 payloads reach the database, each three times (direct, ask, hook)


def _without_event_ids(text: bytes) -> str:
    """Audit event ids differ between two runs of the same decision; the rest must not."""
    import re
    return re.sub(r"audit events? [0-9, ]+", "audit events N", text.decode())


def test_INV_BOUNDARY_a_server_answers_only_its_own_identity_and_settings(db: Database, repo, runtime):
    a, b = agent(db), agent(db)
    lease(db, a, "src/")
    dsn_a, dsn_b = db.role_dsn(a), db.role_dsn(b)
    env = env_for(runtime)
    sock_a = warm_up(runtime, dsn_a, env, edit(repo, "src/app.py"))
    # B's hook does not reach A's server: another digest, another socket (none yet)
    assert the_socket(runtime, dsn_b, env) != sock_a
    assert warm.ask(edit(repo, "src/app.py"), dsn_b, env) is None
    # other settings of the same agent: another server
    acquire = {**env, "PGCOORD_HOOK_ON_UNLEASED": "acquire"}
    assert the_socket(runtime, dsn_a, acquire) != sock_a
    assert warm.ask(edit(repo, "src/app.py"), dsn_a, acquire) is None
    # a request sent straight to A's socket with B's digest (or none) gets no answer
    for head in (warm.settings_key(dsn_b, env).encode(), b"", b"x" * 32):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(str(sock_a))
        s.sendall(head + b"\n" + edit(repo, "src/app.py"))
        s.shutdown(socket.SHUT_WR)
        assert s.recv(100) == b""
        s.close()
    # B's own hook still decides as B: A's lease does not cover it
    proc = run_hook("fast", edit(repo, "src/app.py"), dsn_b, **env)
    assert proc.returncode == 2 and b"lease_required" in proc.stderr


@pytest.mark.skipif(os.getuid() != 0, reason="needs root to act as another user id against the socket")
def test_INV_BOUNDARY_a_peer_of_another_user_id_gets_nothing(db: Database, repo, runtime):
    role = agent(db)
    dsn = db.role_dsn(role)
    lease(db, role, "src/")
    env = env_for(runtime)
    sock = warm_up(runtime, dsn, env, edit(repo, "src/app.py"))
    os.chmod(runtime, 0o711)            # open the way to the socket, as a careless operator might
    os.chmod(sock, 0o666)
    request = warm.settings_key(dsn, env).encode() + b"\n" + edit(repo, "src/app.py")
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:                        # the other user: connects, but the server answers nothing
        try:
            os.close(r)
            os.setgid(65534)
            os.setuid(65534)
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(str(sock))
            s.sendall(request)
            s.shutdown(socket.SHUT_WR)
            s.settimeout(10)
            os.write(w, b"answer:" + s.recv(1000))
        except BaseException as exc:  # noqa: BLE001 - report, never return into pytest
            os.write(w, f"error:{exc}".encode())
        os._exit(0)
    os.close(w)
    os.waitpid(pid, 0)
    said = os.read(r, 2000)
    os.close(r)
    # it got in (no permission error: the check under test is the server's) and got no answer:
    # an empty one, or the connection reset because the server closed it unread
    assert said == b"answer:" or b"Errno 104" in said or b"Errno 32" in said, said
    # and with the directory no longer private, the owner's hook does not use the server either
    assert warm.runtime_dir(env) is None
    assert warm.ask(edit(repo, "src/app.py"), dsn, env) is None


def test_a_killed_server_is_replaced_and_the_hook_decides_meanwhile(db: Database, repo, runtime):
    role = agent(db)
    dsn = db.role_dsn(role)
    lease(db, role, "src/")
    env = env_for(runtime)
    sock = warm_up(runtime, dsn, env, edit(repo, "src/app.py"))
    first = server_pid(sock)
    os.kill(first, signal.SIGKILL)
    wait_until(lambda: server_pid(sock) is None, deadline=10, what="the server to die")
    # the stale socket answers nothing: the hook decides over its own connection...
    allowed, denied = run_hook("fast", edit(repo, "src/app.py"), dsn, **env), \
        run_hook("fast", edit(repo, "docs/x.md"), dsn, **env)
    assert allowed.returncode == 0 and denied.returncode == 2 and b"lease_required" in denied.stderr
    # ...and a new server takes over the socket
    wait_until(lambda: server_pid(sock) not in (None, first), deadline=15, what="a new server")
    assert warm.ask(edit(repo, "docs/x.md"), dsn, env)[2] == 2


def test_a_terminated_backend_is_replaced_and_the_request_decided_again(db: Database, repo, runtime):
    role = agent(db)
    dsn = db.role_dsn(role)
    lease(db, role, "src/")
    env = env_for(runtime)
    sock = warm_up(runtime, dsn, env, edit(repo, "src/app.py"))
    pid = server_pid(sock)
    killed = db.su.execute("SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity "
                           "WHERE usename = %s AND application_name = 'pgcoord-hook'", (role,)).fetchone()["n"]
    assert killed == 1
    for data, code in ((edit(repo, "src/app.py"), 0), (edit(repo, "docs/x.md"), 2)):
        answer = warm.ask(data, dsn, env)
        assert answer is not None and answer[2] == code, answer
    assert server_pid(sock) == pid                      # the same server, on a new connection


def test_an_idle_server_exits(db: Database, repo, runtime):
    role = agent(db)
    dsn = db.role_dsn(role)
    env = env_for(runtime, PGCOORD_HOOK_SERVE_IDLE="1")
    sock = the_socket(runtime, dsn, env)
    run_hook("fast", edit(repo, "src/app.py"), dsn, **env)
    wait_until(lambda: not sock.exists() and server_pid(sock) is None, deadline=20, what="the idle server to exit")
    assert not list(runtime.glob("hook-*.sock"))


def test_a_stalled_server_denies_and_a_lying_one_is_ignored(db: Database, repo, runtime, monkeypatch):
    role = agent(db)
    dsn = db.role_dsn(role)
    lease(db, role, "src/")
    env = {**env_for(runtime), "PGCOORD_DSN": dsn}
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(the_socket(runtime, dsn, env)))
    listener.listen(4)
    lock = open(str(the_socket(runtime, dsn, env)) + ".lock", "w")
    import fcntl
    fcntl.flock(lock, fcntl.LOCK_EX)                    # no real server may take this socket
    monkeypatch.setattr(warm, "WARM_TIMEOUT_S", 0.5)
    try:
        # stalled: takes the request, never answers -> denied, not let through
        import io
        out, err = io.StringIO(), io.StringIO()
        code = hooks.pre_tool_use(io.BytesIO(edit(repo, "src/app.py")), out, err, env=env)
        assert code == 2 and "hook_timeout" in err.getvalue()
        listener.accept()[0].close()
        # malformed: an exit code the protocol does not have, a short header, an answer cut short
        for lie in (b"7 0 0\n", b"0 5\nhello", b"0 999 0\n{}", b"garbage"):
            import threading

            def answer_once(data=lie):
                c, _ = listener.accept()
                c.recv(1 << 20)
                c.sendall(data)
                c.close()
            t = threading.Thread(target=answer_once)
            t.start()
            out, err = io.StringIO(), io.StringIO()
            code = hooks.pre_tool_use(io.BytesIO(edit(repo, "docs/x.md")), out, err, env=env)
            t.join()
            assert code == 2 and "lease_required" in err.getvalue(), (lie, code, err.getvalue())
    finally:
        listener.close()
        lock.close()


def test_a_socket_path_too_long_is_not_used(db: Database, repo, tmp_path: Path):
    role = agent(db)
    deep = tmp_path / ("d" * 90)
    deep.mkdir(mode=0o700)
    env = env_for(deep)
    assert warm.socket_path(str(deep), warm.settings_key(db.role_dsn(role), env)) is None
    proc = run_hook("fast", edit(repo, "src/app.py"), db.role_dsn(role), **env)
    assert proc.returncode == 2 and b"lease_required" in proc.stderr       # decided directly, as without the path


def test_runtime_directory_must_be_private(tmp_path: Path):
    d = tmp_path / "shared"
    d.mkdir(mode=0o755)
    os.chmod(d, 0o755)
    assert warm.runtime_dir({"PGCOORD_HOOK_RUNTIME_DIR": str(d)}) is None
    os.chmod(d, 0o700)
    assert warm.runtime_dir({"PGCOORD_HOOK_RUNTIME_DIR": str(d)}) == str(d)
    link = tmp_path / "link"
    link.symlink_to(d)
    assert warm.runtime_dir({"PGCOORD_HOOK_RUNTIME_DIR": str(link)}) is None
