"""The online store interface: a key-value store of packed records, one table per feature view.

A backend stores opaque ``bytes`` records under ``bytes`` entity keys, grouped
in tables named after feature views. Packing and unpacking records is done
once, in :mod:`featurevault._ops.codec`, so every backend is a thin adapter
over its driver and the conformance suite checks them all alike.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from featurevault.errors import RequestError

#: (keys, records) batches of one table, opened when the table's turn comes
Batches = Callable[[], Iterable[tuple[Sequence[bytes], Sequence[bytes]]]]


class OnlineStore(ABC):
    """Base class of online stores. Built once from its config section, then called."""

    #: the ``type`` name in feature_store.yaml
    type_name: str = ""
    #: True when the store lives on this machine only (shown by readiness checks)
    embedded: bool = False

    @classmethod
    @abstractmethod
    def from_config(cls, config: Any, *, project: str, resolve: Callable[[str], Path]) -> OnlineStore:
        """Build the store for ``project``; ``resolve`` turns a relative path into one under the repo."""

    @abstractmethod
    def write(self, table: str, keys: Sequence[bytes], records: Sequence[bytes]) -> None:
        """Upsert ``records[i]`` under ``keys[i]`` in ``table`` (created on first write).

        All-or-nothing per call is not required, but each record is written whole:
        a reader sees either the old or the new record for a key, never a mix.
        """

    @abstractmethod
    def read(self, table: str, keys: Sequence[bytes]) -> list[bytes | None]:
        """The record of each key, ``None`` where there is none, aligned with ``keys``.

        One round trip for all keys. An unknown table reads as all ``None``.
        """

    @abstractmethod
    def drop(self, table: str) -> None:
        """Remove a table and every record in it; a table that does not exist is fine."""

    @abstractmethod
    def tables(self) -> list[str]:
        """The tables of this project that hold data."""

    @staticmethod
    def check_aligned(table: str, keys: Sequence[bytes], records: Sequence[bytes]) -> None:
        """Reject a write whose keys and records do not pair up, before anything is written."""
        if len(keys) != len(records):
            raise RequestError(f"write to {table!r}: {len(keys)} keys but {len(records)} records")

    def ping(self) -> None:
        """Raise :class:`~featurevault.errors.BackendUnavailableError` if the store cannot be reached."""
        self.read("__ping__", [b"ping"])

    def close(self) -> None:
        """Release connections; the store may not be used afterwards."""

    def describe(self) -> str:
        """A one-line description for logs and readiness reports (no secrets)."""
        return self.type_name


class Maintainable(ABC):
    """Capability of the stores that backups, rebuilds and erasure run on.

    ``scan`` streams a table in batches (never the whole table in memory),
    ``delete`` removes single keys, and ``swap_in`` replaces a table by a fully
    built staging table so that readers never see a half-built one.
    """

    @abstractmethod
    def scan(self, table: str, batch_size: int = 10_000) -> Iterator[tuple[list[bytes], list[bytes]]]:
        """(keys, records) batches of every record in ``table``; an unknown table yields nothing."""

    @abstractmethod
    def delete(self, table: str, keys: Sequence[bytes]) -> int:
        """Remove ``keys`` from ``table``; returns how many existed."""

    def scan_keys(self, table: str, batch_size: int = 10_000) -> Iterator[list[bytes]]:
        """Batches of the keys of ``table`` (stores that can list keys without their records override it)."""
        for keys, _ in self.scan(table, batch_size):
            yield keys

    def scan_all_keys(self, batch_size: int = 10_000) -> Iterator[tuple[str, list[bytes]]]:
        """(table, keys) batches of every table of the project, table by table (what the generic
        :meth:`restore_in_place` lists first; Redis restores with its own, one SCAN for the project)."""
        for table in self.tables():  # type: ignore[attr-defined]
            for keys in self.scan_keys(table, batch_size):
                yield table, keys

    #: True when ``swap_in`` replaces a whole table in one step; False when it goes key by key (Redis)
    atomic_swap: bool = True

    def restore_in_place(
        self, loads: Mapping[str, Batches], progress: Callable[[str, int], None] | None = None
    ) -> dict[str, int]:
        """Overwrite each table of ``loads`` key by key, then remove the keys it held before that its batches
        lack; returns the records written per table (stores without ``atomic_swap`` restore this way).

        The keys held before are listed first, in one pass over the project, so keys that others write
        while the restore runs are not among them and stay. Every step can be repeated: a restore cut
        short and run again ends the same.
        """
        stale: dict[str, set[bytes]] = {table: set() for table in loads}
        for table, held in self.scan_all_keys():
            if table in stale:
                stale[table].update(held)
        written = {}
        for table, batches in loads.items():
            count = 0
            for keys, records in batches():
                self.write(table, keys, records)
                stale[table].difference_update(keys)
                count += len(keys)
                if progress is not None:
                    progress(table, count)
            leftover = list(stale[table])
            for start in range(0, len(leftover), 10_000):
                self.delete(table, leftover[start : start + 10_000])
            written[table] = count
        return written

    if TYPE_CHECKING:
        # provided by the OnlineStore this capability is mixed into

        def write(self, table: str, keys: Sequence[bytes], records: Sequence[bytes]) -> None: ...

        def drop(self, table: str) -> None: ...

    def load_fresh(self, table: str, keys: Sequence[bytes], records: Sequence[bytes]) -> None:
        """Append records with distinct keys to a table just created or dropped (restores use it)."""
        self.write(table, keys, records)

    @abstractmethod
    def swap_in(self, staging: str, table: str) -> None:
        """Make ``staging``'s records the contents of ``table`` and remove ``staging``.

        A reader of ``table`` sees, for each key, either its old or its new record
        (or none once a key absent from ``staging`` is removed), never an empty table.
        """
