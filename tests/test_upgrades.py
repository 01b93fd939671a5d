"""Upgrades from what was released.

A release is the plan and scripts as they landed with a tag (read from git
history, so nothing is copied into the tree). Two promises are checked:

* today's scripts deploy, up to a released tag, exactly the catalog the released
  scripts deployed (a released change may be restructured — split into included
  files, its superseded bodies shared with later reverts — but never altered);
* a database deployed by the released scripts upgrades to head with plain
  ``sqitch deploy`` and then equals a fresh head deploy, and reverts to each tag.

@v0.1.0 and @v0.2.0 are not checked: their scripts were re-cut on the day they
were written (2026-11-22, commit c6b0703, before any database outside the
project's own ran them); @v0.3.0 is the first tag whose scripts are frozen.
"""
from __future__ import annotations

import io
import shutil
import subprocess
import tarfile
from pathlib import Path

import psycopg
import pytest

from devtools import databases
from pgcoord import migrations
from pgcoord.cluster import project_root, with_dbname

from .catalog import describe

# The commit each tag landed with (the last commit before the plan grew past it).
RELEASED = {"@v0.3.0": "07f14a2", "@v0.4.0": "e5a0fdc"}


def released_tree(tag: str, into: Path) -> Path:
    """The plan, sqitch.conf and sql/ of a release, extracted from git history."""
    root = project_root()
    if shutil.which("git") is None or not (root / ".git").exists():
        pytest.skip("released scripts come from git history; this tree is not a git checkout")
    proc = subprocess.run(["git", "-C", str(root), "archive", RELEASED[tag], "sqitch.plan", "sqitch.conf", "sql"],
                          capture_output=True)
    if proc.returncode != 0:
        pytest.skip(f"commit {RELEASED[tag]} of {tag} is not in this clone's history (shallow clone?): "
                    f"{proc.stderr.decode(errors='replace').strip()}")
    with tarfile.open(fileobj=io.BytesIO(proc.stdout)) as archive:
        archive.extractall(into, filter="data")
    plan = (into / "sqitch.plan").read_text()
    assert any(line.startswith(tag + " ") for line in plan.splitlines()), f"{RELEASED[tag]} does not hold {tag}"
    return into


@pytest.fixture
def new_database(admin_dsn):
    made: list[str] = []

    def make() -> str:
        name = databases.create_database(admin_dsn, "pgcoord_upg")
        made.append(name)
        return with_dbname(admin_dsn, name)

    yield make
    for name in made:
        databases.drop_database(admin_dsn, name)


def evaluator_as_installed(catalog: dict[str, list[tuple]]) -> dict[str, list[tuple]]:
    """The catalog with the PL/Python evaluator's bodies set aside: since v0.5.0 they
    load sql/plpython/cedar_evaluator.py, the same code earlier releases carried
    inline (the Cedar suites judge its behaviour; the evaluator is not versioned
    by tag). Everything else about those functions is still compared."""
    functions = [row[:3] + ("<PL/Python evaluator>",) + row[4:] if "LANGUAGE plpython3u" in row[3] else row
                 for row in catalog["functions"]]
    return {**catalog, "functions": functions}


def baseline_policies(dsn: str) -> list[tuple]:
    with psycopg.connect(dsn) as conn:
        return conn.execute("SELECT version, policy_text, reason FROM coord_private.cedar_policies "
                            "WHERE version = 1").fetchall()


def assert_same_catalog(a: str, b: str, what: str, *, evaluator: bool = True) -> None:
    left, right = describe(a), describe(b)
    if not evaluator:
        left, right = evaluator_as_installed(left), evaluator_as_installed(right)
    for section in left:
        assert left[section] == right[section], f"catalog section {section} differs: {what}"
    assert baseline_policies(a) == baseline_policies(b), f"the baseline Cedar policies differ: {what}"


@pytest.mark.parametrize("tag", sorted(RELEASED))
def test_todays_scripts_deploy_each_released_tag_unchanged(tmp_path, new_database, tag):
    released = released_tree(tag, tmp_path)
    old, new = new_database(), new_database()
    migrations._sqitch(["deploy", "--to", tag], old, root=released)
    migrations.deploy(new, to=tag)
    assert_same_catalog(old, new, f"today's scripts deployed to {tag} differ from the released ones",
                        evaluator=False)


@pytest.mark.parametrize("tag", sorted(RELEASED))
def test_a_released_database_upgrades_to_head_and_reverts_to_its_tag(tmp_path, new_database, tag):
    released = released_tree(tag, tmp_path)
    upgraded, fresh = new_database(), new_database()
    migrations._sqitch(["deploy", "--to", tag], upgraded, root=released)
    migrations.deploy(upgraded)
    migrations.deploy(fresh)
    assert_same_catalog(upgraded, fresh, f"a database released at {tag} and upgraded differs from a fresh head")
    assert "Verify successful" in migrations.verify(upgraded)
    migrations.revert(upgraded, to=tag)
    back = new_database()
    migrations._sqitch(["deploy", "--to", tag], back, root=released)
    assert_same_catalog(upgraded, back, f"upgraded, then reverted to {tag}, differs from the release",
                        evaluator=False)
