"""The test runner never passes on a server it could not have (issue 18): with
PGCOORD_TEST_DOCKER=1 and no usable image or Docker engine, `make test`'s runner
and a bare pytest both fail, saying why, instead of skipping every database test."""
from __future__ import annotations

import os
import subprocess
import sys

from pgcoord.cluster import project_root


def docker_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PGCOORD_TEST_DSN", "PGCOORD_TEST_DOCKER_IMAGE")}
    env["PGCOORD_TEST_DOCKER"] = "1"
    return env


def test_runner_fails_loudly_without_a_usable_docker_backend() -> None:
    proc = subprocess.run([sys.executable, "-m", "devtools.testing", "pytest", "tests/test_spine.py"],
                          capture_output=True, text=True, cwd=project_root(), env=docker_env(), timeout=300)
    assert proc.returncode != 0
    assert "PGCOORD_TEST_DOCKER=1" in proc.stderr


def test_bare_pytest_fails_instead_of_skipping_without_a_server() -> None:
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "tests/test_spine.py::test_INV_TRUST_identity_is_the_session_user"],
                          capture_output=True, text=True, cwd=project_root(), env=docker_env(), timeout=300)
    assert proc.returncode != 0, proc.stdout
    assert "no test server: PGCOORD_TEST_DOCKER=1" in proc.stdout
    assert "skipped" not in proc.stdout.splitlines()[-1]
