"""The network targets a shell command names, read before it runs.

A Bash tool call is checked by the database (coord.check_network_access) for each host
or URL it would reach: the URL and host arguments of commands that reach the network
(curl, wget, git clone/fetch/pull/push, ssh, scp, nc, ...), through wrappers (sudo, env,
timeout, xargs, ...), ``sh -c`` and ``eval``, and URLs with a network scheme given to any
other command but those that only print or search text. It is a best-effort reading of
the command's words, not egress control (docs/hooks.md says what is and is not seen); a
target computed when the command runs ($VAR, `...`) is refused (DynamicTarget), since
it cannot be checked before.
"""
from __future__ import annotations

import os

from .errors import HookError

# The commands by how their arguments name a target (and the options that take a value,
# so that a value is not read as a target).
DOWNLOADERS = {"curl", "wget", "wget2", "aria2c", "axel", "lynx", "w3m", "links", "elinks", "fetch",
               "invoke-webrequest", "iwr", "invoke-restmethod", "irm"}
HTTPIE = {"http", "https", "xh", "xhs"}
HOST_FIRST = {"ssh", "mosh", "sftp", "telnet", "nc", "ncat", "netcat", "ftp"}
HOST_PATH = {"scp", "rsync"}
SHELLS = {"sh", "bash", "zsh", "dash", "ksh", "fish"}
WRAPPERS = {"sudo", "doas", "env", "nohup", "time", "timeout", "nice", "ionice", "command", "exec", "builtin",
            "stdbuf", "xargs", "watch", "unbuffer", "setsid", "chronic"}
TEXT_ONLY = {"echo", "printf", "grep", "egrep", "fgrep", "rg", "ag", "ack", "sed", "awk", "gawk", "cat", "head",
             "tail", "less", "more", "jq", "yq", "sort", "uniq", "wc", "tee", "cut", "tr", "diff", "true", "false",
             ":", "test", "["}
GIT_NETWORK = {"clone", "fetch", "pull", "push", "ls-remote", "remote", "submodule"}
NET_SCHEMES = ("http://", "https://", "ftp://", "ftps://", "ws://", "wss://", "git://", "ssh://", "rsync://",
               "sftp://", "scp://", "telnet://")
VALUE_SHORT = {
    "curl": set("AbcCdDeEFHKmoPQrTuUwxXYyz"), "wget": set("OoaiPUetTwQlARDIXB"), "wget2": set("OoaiPUetTwQlARDIXB"),
    "aria2c": set("dioxsjlu"), "ssh": set("BbcDEeFIiJLlmOoPpQRSWw"), "mosh": set("p"),
    "sftp": set("BbcDFiJlOoPRSs"), "scp": set("cFiJlPoS"), "rsync": set("eBfTM"), "nc": set("ipqswxXOTI"),
    "ncat": set("ipqswxXOTI"), "netcat": set("ipqswxXOTI"), "telnet": set("lneb"),
}
VALUE_LONG = {"--output", "--data", "--data-raw", "--data-binary", "--data-urlencode", "--data-ascii", "--header",
              "--request", "--user", "--user-agent", "--referer", "--upload-file", "--form", "--form-string",
              "--cookie", "--cookie-jar", "--write-out", "--config", "--max-time", "--connect-timeout", "--retry",
              "--output-document", "--directory-prefix", "--input-file", "--post-data", "--post-file", "--password",
              "--tries", "--timeout", "--wait", "--level", "--accept", "--reject", "--domains", "--output-file",
              "--append-output", "--resolve", "--cacert", "--cert", "--key", "--range", "--limit-rate", "--dir",
              "--method", "--body", "--headers", "--oauth2-bearer", "--json", "--rsh", "--port", "--identity-file"}
TARGET_OPTS = {"-x", "--proxy", "--url", "-Uri", "-uri", "--uri"}      # their value is itself a target
WRAPPER_VALUES = set("ugCDnsILPadEw")


class DynamicTarget(HookError):
    """A network target computed when the command runs ($VAR, `...`): refused, as it
    cannot be checked before."""


def network_targets(command: str, depth: int = 0) -> list[str]:
    """The network targets a shell command names (best effort: docs/hooks.md says what is
    and is not seen). A target computed at run time ($VAR, `...`) is refused: it cannot be
    checked before the command runs."""
    import shlex
    try:
        lex = shlex.shlex(command, posix=True, punctuation_chars="();<>|&`\n")
        lex.whitespace = " \t\r"
        lex.whitespace_split = True
        lex.commenters = ""
        tokens = list(lex)
    except ValueError:          # unbalanced quotes: every URL in the text is a target
        import re
        return sorted(set(re.findall(r"(?i)\b(?:https?|ftps?|wss?|git|ssh|rsync|sftp)://[^\s'\"<>|;&)`]+", command)))
    targets: list[str] = []
    words: list[str] = []
    for tok in tokens + ["\n"]:
        if tok and all(ch in "();<>|&`\n" for ch in tok):
            # an fd number before a redirection (2>/dev/null) is no argument
            if tok[0] in "<>" and words and words[-1].isdigit():
                words.pop()
            if words:
                targets += _command_targets(words, depth)
            words = []
        else:
            words.append(tok)
    seen: list[str] = []
    for t in targets:
        if t not in seen:
            seen.append(t)
    return seen


