"""Compaction of a Parquet source: small files of one directory rewritten into files of about a target size.

Files are only merged within their own directory, so hive partitions keep their values.
The swap never loses a row: the merged files are written under hidden names, their row
count checked against the originals, and a journal naming old and new files is written
before anything is renamed. Then the new files take their final names and the old ones
are removed. A crash before the journal leaves only hidden leftovers (removed by the next
run); a crash after it is rolled forward by the next run. For the instant between the
renames and the removals a reader may see a row twice (identical copies, which a
point-in-time join resolves to the same value), never miss one.
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from featurevault.errors import DataSourceError

logger = logging.getLogger(__name__)

JOURNAL = "_featurevault_compaction.json"
_TMP_PREFIX = ".fv-compact-"


@dataclass
class CompactionResult:
    files_removed: int = 0
    files_added: int = 0
    rows: int = 0
    #: directories left alone, with the reason (files that cannot be merged)
    skipped: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "files_removed": self.files_removed,
            "files_added": self.files_added,
            "rows": self.rows,
            "skipped": self.skipped,
        }


def compact_parquet(name: str, files: list[str], target_bytes: int) -> CompactionResult:
    """Merge the files of ``files`` smaller than ``target_bytes`` (two or more per directory)."""
    result = CompactionResult()
    by_dir: dict[Path, list[Path]] = defaultdict(list)
    for file in files:
        path = Path(file)
        by_dir[path.parent].append(path)
    for directory, group in sorted(by_dir.items()):
        recover(directory)
        small = sorted(p for p in group if p.exists() and p.stat().st_size < target_bytes)
        if len(small) < 2:
            continue
        try:
            _compact_directory(directory, small, target_bytes, result)
        except (pa.ArrowInvalid, pa.ArrowTypeError, OSError) as exc:
            result.skipped.append(f"{directory}: {exc}")
            logger.warning("data source %s: directory %s not compacted: %s", name, directory, exc)
    return result


def _compact_directory(directory: Path, small: list[Path], target_bytes: int, result: CompactionResult) -> None:
    batches = _bins(small, target_bytes)
    written: list[tuple[Path, Path]] = []
    try:
        expected = 0
        for batch in batches:
            table = pa.concat_tables([pq.ParquetFile(p).read() for p in batch], promote_options="permissive")
            expected += sum(pq.ParquetFile(p).metadata.num_rows for p in batch)
            hidden = directory / f"{_TMP_PREFIX}{uuid.uuid4().hex}.tmp"
            pq.write_table(table, hidden)
            _fsync(hidden)
            written.append((hidden, directory / f"part-{uuid.uuid4().hex}-compacted.parquet"))
        merged = sum(pq.ParquetFile(h).metadata.num_rows for h, _ in written)
        if merged != expected:
            raise OSError(f"merged files hold {merged} rows, the originals {expected}; nothing was swapped")
    except BaseException:
        for hidden, _ in written:
            hidden.unlink(missing_ok=True)
        raise
    journal = {"old": [p.name for p in small], "new": [[h.name, f.name] for h, f in written]}
    _write_journal(directory, journal)
    _roll_forward(directory, journal)
    result.files_removed += len(small)
    result.files_added += len(written)
    result.rows += merged


def _bins(files: list[Path], target_bytes: int) -> list[list[Path]]:
    """Consecutive files grouped so each group's size stays near ``target_bytes``."""
    bins: list[list[Path]] = [[]]
    size = 0
    for path in files:
        length = path.stat().st_size
        if bins[-1] and size + length > target_bytes:
            bins.append([])
            size = 0
        bins[-1].append(path)
        size += length
    return bins


def recover(directory: Path) -> None:
    """Finish a compaction a crash interrupted: roll a journaled swap forward, drop unjournaled leftovers."""
    journal_path = directory / JOURNAL
    if journal_path.exists():
        _roll_forward(directory, json.loads(journal_path.read_text()))
    for leftover in directory.glob(f"{_TMP_PREFIX}*.tmp"):
        leftover.unlink(missing_ok=True)


def _roll_forward(directory: Path, journal: dict[str, Any]) -> None:
    for hidden, final in journal["new"]:
        if (directory / hidden).exists():
            os.replace(directory / hidden, directory / final)
    if not all((directory / final).exists() for _, final in journal["new"]):
        raise DataSourceError(f"compaction of {directory}: merged files are missing; the originals were kept")
    for old in journal["old"]:
        (directory / old).unlink(missing_ok=True)
    (directory / JOURNAL).unlink(missing_ok=True)
    _fsync_dir(directory)


def _write_journal(directory: Path, journal: dict[str, Any]) -> None:
    tmp = directory / f"{_TMP_PREFIX}journal.tmp"
    tmp.write_text(json.dumps(journal))
    _fsync(tmp)
    os.replace(tmp, directory / JOURNAL)
    _fsync_dir(directory)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    try:
        _fsync(path)
    except OSError:  # some filesystems refuse fsync on directories; the renames still happened
        pass
