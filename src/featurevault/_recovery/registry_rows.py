"""A project's registry rows, the form every registry snapshot is read into and restored from.

Restoring replaces the project's versions and operational state, except state
that must never go back in time: the audit trail's head (so a restore cannot
hide audit records), API tokens (so a revoked token stays revoked) and the
recovery log itself. Stored data keys are merged, the live ones winning, so
values encrypted after the backup stay readable.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: state namespaces a restore leaves as they are in the live registry
KEPT_LIVE = frozenset({"audit", "tokens", "recovery"})
#: state namespaces merged (live entries win)
MERGED = frozenset({"keys"})

#: (project, version, created_at ISO, author, message, meta JSON, contents JSON)
VersionRow = tuple[str, int, str, str, str, str, str]
#: (project, namespace, key, value JSON)
StateRow = tuple[str, str, str, str]


@dataclass
class RegistryRows:
    versions: list[VersionRow] = field(default_factory=list)
    state: list[StateRow] = field(default_factory=list)

    def for_project(self, project: str) -> RegistryRows:
        """The rows re-labelled for ``project`` (a backup may be restored under another project name)."""
        return RegistryRows(
            [(project, *row[1:]) for row in self.versions],
            [(project, *row[1:]) for row in self.state],
        )

    def restorable_state(self, live: list[StateRow]) -> list[StateRow]:
        """The state rows to write: the backup's, minus kept namespaces, plus live ones that must stay."""
        backup = [r for r in self.state if r[1] not in KEPT_LIVE and r[1] not in MERGED]
        kept = [r for r in live if r[1] in KEPT_LIVE or r[1] in MERGED]
        kept_keys = {(r[1], r[2]) for r in kept}
        merged = [r for r in self.state if r[1] in MERGED and (r[1], r[2]) not in kept_keys]
        return backup + kept + merged

    @property
    def latest_version(self) -> int:
        return max((int(r[1]) for r in self.versions), default=0)
