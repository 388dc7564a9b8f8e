"""Principals: who is making a request."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Principal:
    """A named caller with roles and groups.

    ``authenticated`` is False only for the anonymous principal of ``no_auth``
    repos (where nothing is enforced) and for callers that presented nothing.
    """

    name: str
    roles: tuple[str, ...] = field(default=())
    groups: tuple[str, ...] = field(default=())
    authenticated: bool = True

    def __init__(
        self,
        name: str,
        roles: list[str] | tuple[str, ...] | None = None,
        groups: list[str] | tuple[str, ...] | None = None,
        authenticated: bool = True,
    ) -> None:
        if not isinstance(name, str) or not name or len(name) > 256 or "\x00" in name:
            raise ValueError(f"principal name {name!r:.80} must be a non-empty string of at most 256 characters")
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "roles", tuple(sorted(set(roles or ()))))
        object.__setattr__(self, "groups", tuple(sorted(set(groups or ()))))
        object.__setattr__(self, "authenticated", bool(authenticated))

    @property
    def role_set(self) -> frozenset[str]:
        return frozenset(self.roles)

    @property
    def group_set(self) -> frozenset[str]:
        return frozenset(self.groups)

    def __str__(self) -> str:
        return self.name


ANONYMOUS = Principal("anonymous", authenticated=False)
