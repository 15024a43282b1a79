"""What the repository tracks: nothing of a developer's machine. A committed `.venv` symlink (made
in a helper's worktree, which a directory-only ignore rule let through) broke every fresh checkout:
uv found `.venv` pointing at itself and `make test` stopped after 3 s."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def git(*args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(ROOT), *args], capture_output=True, text=True, check=True
    ).stdout


def test_the_repository_tracks_no_symlink() -> None:
    links = [
        line.split("\t", 1)[1]
        for line in git("ls-files", "-s").splitlines()
        if line.startswith("120000 ")
    ]
    assert links == []


def test_a_venv_or_tools_symlink_is_ignored_as_a_directory_is(tmp_path: Path) -> None:
    """In a fresh repository with our .gitignore, symlinked .venv and .tools (as a worktree makes
    them) and a .env file are all ignored: `git add -A` would commit none of them."""
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / ".gitignore").write_text((ROOT / ".gitignore").read_text())
    (tmp_path / ".env").write_text("WHM_SERVERS=\n")
    for name in (".venv", ".tools"):
        (tmp_path / name).symlink_to(ROOT / name, target_is_directory=True)
    status = subprocess.run(
        ["git", "-C", str(tmp_path), "status", "--porcelain", "--untracked-files=all"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert status == ["??", ".gitignore"]
