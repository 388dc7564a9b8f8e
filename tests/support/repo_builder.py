"""One builder for the feature repos the tests set up on disk.

A repo is a directory with a ``feature_store.yaml``, data files and definitions. The builder
writes them and opens a store on the result::

    store = (
        RepoBuilder(tmp_path, project="proj")
        .with_online({"type": "redis", "connection_string": "127.0.0.1:6379"})
        .with_table("data/driver.parquet", rows)
        .with_objects(driver, driver_source, driver_stats)
        .build()  # write, open a FeatureStore, apply the objects
    )

- configuration: by default a local repo (``data/registry.db``, DuckDB offline, SQLite online at
  ``data/online.db``); ``with_online`` replaces the online section, ``with_config`` sets any other
  top-level key, ``with_yaml`` gives the whole file literally instead.
- data: ``with_table`` writes a pyarrow Table or a pandas DataFrame as Parquet at a repo path;
  ``with_delta`` writes one as the first commit (version 0) of a ``DeltaSource``'s table.
- definitions: ``with_objects`` (definition objects, applied with ``store.apply``) and/or
  ``with_definitions`` (Python source written to ``features.py``, applied the way ``featurevault
  apply`` does); ``with_scaffold`` starts from the demo repo of ``featurevault init``.
- other files: ``with_file`` (any text), ``with_runbooks`` (the runbooks ``init`` ships).

``write()`` only writes and returns the path; ``open()`` also opens a store (``store_class`` and
keyword arguments such as ``principal`` pass through); ``build()`` opens and applies.
``open_repo`` opens (and optionally applies) a repo already on disk.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from featurevault import DeltaSource
from featurevault._store import FeatureStore

StoreT = TypeVar("StoreT", bound=FeatureStore)

#: the sections of a default local repo (paths relative to the repo)
LOCAL_SECTIONS: dict[str, Any] = {
    "registry": "data/registry.db",
    "provider": "local",
    "offline_store": {"type": "duckdb"},
    "online_store": {"type": "sqlite", "path": "data/online.db"},
}


class RepoBuilder:
    """A feature repo under ``root`` (created), written by :meth:`write`; see the module docstring."""

    def __init__(self, root: Path, project: str = "proj") -> None:
        self.root = Path(root)
        self.sections: dict[str, Any] = {"project": project, **LOCAL_SECTIONS}
        self.yaml_text: str | None = None
        self.scaffold = False
        self.tables: dict[str, pa.Table | pd.DataFrame] = {}
        self.deltas: list[tuple[DeltaSource, pa.Table | pd.DataFrame]] = []
        self.files: dict[str, str] = {}
        self.objects: list[Any] = []
        self.apply_files = False
        self.runbooks = False

    # -- configuration ------------------------------------------------------------------------

    def with_online(self, section: Mapping[str, Any] | None) -> RepoBuilder:
        """The ``online_store`` section (None keeps the default SQLite one)."""
        if section is not None:
            self.sections["online_store"] = dict(section)
        return self

    def with_config(self, **sections: Any) -> RepoBuilder:
        """Top-level ``feature_store.yaml`` keys (``registry=...``, ``audit=...``, ``alerting=...``)."""
        self.sections.update(sections)
        return self

    def with_yaml(self, text: str) -> RepoBuilder:
        """The whole ``feature_store.yaml``, literally (the sections above are then not used)."""
        self.yaml_text = text
        return self

    # -- data, definitions, files -------------------------------------------------------------

    def with_table(self, path: str, rows: pa.Table | pd.DataFrame) -> RepoBuilder:
        """Rows written as Parquet at ``path`` (relative to the repo)."""
        self.tables[path] = rows
        return self

    def with_tables(self, tables: Mapping[str, pa.Table | pd.DataFrame]) -> RepoBuilder:
        for path, rows in tables.items():
            self.with_table(path, rows)
        return self

    def with_delta(self, source: DeltaSource, rows: pa.Table | pd.DataFrame) -> RepoBuilder:
        """Rows written as version 0 of the Delta table at ``source.path`` (relative to the repo, created anew
        by each :meth:`write`; or ``s3://...``, in a bucket of its own); later versions come from the store's
        own writes."""
        self.deltas.append((source, rows))
        return self

    def with_objects(self, *objects: Any) -> RepoBuilder:
        """Definition objects, applied by :meth:`build` with ``store.apply``."""
        self.objects.extend(objects)
        return self

    def with_definitions(self, source: str, path: str = "features.py") -> RepoBuilder:
        """Python definitions written to ``path`` and applied by :meth:`build` as ``featurevault apply`` does."""
        self.files[path] = source
        self.apply_files = True
        return self

    def with_scaffold(self) -> RepoBuilder:
        """Start from the demo repo of ``featurevault init`` (its definitions are applied by :meth:`build`)."""
        self.scaffold = True
        self.apply_files = True
        return self

    def with_file(self, path: str, text: str) -> RepoBuilder:
        self.files[path] = text
        return self

    def with_runbooks(self) -> RepoBuilder:
        """The ``runbooks/`` directory ``featurevault init`` ships (kept if the repo already has one)."""
        self.runbooks = True
        return self

    # -- results ------------------------------------------------------------------------------

    def write(self) -> Path:
        """Write the repo (over what a previous write left) and return its path."""
        if self.scaffold:
            from featurevault._cli.scaffold import scaffold

            scaffold(self.root)
        (self.root / "data").mkdir(parents=True, exist_ok=True)
        text = self.yaml_text if self.yaml_text is not None else yaml.safe_dump(self.sections, sort_keys=False)
        (self.root / "feature_store.yaml").write_text(text)
        for path, rows in self.tables.items():
            target = self.root / path
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(rows, pd.DataFrame):
                rows.to_parquet(target, index=False)
            else:
                pq.write_table(rows, target)
        for source, rows in self.deltas:
            _write_delta(self.root, source, rows)
        for path, text in self.files.items():
            target = self.root / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
        if self.runbooks and not (self.root / "runbooks").exists():
            from featurevault._cli.scaffold import TEMPLATES

            shutil.copytree(TEMPLATES / "runbooks", self.root / "runbooks")
        return self.root

    def open(self, store_class: type[StoreT] = FeatureStore, **kwargs: Any) -> StoreT:  # type: ignore[assignment]
        """Write the repo and open a store on it, nothing applied."""
        return store_class(repo_path=self.write(), **kwargs)

    def build(self, store_class: type[StoreT] = FeatureStore, **kwargs: Any) -> StoreT:  # type: ignore[assignment]
        """Write the repo, open a store on it and apply its definitions (files first, then objects)."""
        return open_repo(self.write(), store_class, apply_files=self.apply_files, objects=self.objects, **kwargs)


def _write_delta(root: Path, source: DeltaSource, rows: pa.Table | pd.DataFrame) -> None:
    from featurevault._backends.offline.delta import append
    from featurevault._ops.offline_specs import source_spec

    table = pa.Table.from_pandas(rows, preserve_index=False) if isinstance(rows, pd.DataFrame) else rows
    if source.path.startswith("s3://"):  # a table in S3 (the caller's fresh bucket): created by the first append
        append(source_spec(source), source.path, table)
        return
    target = root / source.path
    shutil.rmtree(target, ignore_errors=True)
    append(source_spec(source), target, table)


def open_repo(
    repo: Path,
    store_class: type[StoreT] = FeatureStore,  # type: ignore[assignment]
    *,
    apply_files: bool = False,
    objects: list[Any] | None = None,
    **kwargs: Any,
) -> StoreT:
    """A store on a repo on disk; ``apply_files``: its Python definitions are applied (as
    ``featurevault apply`` does), then ``objects`` (``store.apply``)."""
    store = store_class(repo_path=repo, **kwargs)
    if apply_files:
        from featurevault._ops.apply import apply_contents
        from featurevault._ops.repo import load_repo

        apply_contents(store, load_repo(repo))
    if objects:
        store.apply(objects)
    return store


__all__ = ["LOCAL_SECTIONS", "RepoBuilder", "open_repo"]
