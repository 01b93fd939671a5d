"""The two things pyproject.toml cannot say declaratively.

* The version is the Sqitch plan's last tag (``@v0.5.0`` -> ``0.5.0``): the package
  and the schema it deploys are released together. Changes planned after the last
  tag make a post-release (``0.5.0.post2``: two changes after v0.5.0).
* The wheel carries the migrations: ``sqitch.conf``, ``sqitch.plan``, ``sql/`` and
  ``policies/`` (the Cedar schema and baseline the deploy scripts read with psql) are
  copied from the repository root into ``pgcoord/sqitch/`` of the build, where
  ``pgcoord.migrations`` finds them with importlib.resources. The repository root
  stays their only source (a checkout and an editable install deploy from there).
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
MIGRATIONS = ("sqitch.conf", "sqitch.plan", "sql", "policies")


def plan_version(plan: Path = ROOT / "sqitch.plan") -> str:
    tag, after = None, 0
    for line in plan.read_text(encoding="utf-8").splitlines():
        if line.startswith("@"):
            tag, after = line[1:].split()[0], 0
        elif line.strip() and not line.lstrip().startswith(("%", "#")):
            after += 1
    if tag is None or not re.fullmatch(r"v\d+\.\d+\.\d+", tag):
        raise SystemExit(f"setup.py: the plan's last tag {tag!r} is not vMAJOR.MINOR.PATCH")
    return tag[1:] + (f".post{after}" if after else "")


class build_py_with_migrations(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return   # an editable install deploys from the checkout itself
        target = Path(self.build_lib) / "pgcoord" / "sqitch"
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        for name in MIGRATIONS:
            source = ROOT / name
            if source.is_dir():
                shutil.copytree(source, target / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
            else:
                shutil.copy2(source, target / name)


setup(version=plan_version(), cmdclass={"build_py": build_py_with_migrations})
