"""What every definition object shares: a name, metadata, where it was defined, serialisation."""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any, ClassVar

from featurevault.errors import DefinitionError

_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]*$")
_PACKAGE_DIR = str(Path(__file__).resolve().parent.parent)


@dataclass(frozen=True)
class DefinitionSite:
    """The file and line where a definition object was constructed."""

    file: str
    line: int


def _caller_site() -> DefinitionSite | None:
    """The first stack frame outside the featurevault package (the user's definition)."""
    frame: FrameType | None = sys._getframe(2)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not filename.startswith(_PACKAGE_DIR) and not filename.startswith("<frozen"):
            return DefinitionSite(filename, frame.f_lineno)
        frame = frame.f_back
    return None


def validate_name(kind: str, name: Any) -> str:
    """Names become table names, Redis keys and URL segments: keep them plain."""
    if not isinstance(name, str) or not _NAME_RE.match(name) or len(name) > 255:
        raise DefinitionError(
            f"{kind} name {name!r} is invalid: use letters, digits, '_' or '-', "
            "starting with a letter or '_', at most 255 characters"
        )
    return name


def check_tags(kind: str, name: str, tags: dict[str, str] | None) -> dict[str, str]:
    tags = dict(tags or {})
    for key, value in tags.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise DefinitionError(f"{kind} {name!r}: tag {key!r}={value!r} must map a string to a string")
    return tags


class FeatureObject:
    """Base of the named, registrable definition objects."""

    kind: ClassVar[str] = "object"

    name: str
    description: str
    tags: dict[str, str]
    owner: str
    site: DefinitionSite | None

    def _init_meta(self, name: str, description: str, tags: dict[str, str] | None, owner: str) -> None:
        self.name = validate_name(self.kind, name)
        self.description = description or ""
        self.tags = check_tags(self.kind, self.name, tags)
        self.owner = owner or ""
        self.site = _caller_site()

    def _meta_dict(self) -> dict[str, Any]:
        return {"name": self.name, "description": self.description, "tags": dict(self.tags), "owner": self.owner}

    def to_dict(self) -> dict[str, Any]:
        raise NotImplementedError

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.to_dict() == self.to_dict()

    def __hash__(self) -> int:
        return hash((self.kind, self.name))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"

    def where(self) -> str:
        """'file:line' of the definition, or '<unknown>'."""
        return f"{self.site.file}:{self.site.line}" if self.site else "<unknown>"
