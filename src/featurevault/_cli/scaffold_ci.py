"""``featurevault scaffold ci`` (and ``init``): CI pipelines, the repo's own tests, a rollback runbook.

Writes, relative to the feature repo:

- ``.github/workflows/featurevault.yml`` and ``.gitlab-ci.yml``: lint, plan (Markdown for the
  pull request), the tests, validate; on the main branch apply to staging and promote to prod;
- ``tests/``: generated tests of the repo's definitions (schemas, entities, TTLs, on-demand
  transforms with zero inputs, online and historical retrieval, a latency budget, an end-to-end
  model with scikit-learn) and ``tests/requirements.txt``;
- ``rollback_runbook.md``: the rollback procedure, carried out by ``history``/``diff``/``rollback``.

An existing file is kept unless ``force``; the result lists what was written and what was kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

TEMPLATES = Path(__file__).parent / "templates"
TEST_FILES = (
    "conftest.py",
    "test_definitions.py",
    "test_retrieval.py",
    "test_latency.py",
    "test_model.py",
    "requirements.txt",
)


@dataclass
class ScaffoldResult:
    written: list[Path] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)


def scaffold_ci(repo: Path, *, force: bool = False, repo_dir: str = ".") -> ScaffoldResult:
    """Write the CI files, generated tests and runbook into ``repo`` (``repo_dir``: its path in the checkout)."""
    files: dict[Path, str] = {
        Path(".github/workflows/featurevault.yml"): _ci("github_workflow.yml", repo_dir),
        Path(".gitlab-ci.yml"): _ci("gitlab_ci.yml", repo_dir),
        Path("rollback_runbook.md"): (TEMPLATES / "rollback_runbook.md").read_text(),
    }
    for name in TEST_FILES:
        files[Path("tests") / name] = (TEMPLATES / "repo_tests" / name).read_text()
    result = ScaffoldResult()
    for rel, text in files.items():
        path = repo / rel
        if path.exists() and not force:
            result.kept.append(rel)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        result.written.append(rel)
    _ignore_tests(repo)
    return result


def _ci(name: str, repo_dir: str) -> str:
    return (TEMPLATES / "ci" / name).read_text().replace("REPO_DIR", repo_dir)


def _ignore_tests(repo: Path) -> None:
    """The generated tests are not definitions: keep ``featurevault apply`` from importing them."""
    ignore = repo / ".featurevaultignore"
    lines = ignore.read_text().splitlines() if ignore.exists() else []
    if "tests/" not in lines and "tests" not in lines:
        ignore.write_text("\n".join([*lines, "tests/"]) + "\n")
