"""The warm path of pre-tool-use: one process per agent holds the connection, the hook asks it.

A hook is a process per tool call; most of its time is Python's start-up and a new
connection with a fresh server backend, not the decision (bench/hooks.py). With
PGCOORD_HOOK_WARM=1 the hook process sends the payload over a Unix socket to
`pgcoord hook serve` (serve.py), which keeps one connection as the agent and answers
with the same stdout, stderr and exit code the hook would have produced. Where nothing
answers on the socket, the hook decides over its own connection as before and starts
the server in the background for the next call.

What makes the socket the agent's and no one else's:
  * its name is a digest of everything a decision depends on outside the payload: the
    DSN (the identity) and the hooks' settings (``settings_key``). An agent with another
    login or other settings reaches another server; the request repeats the digest and
    the server refuses one that is not its own;
  * it lives in a directory of the caller's own user with no access for anyone else
    (``runtime_dir`` refuses one that is group- or world-accessible, or owned by another
    user), and the server accepts only peers of its own user id (SO_PEERCRED).
A process of the same OS user that can read this directory can also read PGCOORD_DSN;
the socket gives it nothing it did not have.

Failing closed: a server that is absent, refuses the digest, or breaks off before a
complete answer sends the hook back to its own connection (the decision is made anew
from the database's state); a server that does not answer within WARM_TIMEOUT_S denies
(hook_timeout), because the caller's own timeout would otherwise let the call through.
"""
from __future__ import annotations

# _socket, not socket: the socket module imports enum and selectors (~10 ms of a hook
# process's start); the warm path needs a stream connection and nothing else
import _socket
import os

WARM_TIMEOUT_S = 20.0            # below the 30 s hook timeout `pgcoord hook install` prints
MAX_PAYLOAD = 16 * 1024 * 1024   # the server reads no more than this from a request
SETTINGS = ("PGCOORD_HOOK_ON_UNLEASED", "PGCOORD_HOOK_LEASE_TTL", "PGCOORD_HOOK_ALLOW_DECISION",
            "PGCOORD_HOOK_WEBSEARCH_TARGET", "PGCOORD_REPO_ROOT", "PGCOORD_HOOK_CONNECT_TIMEOUT")


class WarmTimeout(Exception):
    """The server took the request and did not answer within WARM_TIMEOUT_S."""


def enabled(env) -> bool:
    """PGCOORD_HOOK_WARM=1 turns the warm path on (off by default: it leaves a process running)."""
    return env.get("PGCOORD_HOOK_WARM", "").strip() == "1"


def settings_key(dsn: str, env) -> str:
    """The digest naming the server for this identity and these settings (hex, 32 characters)."""
    h = _sha256()(b"pgcoord-hook-serve\0" + dsn.encode("utf-8", "surrogatepass"))
    for name in SETTINGS:
        h.update(b"\0" + name.encode() + b"=" + env.get(name, "").strip().encode("utf-8", "surrogatepass"))
    return h.hexdigest()[:32]


def _sha256():
    """SHA-256 from the interpreter's own module where it has one (hashlib loads OpenSSL:
    ~3 ms of a hook process's start)."""
    try:
        from _sha2 import sha256  # Python 3.12 and later
    except ImportError:
        try:
            from _sha256 import sha256  # up to 3.11
        except ImportError:
            from hashlib import sha256
    return sha256


def runtime_dir(env, create: bool = False) -> str | None:
    """The caller's private directory for sockets: PGCOORD_HOOK_RUNTIME_DIR, else
    $XDG_RUNTIME_DIR/pgcoord, else /tmp/pgcoord-<uid>. None if it is not private to this
    user (owned by another, or readable, writable or searchable by group or others)."""
    base = env.get("PGCOORD_HOOK_RUNTIME_DIR", "").strip()
    if not base:
        xdg = env.get("XDG_RUNTIME_DIR", "").strip()
        base = os.path.join(xdg, "pgcoord") if xdg else f"/tmp/pgcoord-{os.getuid()}"
    if create:
        try:
            os.mkdir(base, 0o700)
        except FileExistsError:
            pass
        except OSError:
            return None
    try:
        st = os.lstat(base)
    except OSError:
        return None
    import stat
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid() or st.st_mode & 0o077:
        return None
    return base


