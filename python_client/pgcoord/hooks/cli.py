"""`pgcoord hook <subcommand>`: the command line of the hooks, ``main(argv, dsn=...)``.

pgcoord.commands calls it for `pgcoord hook ...` (with the DSN of --dsn, if any), and
__main__.py for the fast form. A hook is a process per tool call, so only pre-tool-use's
modules are imported up front: git-pre-commit and install load theirs when asked.
"""
from __future__ import annotations

import sys

from .protocol import pre_tool_use

USAGE = """usage: pgcoord hook pre-tool-use        (a PreToolUse hook: the payload on stdin)
       pgcoord hook serve               (the agent's warm hook server: PGCOORD_HOOK_WARM=1)
       pgcoord hook git-pre-commit      (from .git/hooks/pre-commit)
       pgcoord hook install [--repo DIR] [--force]
The agent's database login is $PGCOORD_DSN. docs/hooks.md has the details.
"""


def main(argv: list[str] | None = None, dsn: str | None = None, payload: bytes | None = None) -> int:
    """Run the hook ``argv`` names (default: sys.argv[1:]) and return its exit code;
    ``dsn`` is the agent's login, else PGCOORD_DSN; ``payload``: pre-tool-use's stdin,
    already read by the fast form's warm path, which no server answered."""
    argv = list(sys.argv[1:] if argv is None else argv)
    what = argv[0] if argv else ""
    if what == "pre-tool-use" and len(argv) == 1:
        if payload is not None:
            import io
            return pre_tool_use(stdin=io.BytesIO(payload), dsn=dsn, warm_asked=True)
        return pre_tool_use(dsn=dsn)
    if what == "serve" and len(argv) == 1:
        from .serve import serve
        return serve(dsn=dsn)
    if what == "git-pre-commit" and len(argv) == 1:
        from .pre_commit import git_pre_commit
        return git_pre_commit(dsn=dsn)
    if what == "install":
        import argparse

        from .installation import install
        p = argparse.ArgumentParser(prog="pgcoord hook install",
                                    description="write .git/hooks/pre-commit and print the agents' hook settings")
        p.add_argument("--repo", help="the repository (default: the current directory)")
        p.add_argument("--force", action="store_true", help="replace a pre-commit hook that is not pgcoord's")
        args = p.parse_args(argv[1:])
        return install(args.repo, args.force)
    sys.stderr.write(USAGE)
    if what == "pre-tool-use":
        # even a wrong invocation of the PreToolUse hook denies (exit 2), never lets a call through
        return 2
    return 0 if what in ("-h", "--help", "help") else 1
