"""The Python of the project is linted under the project's rules (ruff, pyproject.toml):
the client, the dev tooling, the bench, the tests and the Cedar evaluator that runs
inside the server (sql/plpython)."""
from __future__ import annotations

import subprocess
import sys

from .invariant_catalogue import REPO

LINTED = ["python_client", "devtools", "bench", "tests", "sql/plpython"]


def test_the_python_is_lint_clean():
    proc = subprocess.run([sys.executable, "-m", "ruff", "check", *LINTED], capture_output=True, text=True, cwd=REPO)
    assert proc.returncode == 0, proc.stdout + proc.stderr
