"""Runbooks: Markdown files in the repo (``runbooks/NAME.md``) that alerts link to."""

from __future__ import annotations

from pathlib import Path

from featurevault.errors import MonitoringError

RUNBOOK_DIR = "runbooks"


def runbook_path(repo: Path, name: str) -> Path:
    """``stale_features``, ``stale_features.md`` or ``runbooks/stale_features.md`` -> the file in the repo."""
    candidate = Path(name)
    if candidate.suffix != ".md":
        candidate = candidate.with_suffix(".md")
    if len(candidate.parts) == 1:
        candidate = Path(RUNBOOK_DIR) / candidate
    path = (repo / candidate).resolve()
    if not path.is_relative_to(repo.resolve()):
        raise MonitoringError(f"runbook {name!r} points outside the repo {repo}")
    return path


def read_runbook(repo: Path, name: str) -> str:
    path = runbook_path(repo, name)
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in (repo / RUNBOOK_DIR).glob("*.md"))) or "none"
        raise MonitoringError(f"runbook {name!r}: {path} does not exist (runbooks in {repo / RUNBOOK_DIR}: {known})")
    return path.read_text()
