"""The repository the fleet works on: a temporary git checkout the agents write into.

The conductor creates it (``git init``, a README) and removes it at the end; the agents
find it in ``$PGCOORD_DEMO_REPO`` and write the files their leases cover. The hook
resolves a tool call's paths against it (the nearest directory holding ``.git``).
"""
from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

ENV = "PGCOORD_DEMO_REPO"


def create() -> Path:
    root = Path(tempfile.mkdtemp(prefix="pgcoord-demo-"))
    if shutil.which("git"):
        subprocess.run(["git", "init", "-q", str(root)], check=True, capture_output=True)
    else:
        (root / ".git").mkdir()
    (root / "src" / "api").mkdir(parents=True)
    (root / "docs").mkdir()
    (root / "README.md").write_text("# shop-api\n\nThe repository the pgcoord demo's fleet works on.\n")
    return root


def write(root: Path | str, path: str, text: str) -> Path:
    """Write ``path`` (relative to the repository) — what an agent does under its lease."""
    target = Path(root) / path
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("a", encoding="utf-8") as fh:
        fh.write(text if text.endswith("\n") else text + "\n")
    return target


def files(root: Path) -> list[str]:
    """The files in the repository (not .git), relative, sorted."""
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and ".git" not in p.parts)


def remove(root: Path) -> None:
    shutil.rmtree(root, ignore_errors=True)
