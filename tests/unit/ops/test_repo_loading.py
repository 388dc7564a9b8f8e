from pathlib import Path

import pytest

from featurevault.errors import DuplicateObjectError, RepoLoadError, UnsupportedConstructError
from featurevault._ops.repo import load_repo

HEADER = (
    "from datetime import timedelta\n"
    "from featurevault import Entity, FeatureView, Field, FileSource, FeatureService\n"
    "from featurevault.types import Int64\n"
)
VIEW = (
    "driver = Entity(name='driver', join_keys=['driver_id'])\n"
    "src = FileSource(name='src', path='data/d.parquet', timestamp_field='ts')\n"
    "stats = FeatureView(name='{name}', entities=[driver], schema=[Field(name='trips', dtype=Int64)], source=src)\n"
)


def test_collects_objects_and_their_dependencies(tmp_path: Path) -> None:
    (tmp_path / "defs.py").write_text(
        HEADER
        + VIEW.format(name="stats")
        + "svc = FeatureService(name='m_v1', features=[stats[['trips']]])\nsub = stats[['trips']]\n"
    )
    contents = load_repo(tmp_path)
    assert set(contents.entities) == {"driver"}
    assert set(contents.data_sources) == {"src"}
    assert set(contents.feature_views) == {"stats"}
    assert contents.feature_views["stats"].projection.features == ["trips"]
    assert set(contents.feature_services) == {"m_v1"}


def test_duplicate_names_in_two_files_name_both(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text(HEADER + VIEW.format(name="stats"))
    (tmp_path / "b.py").write_text(HEADER + "e = Entity(name='driver', join_keys=['other_id'])\n")
    with pytest.raises(DuplicateObjectError) as info:
        load_repo(tmp_path)
    assert "a.py" in str(info.value) and "b.py" in str(info.value)


def test_ignore_files_are_honoured(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text(HEADER + VIEW.format(name="stats"))
    (tmp_path / "scratch").mkdir()
    (tmp_path / "scratch" / "broken.py").write_text("raise RuntimeError('should be ignored')\n")
    (tmp_path / "notebook.py").write_text("raise RuntimeError('ignored too')\n")
    (tmp_path / ".featurevaultignore").write_text("scratch/\n")
    (tmp_path / ".feastignore").write_text("notebook.py\n")
    assert set(load_repo(tmp_path).feature_views) == {"stats"}


def test_import_error_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "bad.py").write_text("import not_a_module_anywhere\n")
    with pytest.raises(RepoLoadError, match="bad.py.*not_a_module_anywhere"):
        load_repo(tmp_path)


def test_unsupported_construct_names_file_and_construct(tmp_path: Path) -> None:
    (tmp_path / "s.py").write_text("from featurevault import StreamFeatureView\nStreamFeatureView(name='clicks')\n")
    with pytest.raises(UnsupportedConstructError, match="s.py.*StreamFeatureView"):
        load_repo(tmp_path)
