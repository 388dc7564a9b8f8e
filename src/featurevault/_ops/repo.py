"""Load a feature repo: import every ``.py`` file under it and collect the definitions.

``.featurevaultignore`` (or Feast's ``.feastignore``) lists glob patterns of
paths to skip, one per line. Two different objects of one kind with one name
are an error naming both files.
"""

from __future__ import annotations

import copy
import fnmatch
import importlib.util
import sys
from pathlib import Path
from typing import Any

from featurevault.errors import DuplicateObjectError, FeatureVaultError, RepoLoadError, describe_error
from featurevault._model import (
    Alert,
    DataSource,
    Entity,
    FeatureObject,
    FeatureService,
    FeatureView,
    OnDemandFeatureView,
    Permission,
    RepoContents,
)
from featurevault._model.project import Project

IGNORE_FILES = (".featurevaultignore", ".feastignore")
ALWAYS_SKIPPED = {"__pycache__", ".venv", "venv", "site-packages", "node_modules", ".git"}

#: extra kinds collected from repo files (e.g. permissions): class -> kind name
EXTRA_REPO_KINDS: dict[type, str] = {}


def repo_files(repo: Path) -> list[Path]:
    """The Python files of the repo, minus ignored ones, in a stable order."""
    patterns = _ignore_patterns(repo)
    files = []
    for path in sorted(repo.rglob("*.py")):
        rel = path.relative_to(repo)
        if any(part in ALWAYS_SKIPPED or part.startswith(".") for part in rel.parts[:-1]):
            continue
        if any(_ignored(rel, pattern) for pattern in patterns):
            continue
        files.append(path)
    return files


def _ignore_patterns(repo: Path) -> list[str]:
    patterns: list[str] = []
    for name in IGNORE_FILES:
        path = repo / name
        if path.is_file():
            lines = (line.strip() for line in path.read_text().splitlines())
            patterns.extend(line.rstrip("/") for line in lines if line and not line.startswith("#"))
    return patterns


def _ignored(rel: Path, pattern: str) -> bool:
    text = rel.as_posix()
    return (
        fnmatch.fnmatch(text, pattern)
        or fnmatch.fnmatch(text, f"{pattern}/*")
        or any(fnmatch.fnmatch(part, pattern) for part in rel.parts)
    )


def load_repo(repo_path: str | Path) -> RepoContents:
    """Import the repo's files and collect every definition object they define."""
    repo = Path(repo_path).resolve()
    contents = RepoContents()
    sites: dict[tuple[str, str], tuple[Any, str]] = {}
    for path in repo_files(repo):
        module = _import_file(repo, path)
        for value in list(vars(module).values()):
            if isinstance(value, Project):
                contents.declared_projects.append(value)
                continue
            collect(contents, sites, value, path)
    _mark_repo_modules(repo)
    return contents


def _import_file(repo: Path, path: Path) -> Any:
    rel = path.relative_to(repo).with_suffix("")
    module_name = "featurevault_repo." + ".".join(rel.parts)
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise RepoLoadError(f"{path}: cannot be imported")
    module = importlib.util.module_from_spec(spec)
    module.__featurevault_repo_module__ = True  # type: ignore[attr-defined]
    added = str(repo) not in sys.path
    if added:
        sys.path.insert(0, str(repo))
    try:
        spec.loader.exec_module(module)
    except FeatureVaultError as exc:
        raise type(exc)(f"{path}: {exc}") from exc
    except Exception as exc:
        raise RepoLoadError(f"{path}: importing the file failed: {describe_error(exc)}") from exc
    finally:
        if added:
            sys.path.remove(str(repo))
    return module


def _mark_repo_modules(repo: Path) -> None:
    """Modules the repo imported by their own names are not importable elsewhere either."""
    for module in list(sys.modules.values()):
        file = getattr(module, "__file__", None)
        if file and Path(file).resolve().is_relative_to(repo):
            module.__featurevault_repo_module__ = True  # type: ignore[attr-defined]


def _with_dependencies(value: Any) -> list[FeatureObject]:
    """An object plus what it refers to (a view's entities and source), as Feast registers them."""
    if isinstance(value, FeatureView):
        deps: list[FeatureObject] = [*value.entities, value.source]
        if value.source is not value.batch_source:
            deps.append(value.batch_source)
        return [*deps, value]
    if isinstance(value, (Entity, DataSource, OnDemandFeatureView, FeatureService, Permission, Alert)):
        return [value]
    kind = EXTRA_REPO_KINDS.get(type(value))
    return [value] if kind else []


def _kind(obj: Any) -> str:
    return EXTRA_REPO_KINDS.get(type(obj), getattr(obj, "kind", ""))


Sites = dict[tuple[str, str], tuple[Any, str]]


def collect(contents: RepoContents, sites: Sites, value: Any, path: Path | None = None) -> None:
    """Add a definition and what it refers to; ``sites`` tracks where each (kind, name) came from.

    Two different objects of one kind with one name raise DuplicateObjectError naming both sites.
    """
    for obj in _with_dependencies(value):
        _add(contents, sites, obj, path)


def _add(contents: RepoContents, sites: Sites, obj: Any, path: Path | None) -> None:
    kind = _kind(obj)
    key = (kind, obj.name)
    where = obj.where() if obj.site else str(path or "<memory>")
    if key in sites:
        previous, previous_where = sites[key]
        if previous is obj or _same_definition(previous, obj):
            return
        raise DuplicateObjectError(
            f"two {kind.replace('_', ' ')}s are named {obj.name!r}: one defined at {previous_where}, "
            f"the other at {where}"
        )
    sites[key] = (obj, where)
    contents.by_kind(kind)[obj.name] = _full_view(obj)


def _same_definition(previous: Any, obj: Any) -> bool:
    """One constructor call seen twice: a view and its projections (view[["a"]]) share their site."""
    if previous.site != obj.site:
        return False
    return isinstance(obj, (FeatureView, OnDemandFeatureView)) or previous.to_dict() == obj.to_dict()


def _full_view(obj: Any) -> Any:
    """The view itself when ``obj`` is a projection of it (projections share their view's site)."""
    if isinstance(obj, (FeatureView, OnDemandFeatureView)) and obj.projection.features != obj.feature_names:
        full = copy.copy(obj)
        full._init_projection()
        return full
    return obj