def _is_dynamic(word: str) -> bool:
    return "$" in word or "`" in word


def _command_targets(words: list[str], depth: int) -> list[str]:
    # leading assignments and wrappers (sudo, env, timeout 10, xargs -n 1, ...)
    i = 0
    while i < len(words):
        w = words[i]
        if "=" in w and not w.startswith("-") and w.split("=", 1)[0].replace("_", "").isalnum():
            i += 1
            continue
        name = os.path.basename(w).lower()
        if name in WRAPPERS:
            i += 1
            while i < len(words) and (words[i].startswith("-") or "=" in words[i]
                                      or words[i].replace(".", "", 1).rstrip("smhd").isdigit()):
                if len(words[i]) == 2 and words[i][1] in WRAPPER_VALUES and i + 1 < len(words):
                    i += 1
                i += 1
            continue
        break
    if i >= len(words):
        return []
    name = os.path.basename(words[i]).lower()
    if name.endswith(".exe"):
        name = name[:-4]
    args = words[i + 1:]
    if name in SHELLS:
        for j, a in enumerate(args):
            if a.startswith("-") and not a.startswith("--") and "c" in a[1:] and j + 1 < len(args):
                return network_targets(args[j + 1], depth + 1) if depth < 5 else []
        return []
    if name == "eval":
        return network_targets(" ".join(args), depth + 1) if depth < 5 else []
    if name in TEXT_ONLY:
        return []
    if name in DOWNLOADERS or name in HTTPIE or name in HOST_FIRST:
        positional, explicit = _positional(name, args)
        if name in HTTPIE:
            methods = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}
            positional = [p for p in positional if p.upper() not in methods][:1]
        elif name in HOST_FIRST:
            positional = [_host_of(p) for p in positional[:1] if not p.isdigit()]
        found = explicit + positional
    elif name in HOST_PATH:
        found = [a for a in args if a.lower().startswith(NET_SCHEMES)]
        found += [_host_of(a) for a in args if _scp_like(a)]
    elif name == "git":
        sub = next((a for a in args if not a.startswith("-")), "")
        if sub not in GIT_NETWORK:
            return []
        found = [_url_in(a) for a in args if _url_in(a)] + [_host_of(a) for a in args if _scp_like(a)]
    else:
        found = [_url_in(a) for a in args if _url_in(a)]
    for t in found:
        if _is_dynamic(t):
            raise DynamicTarget("dynamic_target", f"the network target {t!r} of {name} is computed when the "
                                                  "command runs, so it cannot be checked before: spell it out")
    return [t for t in found if t]


def _positional(name: str, args: list[str]) -> tuple[list[str], list[str]]:
    """(positional arguments, values of options whose value is a target)."""
    short = VALUE_SHORT.get(name, set())
    positional, explicit = [], []
    j = 0
    while j < len(args):
        a = args[j]
        if a == "--":
            positional += args[j + 1:]
            break
        if a in TARGET_OPTS and j + 1 < len(args):
            explicit.append(args[j + 1])
            j += 2
            continue
        if a.startswith("--"):
            key = a.split("=", 1)[0]
            if key in TARGET_OPTS and "=" in a:
                explicit.append(a.split("=", 1)[1])
            elif "=" not in a and key in VALUE_LONG:
                j += 1
            j += 1
            continue
        if a.startswith("-") and len(a) > 1:
            for k, ch in enumerate(a[1:], start=1):
                if ch in short:
                    if k == len(a) - 1:
                        j += 1
                        if ch == "x" and name in ("curl",) and j < len(args):
                            explicit.append(args[j])
                    break
            j += 1
            continue
        positional.append(a)
        j += 1
    return positional, explicit


def _url_in(arg: str) -> str:
    value = arg.split("=", 1)[1] if arg.startswith("-") and "=" in arg else arg
    if value.lower().startswith(("git+", "hg+", "svn+", "bzr+")):      # pip's VCS URLs
        value = value.split("+", 1)[1]
    return value if value.lower().startswith(NET_SCHEMES) else ""


def _scp_like(arg: str) -> bool:
    """user@host:path or host:path (scp, rsync, git over ssh)."""
    if arg.startswith(("-", "/", ".", "~")) or "://" in arg or ":" not in arg:
        return False
    host = arg.split(":", 1)[0].rsplit("@", 1)[-1]
    return bool(host) and "/" not in host and " " not in host


def _host_of(arg: str) -> str:
    host = arg.rsplit("@", 1)[-1] if "://" not in arg else arg
    if "://" not in host and ":" in host and not host.startswith("["):
        host = host.split(":", 1)[0]
    return host
