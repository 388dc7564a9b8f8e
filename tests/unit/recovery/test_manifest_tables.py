"""An online file entry that does not name its table (``table`` absent from the manifest) is
read under the table its file is named after, by the restore and by every step around it."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from featurevault._backends.online.sqlite import Store as SqliteOnline
from featurevault._backends.registry.sqlite import Store as SqliteRegistry
from featurevault._ops.materialize import NAMESPACE
from featurevault._recovery import online_snapshot
from featurevault._recovery.backup import _rewind_watermarks
from featurevault._recovery.manifest import FileEntry, Manifest


def _manifest(*files: FileEntry, watermarks: dict[str, str] | None = None) -> Manifest:
    return Manifest(
        backup_id="b1",
        project="proj",
        created_at="2024-01-01T00:00:00+00:00",
        tool_version="0",
        registry_type="file",
        registry_version=1,
        online_type="sqlite",
        include=["online"],
        window_start=None,
        window_end=None,
        watermarks=watermarks or {},
        files=list(files),
    )


def test_an_entry_without_a_table_is_named_after_its_file() -> None:
    assert FileEntry("online/driver_stats.arrows", 1, "x", "online").online_table == "driver_stats"
    assert FileEntry("online/x.arrows", 1, "x", "online", table="driver_stats").online_table == "driver_stats"


def test_watermarks_are_rewound_under_the_file_named_table(tmp_path: Path) -> None:
    registry = SqliteRegistry(tmp_path / "registry.db")
    try:
        registry.set_state("proj", NAMESPACE, "driver_stats", "2024-01-02T00:00:00+00:00")
        manifest = _manifest(
            FileEntry("online/driver_stats.arrows", 1, "x", "online"),
            watermarks={"driver_stats": "2024-01-01T00:00:00+00:00"},
        )
        ctx = SimpleNamespace(registry=registry, project="proj")
        marks = _rewind_watermarks(ctx, manifest)  # type: ignore[arg-type]  # reads only these two fields
        assert marks == {"driver_stats": "2024-01-01T00:00:00+00:00"}
        assert registry.get_state("proj", NAMESPACE)["driver_stats"] == "2024-01-01T00:00:00+00:00"
    finally:
        registry.close()


def test_a_table_the_backup_holds_is_not_extra(tmp_path: Path) -> None:
    online = SqliteOnline(tmp_path / "online.db", "proj")
    try:
        online.write("driver_stats", [b"k"], [b"v"])
        online.write("other", [b"k"], [b"v"])
        manifest = _manifest(FileEntry("online/driver_stats.arrows", 1, "x", "online"))
        assert online_snapshot.extra_tables(online, manifest) == ["other"]
    finally:
        online.close()
