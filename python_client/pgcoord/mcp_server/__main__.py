"""`python -m pgcoord.mcp_server [--dsn DSN] ...`: the same as `pgcoord mcp`."""
import sys

from .server import main

sys.exit(main())
