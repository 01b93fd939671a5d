"""`python -I .../pgcoord/hooks/__main__.py pre-tool-use`: the hook as Claude Code and
Codex run it, once per tool call (the command `pgcoord hook install` prints; running the
directory, `python -I .../pgcoord/hooks`, works too but goes through runpy).

Run as a script, this file is compiled afresh each time, so it stays small. It imports
the hooks' modules from their cached bytecode as a package of their own, ``pgcoord_hooks``,
without importing the pgcoord package (whose ``__init__`` may import psycopg and the
client, ~150 ms) or anything else heavy. That package is a bare module whose path is
this directory: its ``__init__.py``, which gathers every module for ``from pgcoord import
hooks`` (git pre-commit and install too), is not run, and no importlib machinery beyond
the import statement is loaded (importlib.util alone costs ~1 ms). The modules import
each other relatively, so they load the same under either package name. ``python -m
pgcoord.hooks`` works too. With PGCOORD_HOOK_WARM=1, pre-tool-use first asks the
agent's hook server (warm.py) before importing anything else.
"""
import os
import sys

if __package__:
    from . import main
else:
    import types

    here = os.path.dirname(os.path.abspath(__file__))
    if sys.path and os.path.abspath(sys.path[0]) == here:
        del sys.path[0]          # this directory must shadow no module name
    package = types.ModuleType("pgcoord_hooks")
    package.__path__ = [here]
    sys.modules[package.__name__] = package
    payload = None
    if sys.argv[1:] == ["pre-tool-use"] and os.environ.get("PGCOORD_HOOK_WARM", "").strip() == "1" \
            and os.environ.get("PGCOORD_DSN", "").strip():
        # the warm path first, with nothing else imported (json and the decision modules cost
        # ~17 ms): warm.py asks the agent's hook server and prints its answer
        from pgcoord_hooks import warm
        answered = warm.relay(os.environ, sys.stdin, sys.stdout, sys.stderr)
        if isinstance(answered, int):
            sys.exit(answered)
        payload = answered
    from pgcoord_hooks.cli import main
    sys.exit(main(payload=payload))

sys.exit(main())
