"""`python -m devtools.demo [--dsn URL] [--prefix NAME]`: run the demo (see __init__.py)."""
from __future__ import annotations

import argparse
import re
import signal
import sys
import traceback

from pgcoord.cluster import ClusterError
from pgcoord.commands.common import resolve_dsn

from .conductor import Conductor
from .fleet import DemoFailed
from .narration import Narrator


def interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m devtools.demo", description="pgcoord's demo: a fleet of four agents")
    p.add_argument("--dsn", help="the operator's login, a superuser or a coord_admin that may create roles "
                                 "(default: $PGCOORD_DSN, else database pgcoord of the embedded cluster)")
    p.add_argument("--prefix", default="demo", help="the agents' role names are PREFIX_alice ... (default: demo)")
    args = p.parse_args(argv)
    if not re.fullmatch(r"[a-z][a-z0-9_]{0,40}", args.prefix):
        p.error("--prefix: lower-case letters, digits and _, starting with a letter")
    # Ctrl-C, or a SIGTERM (even where a background job ignores SIGINT): stop the agents and
    # remove the repository on the way out (Conductor.close), rather than leave them running.
    signal.signal(signal.SIGINT, interrupt)
    signal.signal(signal.SIGTERM, interrupt)
    narrator = Narrator()
    try:
        dsn = resolve_dsn(args.dsn)
    except ClusterError as exc:
        narrator.failed(str(exc))
        return 1
    conductor = Conductor(dsn, args.prefix, narrator)
    try:
        conductor.run()
    except DemoFailed as exc:
        narrator.failed(str(exc))
        return 1
    except KeyboardInterrupt:
        narrator.failed("interrupted")
        return 130
    except Exception as exc:  # noqa: BLE001 - a bug or a broken database: say so, with where
        narrator.failed(f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}")
        return 1
    finally:
        conductor.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