MAX_SOCKET_PATH = 104           # bytes: sun_path holds 108 on Linux, 104 on macOS and the BSDs


def socket_path(directory: str, key: str) -> str | None:
    """The socket of the server for ``key``; None when the path is too long for a Unix socket."""
    path = os.path.join(directory, f"hook-{key}.sock")
    return path if len(path.encode()) < MAX_SOCKET_PATH else None


def ask(raw: bytes, dsn: str, env) -> tuple[bytes, bytes, int] | None:
    """The server's answer to ``raw`` as (stdout, stderr, exit code); None when no server
    for this identity and these settings answers (the caller decides itself, and
    start_server() readies one). Raises WarmTimeout when a server took the request and
    did not answer in time."""
    key = settings_key(dsn, env)
    directory = runtime_dir(env)
    path = socket_path(directory, key) if directory else None
    if path is None:
        return None
    s = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        s.settimeout(WARM_TIMEOUT_S)
        try:
            s.connect(path)
            s.sendall(key.encode() + b"\n" + raw)
            s.shutdown(_socket.SHUT_WR)
        except OSError:
            return None                              # no server, or it went away: decide here
        chunks = []
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
        except TimeoutError:
            raise WarmTimeout() from None
        except OSError:
            return None
    finally:
        s.close()
    return parse_answer(b"".join(chunks))


def parse_answer(data: bytes) -> tuple[bytes, bytes, int] | None:
    """``b"<exit code> <stdout length> <stderr length>\\n" + stdout + stderr``, checked
    whole; None for anything else (a refusal of the digest, a truncated answer)."""
    head, sep, body = data.partition(b"\n")
    parts = head.split(b" ")
    if not sep or len(parts) != 3 or not all(p.isdigit() for p in parts):
        return None
    code, n_out, n_err = (int(p) for p in parts)
    if code not in (0, 2) or len(body) != n_out + n_err:
        return None
    return body[:n_out], body[n_out:], code


def encode_answer(out: str, err: str, code: int) -> bytes:
    o, e = out.encode("utf-8", "replace"), err.encode("utf-8", "replace")
    return b"%d %d %d\n" % (code, len(o), len(e)) + o + e


TIMEOUT_REASON = (f"pgcoord (hook_timeout): the agent's hook server took no answer within {WARM_TIMEOUT_S:.0f} s; "
                  "denied to be safe")


def timeout_answer() -> tuple[bytes, bytes, int]:
    """The denial for a server that took the request and did not answer (written without
    the json module, which the relay does not import: it costs ~10 ms)."""
    out = ('{"hookSpecificOutput": {"hookEventName": "PreToolUse", "permissionDecision": "deny", '
           f'"permissionDecisionReason": "{TIMEOUT_REASON}"}}}}\n')
    return out.encode(), (TIMEOUT_REASON + "\n").encode(), 2


def relay(env, stdin, stdout, stderr) -> int | bytes:
    """The fast form's warm path (__main__.py, before anything else is imported): the
    payload read from ``stdin`` and the server's answer written out, returning the exit
    code; or, when no server answered, the payload read, for the hook to decide itself."""
    raw = stdin.buffer.read() if hasattr(stdin, "buffer") else stdin.read()
    dsn = env.get("PGCOORD_DSN", "").strip()
    try:
        answer = ask(raw, dsn, env)
    except WarmTimeout:
        answer = timeout_answer()
    if answer is None:
        return raw
    out, err, code = answer
    try:
        for stream, data in ((stdout, out), (stderr, err)):
            if data:
                stream.buffer.write(data)
                stream.buffer.flush()
    except BaseException:  # noqa: BLE001 - a closed stream must not turn a denial into a crash
        return 2
    return code


def start_server(env) -> None:
    """Start `pgcoord hook serve` for this identity in the background (its own session, no
    terminal, the environment as it is: PGCOORD_DSN stays out of the process list). A
    second server for the same socket exits at once (serve.py takes a lock), so racing
    hook processes start at most one that stays."""
    if runtime_dir(env, create=True) is None:
        return
    import subprocess
    import sys
    main = os.path.join(os.path.dirname(os.path.abspath(__file__)), "__main__.py")
    try:
        subprocess.Popen([sys.executable, "-I", main, "serve"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, start_new_session=True, close_fds=True, env=dict(env))
    except OSError:
        pass                                          # the hook decided already; the next call tries again
