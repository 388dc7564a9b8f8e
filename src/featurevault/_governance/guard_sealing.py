"""The guard's encryption at rest: PII feature values sealed on write, opened on read.

With ``pii.encrypt_at_rest`` every PII feature of a stored view is encrypted
before it reaches the online store, each value bound to its row's entity key
(see :mod:`featurevault._governance.crypto`). Which features are PII comes from
the registry version's catalog (``sealed_features``); the key ring is built on
first use and shared by every principal's guard.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import pyarrow as pa

if TYPE_CHECKING:
    from featurevault._governance.crypto import KeyRing


class Sealing:
    """Seals and opens PII at rest; without a key ring factory, values are stored clear."""

    def __init__(self, keyring: Callable[[], KeyRing] | None, sealed_features: Callable[[str], list[str]]) -> None:
        #: builds the KeyRing when PII is encrypted at rest (None: values are stored clear)
        self._keyring = keyring
        self._sealed_features = sealed_features
        self._ring: KeyRing | None = None

    @property
    def encrypts_at_rest(self) -> bool:
        return self._keyring is not None

    def ring(self) -> KeyRing:
        if self._ring is None:
            assert self._keyring is not None
            self._ring = self._keyring()
        return self._ring

    def sealer(self, view: str) -> Callable[[pa.Table, Sequence[bytes]], pa.Table] | None:
        """A function ``seal(table, entity_keys)`` encrypting the view's PII columns, or None.

        Each value is bound to its row's entity key (the online store's packed key).
        The data key is fetched (or created) here, so the function itself never
        touches the registry and may run on another thread.
        """
        if self._keyring is None:
            return None
        features = self._sealed_features(view)
        if not features:
            return None
        ring = self.ring()
        ring.data_key(view, create=True)

        def seal(table: pa.Table, entity_keys: Sequence[bytes]) -> pa.Table:
            for name in features:
                idx = table.schema.get_field_index(name)
                if idx >= 0:
                    sealed = ring.encrypt(view, name, record_form(table.column(idx)).to_pylist(), entity_keys)
                    table = table.set_column(idx, name, pa.array(sealed, pa.binary()))
            return table

        return seal

    def seal_at_rest(self, view: str, table: pa.Table, entity_keys: Sequence[bytes]) -> pa.Table:
        """``table`` with the view's PII feature columns encrypted (when ``pii.encrypt_at_rest``)."""
        seal = self.sealer(view)
        return seal(table, entity_keys) if seal is not None else table

    def decryptor(self, view: str, feature: str) -> Callable[[Any, bytes], Any] | None:
        """``open(value, entity_key)`` for a stored feature, or None when nothing there can be encrypted."""
        if self._keyring is None or feature not in self._sealed_features(view):
            return None
        return self.ring().opener(view, feature)


def record_form(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """Timestamps as the integer microseconds records hold, so that the value sealed is what a reader decodes."""
    kind = column.type
    if pa.types.is_timestamp(kind):
        return column.cast(pa.timestamp("us", tz="UTC")).cast(pa.int64())
    if pa.types.is_list(kind) and pa.types.is_timestamp(kind.value_type):
        return column.cast(pa.list_(pa.timestamp("us", tz="UTC"))).cast(pa.list_(pa.int64()))
    return column
