"""What the readiness report can see in a repo's files: tests, CI pipelines, runbooks.

The walk is bounded (file count and size) and skips environments and data, so
that a report over a large checkout stays quick.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

SKIP_DIRS = {".git", ".venv", "venv", "node_modules", "__pycache__", "data", ".mypy_cache", ".pytest_cache", "dist"}
MAX_FILES = 5000
MAX_BYTES = 512 * 1024
CI_FILES = (".gitlab-ci.yml", "Jenkinsfile", "azure-pipelines.yml", "bitbucket-pipelines.yml", ".drone.yml")
CI_DIRS = (".github/workflows", ".circleci", ".buildkite")


@dataclass
class RepoFiles:
    """Files of interest under a repo, as paths relative to it."""

    root: Path
    test_files: list[Path] = field(default_factory=list)
    runbooks: list[Path] = field(default_factory=list)
    ci_files: list[Path] = field(default_factory=list)

    def read(self, rel: Path) -> str:
        path = self.root / rel
        try:
            return path.read_text(errors="replace")[:MAX_BYTES] if path.stat().st_size <= 8 * MAX_BYTES else ""
        except OSError:
            return ""

    def tests_mentioning(self, words: list[str]) -> list[Path]:
        """Test files whose text contains any of ``words``."""
        return [p for p in self.test_files if any(w in self.read(p) for w in words)]


def scan_repo(repo_path: Path) -> RepoFiles:
    """Walk the repo once; CI files are looked for up to the enclosing git checkout's root."""
    root = repo_path.resolve()
    found = RepoFiles(root)
    for count, path in enumerate(_walk(root)):
        if count >= MAX_FILES:
            break
        rel = path.relative_to(root)
        name = path.name.lower()
        if path.suffix == ".py" and (name.startswith("test_") or name.endswith("_test.py")):
            found.test_files.append(rel)
        elif ("runbook" in name or "runbooks" in rel.parts[:-1]) and path.suffix in (".md", ".rst", ".txt", ""):
            found.runbooks.append(rel)
    found.ci_files = _ci_files(root)
    return found


def _walk(root: Path) -> list[Path]:
    result: list[Path] = []
    stack = [root]
    while stack and len(result) < MAX_FILES:
        directory = stack.pop()
        try:
            entries = sorted(directory.iterdir())
        except OSError:
            continue
        for entry in entries:
            if entry.is_dir() and not entry.is_symlink():
                if entry.name not in SKIP_DIRS:
                    stack.append(entry)
            elif entry.is_file():
                result.append(entry)
    return result


def _ci_files(root: Path) -> list[Path]:
    """CI definitions in the repo or any parent up to the git root (a repo is often a subfolder)."""
    found: list[Path] = []
    for directory in (root, *root.parents):
        for name in CI_FILES:
            if (directory / name).is_file():
                found.append(directory / name)
        for sub in CI_DIRS:
            if (directory / sub).is_dir():
                found.extend(sorted(p for p in (directory / sub).iterdir() if p.suffix in (".yml", ".yaml")))
        if (directory / ".git").exists():
            break
    return found
