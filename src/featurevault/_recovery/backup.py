"""Backups: create, list, verify and restore, on the stores a :class:`RecoveryContext` names.

Create writes every file under ``<target>/<backup id>/`` and the signed
manifest last; list shows only backups whose manifest exists, so a backup
killed half-way is never listed. Restore verifies first, then restores the
registry (one transaction) and each online table (staging table + swap), and
sets the watermarks back to the snapshot's, so ``materialize-incremental``
fills exactly the gap since the backup.
"""

from __future__ import annotations

import logging
import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from featurevault.errors import BackupIntegrityError, BackupNotFoundError, RecoveryError
from featurevault._recovery import online_snapshot, registry_snapshot
from featurevault._recovery.context import RecoveryContext
from featurevault._recovery.manifest import MANIFEST, Manifest
from featurevault._recovery.state import record

logger = logging.getLogger(__name__)

PARTS = ("registry", "online")


@dataclass
class BackupResult:
    manifest: Manifest
    seconds: float
    location: str

    def to_dict(self) -> dict[str, Any]:
        return {**self.manifest.summary(), "seconds": round(self.seconds, 3), "location": self.location}


@dataclass
class VerifyResult:
    backup_id: str
    ok: bool
    signature: str
    problems: list[str] = field(default_factory=list)
    files_checked: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "backup_id": self.backup_id,
            "ok": self.ok,
            "signature": self.signature,
            "files_checked": self.files_checked,
            "problems": self.problems,
        }


@dataclass
class RestoreResult:
    backup_id: str
    registry_version: int | None
    online_records: dict[str, int]
    watermarks: dict[str, Any]
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "backup_id": self.backup_id,
            "registry_version": self.registry_version,
            "online_records": self.online_records,
            "watermarks": self.watermarks,
            "seconds": round(self.seconds, 3),
        }


def new_backup_id(now: datetime) -> str:
    return now.strftime("%Y%m%dT%H%M%S") + f"Z-{secrets.token_hex(3)}"


def create_backup(ctx: RecoveryContext, include: list[str] | None = None) -> BackupResult:
    parts = _parts(include or list(ctx.backup_config.include))
    began = time.perf_counter()
    now = datetime.now(UTC)
    backup_id = new_backup_id(now)
    registry = ctx.registry
    # watermarks first: the snapshot holds at least what they claim, so a later incremental run never skips data
    watermarks = ctx.watermarks()
    version = registry.latest_version(ctx.project)
    files = []
    if "registry" in parts:
        files += registry_snapshot.dump(registry, ctx.project, ctx.target, backup_id)
    window_start = datetime.now(UTC).isoformat()
    if "online" in parts:
        files += online_snapshot.dump(ctx.online, ctx.target, backup_id)
    manifest = Manifest(
        backup_id=backup_id,
        project=ctx.project,
        created_at=now.isoformat(),
        tool_version=_version(),
        registry_type=registry.type_name,
        registry_version=version,
        online_type=ctx.online.type_name,
        include=list(parts),
        window_start=window_start if "online" in parts else None,
        window_end=datetime.now(UTC).isoformat() if "online" in parts else None,
        watermarks=watermarks,
        files=files,
    ).signed(ctx.signing_key)
    ctx.target.write_bytes_atomically(manifest.to_json(), backup_id, MANIFEST)
    result = BackupResult(manifest, time.perf_counter() - began, ctx.target.uri(backup_id))
    record(ctx.registry, ctx.project, "last_backup", result.to_dict())
    logger.info("backup %s: %d files, %d bytes in %.2fs", backup_id, len(files), manifest.size, result.seconds)
    return result


def list_backups(ctx: RecoveryContext) -> list[Manifest]:
    """Complete backups at the target, newest first (a directory without a manifest is not one)."""
    found = []
    for name in ctx.target.children():
        if ctx.target.exists(name, MANIFEST):
            try:
                found.append(load_manifest(ctx, name))
            except BackupIntegrityError as exc:
                logger.warning("skipping %s: %s", name, exc)
    return sorted(found, key=lambda m: m.created_at, reverse=True)


def load_manifest(ctx: RecoveryContext, backup_id: str) -> Manifest:
    if "/" in backup_id or backup_id in ("", ".", "..") or not ctx.target.exists(backup_id, MANIFEST):
        raise BackupNotFoundError(f"no complete backup {backup_id!r} at {ctx.target.label}")
    return Manifest.from_json(ctx.target.read_bytes(backup_id, MANIFEST), f"backup {backup_id}")


