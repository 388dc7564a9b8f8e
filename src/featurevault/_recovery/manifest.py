"""The backup manifest: what a backup holds, each file's size and SHA-256, signed with the audit key.

The manifest is written last, under its final name in one move: a backup
without ``manifest.json`` is incomplete (interrupted) and is never listed.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from featurevault.errors import BackupIntegrityError
from featurevault._governance.signing import ALGORITHM, sign, signature_matches

MANIFEST = "manifest.json"
FORMAT_VERSION = 1


@dataclass
class FileEntry:
    path: str
    size: int
    sha256: str
    #: what the file holds: "registry" or "online"
    part: str
    #: the online table, for online files
    table: str | None = None
    records: int | None = None

    @property
    def online_table(self) -> str:
        """The online table an online file holds (named after the file when the entry does not say)."""
        return self.table or self.path.rsplit("/", 1)[-1].removesuffix(".arrows")


@dataclass
class Manifest:
    backup_id: str
    project: str
    created_at: str
    tool_version: str
    registry_type: str
    registry_version: int
    online_type: str
    include: list[str]
    #: the online snapshot represents the store as written somewhere in [window_start, window_end]
    window_start: str | None
    window_end: str | None
    watermarks: dict[str, Any] = field(default_factory=dict)
    files: list[FileEntry] = field(default_factory=list)
    format_version: int = FORMAT_VERSION
    signature: str | None = None
    signature_algorithm: str | None = None

    @property
    def created(self) -> datetime:
        return datetime.fromisoformat(self.created_at)

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)

    @property
    def records(self) -> int:
        return sum(f.records or 0 for f in self.files)

    def payload(self) -> bytes:
        """The signed bytes: every field but the signature, canonically encoded."""
        body = asdict(self)
        body.pop("signature")
        body.pop("signature_algorithm")
        return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()

    def signed(self, key: bytes | None) -> Manifest:
        if key is not None:
            self.signature = sign(key, self.payload())
            self.signature_algorithm = ALGORITHM
        return self

    def check_signature(self, key: bytes | None) -> str:
        """ "signed" when it checks, "unsigned" for a manifest written without a key; raises otherwise."""
        if self.signature is None:
            return "unsigned"
        if key is None:
            raise BackupIntegrityError(
                f"backup {self.backup_id}: the manifest is signed but no audit key is set to check it "
                "(set the audit key variable or audit.key_file)"
            )
        if self.signature_algorithm != ALGORITHM or not signature_matches(key, self.payload(), self.signature):
            raise BackupIntegrityError(
                f"backup {self.backup_id}: the manifest signature does not match (edited, or another audit key)"
            )
        return "signed"

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), indent=2, sort_keys=True).encode()

    @classmethod
    def from_json(cls, data: bytes, where: str) -> Manifest:
        try:
            raw = json.loads(data)
            files = [FileEntry(**f) for f in raw.pop("files")]
            return cls(files=files, **raw)
        except (ValueError, TypeError, KeyError) as exc:
            raise BackupIntegrityError(f"{where}: the manifest cannot be read ({exc})") from None

    def summary(self) -> dict[str, Any]:
        return {
            "backup_id": self.backup_id,
            "created_at": self.created_at,
            "include": self.include,
            "registry_version": self.registry_version,
            "files": len(self.files),
            "bytes": self.size,
            "records": self.records,
            "window_end": self.window_end,
            "signed": self.signature is not None,
        }
