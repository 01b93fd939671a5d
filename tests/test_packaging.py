"""The wheel is a complete install: built from this checkout, installed into a clean
virtualenv, run outside any checkout, `pgcoord deploy --dsn` deploys the whole plan
from the migrations the package carries (importlib.resources), and the package's
version is the plan's last tag.

The virtualenv gets the wheel's dependencies from the package registry (pip's cache
makes a second run quick); the wheel is built with build isolation, as a user's
`pip install` would build it.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import psycopg
import pytest

from devtools import databases
from pgcoord.cluster import project_root, with_dbname

ROOT = project_root()


def plan_tag_version() -> tuple[str, int]:
    """The plan's last tag (without the v) and how many changes follow it."""
    tag, after = None, 0
    for line in (ROOT / "sqitch.plan").read_text().splitlines():
        if line.startswith("@"):
            tag, after = line[1:].split()[0].lstrip("v"), 0
        elif line.strip() and not line.lstrip().startswith(("%", "#")):
            after += 1
    assert tag is not None, "the plan has no tag"
    return tag, after


def plan_changes() -> list[str]:
    return [line.split()[0] for line in (ROOT / "sqitch.plan").read_text().splitlines()
            if line.strip() and not line.lstrip().startswith(("%", "#", "@"))]


def tracked_copy(into: Path) -> Path:
    """The checkout's tracked files as they are now (no build/ leftovers, no untracked
    files under sql/), which is what a release is built from."""
    files = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z"], capture_output=True, check=True).stdout
    for name in filter(None, files.decode().split("\0")):
        source = ROOT / name
        if source.is_file():
            (into / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, into / name)
    return into


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("the wheel is built from the tracked files; this tree is not a git checkout")
    source = tracked_copy(tmp_path_factory.mktemp("source"))
    out = tmp_path_factory.mktemp("wheel")
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "-q", "-w", str(out)],
                          capture_output=True, text=True, cwd=out)
    assert proc.returncode == 0, proc.stderr
    (wheels,) = out.glob("pgcoord-*.whl")
    return wheels


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clean virtualenv (no site packages, no checkout on its path) with the wheel installed."""
    env_dir = tmp_path_factory.mktemp("clean-venv")
    venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
    proc = subprocess.run([str(env_dir / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel)],
                          capture_output=True, text=True, cwd=env_dir)
    assert proc.returncode == 0, proc.stderr
    return env_dir


def outside_checkout_env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("PGCOORD_HOME", "PYTHONPATH", "VIRTUAL_ENV", "PGCOORD_DSN", "PGCOORD_DATA_DIR")}
    env["HOME"] = str(tmp)     # the embedded cluster's default home would be here, not in the checkout
    return env


def test_wheel_carries_the_migrations_and_nothing_of_the_checkout(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    # every file a deploy script may read: the SQL, the PL/Python module, the Cedar schema and baselines
    sources = {str(p.relative_to(ROOT)) for top in ("sql", "policies") for p in (ROOT / top).rglob("*")
               if p.is_file() and "__pycache__" not in p.parts}
    assert any(s.endswith(".cedar") for s in sources) and any(s.endswith(".py") for s in sources)
    assert {f"pgcoord/sqitch/{f}" for f in sources} <= names
    assert not [n for n in names if "__pycache__" in n]
    assert {"pgcoord/sqitch/sqitch.plan", "pgcoord/sqitch/sqitch.conf", "pgcoord/py.typed"} <= names
    with zipfile.ZipFile(wheel) as z:
        assert z.read("pgcoord/sqitch/sqitch.plan") == (ROOT / "sqitch.plan").read_bytes()
    assert not [n for n in names if n.startswith(("tests/", "devtools/", "bench/", "pgtap/"))]
    assert any(re.fullmatch(r"pgcoord-[^/]+\.dist-info/licenses/LICENSE", n) for n in names)


def test_wheel_version_is_the_plan_tag(wheel: Path) -> None:
    tag, after = plan_tag_version()
    expected = tag + (f".post{after}" if after else "")
    assert wheel.name.startswith(f"pgcoord-{expected}-"), (wheel.name, expected)
    metadata = zipfile.ZipFile(wheel).read(f"pgcoord-{expected}.dist-info/METADATA").decode()
    assert "License-Expression: MIT" in metadata


def test_installed_wheel_deploys_outside_any_checkout(installed: Path, admin_dsn: str, tmp_path: Path) -> None:
    name = databases.create_database(admin_dsn, "pgcoord_wheel")
    dsn = with_dbname(admin_dsn, name)
    env = outside_checkout_env(tmp_path)
    pgcoord = str(installed / "bin" / "pgcoord")
    try:
        version = subprocess.run([pgcoord, "--version"], capture_output=True, text=True, cwd=tmp_path, env=env)
        assert version.returncode == 0, version.stderr
        tag, after = plan_tag_version()
        assert version.stdout.strip() == f"pgcoord {tag}" + (f".post{after}" if after else "")

        where = subprocess.run([str(installed / "bin" / "python"), "-c",
                                "from pgcoord import migrations; print(migrations.plan_dir())"],
                               capture_output=True, text=True, cwd=tmp_path, env=env)
        assert where.returncode == 0, where.stderr
        assert Path(where.stdout.strip()).is_relative_to(installed), where.stdout

        deploy = subprocess.run([pgcoord, "--dsn", dsn, "deploy"], capture_output=True, text=True,
                                cwd=tmp_path, env=env, timeout=600)
        assert deploy.returncode == 0, deploy.stdout + deploy.stderr
        with psycopg.connect(dsn) as conn:
            deployed = [r[0] for r in conn.execute(
                "SELECT change FROM sqitch.changes WHERE project = 'pgcoord' ORDER BY committed_at")]
            assert deployed == plan_changes()

        verify = subprocess.run([pgcoord, "--dsn", dsn, "verify"], capture_output=True, text=True,
                                cwd=tmp_path, env=env, timeout=600)
        assert verify.returncode == 0, verify.stdout + verify.stderr
    finally:
        databases.drop_database(admin_dsn, name)


def test_installed_package_without_a_server_fails_with_one_line(installed: Path, tmp_path: Path) -> None:
    """No embedded cluster was started in this home: the command says what to do, no traceback."""
    env = outside_checkout_env(tmp_path)
    proc = subprocess.run([str(installed / "bin" / "pgcoord"), "status"], capture_output=True, text=True,
                          cwd=tmp_path, env=env, timeout=120)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert "pgcoord db start" in proc.stderr