def verify_backup(ctx: RecoveryContext, backup_id: str) -> VerifyResult:
    """Check the manifest's signature and every file's size and SHA-256 (streamed)."""
    import hashlib

    manifest = load_manifest(ctx, backup_id)
    try:
        signature = manifest.check_signature(ctx.signing_key)
    except BackupIntegrityError as exc:
        return VerifyResult(backup_id, False, "bad", [str(exc)])
    problems = []
    for entry in manifest.files:
        parts = (backup_id, *entry.path.split("/"))
        if not ctx.target.exists(*parts):
            problems.append(f"{entry.path}: missing")
            continue
        digest, size = hashlib.sha256(), 0
        with ctx.target.reader(*parts) as source:
            while chunk := source.read(1 << 20):
                digest.update(chunk)
                size += len(chunk)
        if size != entry.size or digest.hexdigest() != entry.sha256:
            problems.append(f"{entry.path}: checksum mismatch ({size} bytes, expected {entry.size})")
    return VerifyResult(backup_id, not problems, signature, problems, len(manifest.files))


def restore_backup(
    ctx: RecoveryContext, backup_id: str, *, only: str | None = None, force: bool = False
) -> RestoreResult:
    """Restore a verified backup; an interrupted restore of the same backup reruns without ``force``."""
    began = time.perf_counter()
    verified = verify_backup(ctx, backup_id)
    if not verified.ok:
        raise BackupIntegrityError(f"backup {backup_id} fails verification: {'; '.join(verified.problems)}")
    manifest = load_manifest(ctx, backup_id)
    parts = [p for p in manifest.include if only in (None, p)]
    if only is not None and only not in manifest.include:
        raise RecoveryError(f"backup {backup_id} holds no {only} snapshot (it holds {', '.join(manifest.include)})")
    resuming = ctx.state().get("restore_in_progress") == backup_id
    if not force and not resuming:
        _refuse_non_empty(ctx, parts)
    record(ctx.registry, ctx.project, "restore_in_progress", backup_id)
    version = None
    if "registry" in parts:
        rows = registry_snapshot.read_rows(ctx.target, manifest)
        registry_snapshot.load(ctx.registry, ctx.project, rows)
        version = rows.latest_version
    online_records = online_snapshot.load(ctx.online, ctx.target, manifest) if "online" in parts else {}
    marks = _rewind_watermarks(ctx, manifest) if "online" in parts else {}
    result = RestoreResult(backup_id, version, online_records, marks, time.perf_counter() - began)
    record(ctx.registry, ctx.project, "restore_in_progress", None)
    record(ctx.registry, ctx.project, "last_restore", {**result.to_dict(), "at": datetime.now(UTC).isoformat()})
    return result


def _refuse_non_empty(ctx: RecoveryContext, parts: list[str]) -> None:
    if "registry" in parts and ctx.registry.latest_version(ctx.project) > 0:
        raise RecoveryError(
            f"the registry of project {ctx.project!r} is not empty (version "
            f"{ctx.registry.latest_version(ctx.project)}): pass --force to replace it"
        )
    if "online" in parts and not online_snapshot.is_empty(ctx.online):
        tables = ", ".join(online_snapshot.live_tables(ctx.online))
        raise RecoveryError(
            f"the online store {ctx.online.describe()} holds tables ({tables}): pass --force to replace them"
        )


def _rewind_watermarks(ctx: RecoveryContext, manifest: Manifest) -> dict[str, Any]:
    """Each restored view's watermark becomes the snapshot's, so the next incremental run fills the gap."""
    from featurevault._ops.materialize import NAMESPACE

    restored = {f.online_table for f in manifest.files if f.part == "online"}
    marks: dict[str, Any] = {}
    for view in restored:
        mark = manifest.watermarks.get(view)
        ctx.registry.set_state(ctx.project, NAMESPACE, view, mark)  # None (no watermark then) deletes it
        marks[view] = mark
    return marks


def _parts(include: list[str]) -> list[str]:
    unknown = [p for p in include if p not in PARTS]
    if unknown or not include:
        raise RecoveryError(f"--include {','.join(include)!r}: choose from {', '.join(PARTS)}")
    return [p for p in PARTS if p in include]


def _version() -> str:
    from featurevault import __version__

    return __version__
