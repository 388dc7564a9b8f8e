"""Encryption at rest of PII values: AES-GCM with per-feature-view data keys under a master key.

Envelope encryption: each feature view gets a random 256-bit data key; the
registry's ``keys`` state keeps it only *wrapped* (AES-GCM encrypted) by the
master key, which comes from ``FEATUREVAULT_MASTER_KEY`` (or the env var /
key file named in the ``pii`` config) and is never stored.

Rotation re-wraps every data key under a new master key. Values are not
re-encrypted, so readers keep working throughout: a key ring holding the new
and the previous master key unwraps either form.

An encrypted value is an envelope: ``FVE`` + a version byte + 12-byte nonce +
ciphertext. Version ``2`` (written today) binds the feature view, the feature
and the entity key (the online store's packed key) in as associated data, so a
value copied to another feature or to another entity's record does not
decrypt. Version ``1`` (written before) bound only the view and the feature;
such values still open, with the associated data they were written with, until
the view is materialized again (which rewrites them as version 2).
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgpack

from featurevault._config import PiiConfig
from featurevault.errors import ConfigError, EncryptionKeyError, SealedValueIntegrityError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEYS_NAMESPACE = "keys"
PREVIOUS_KEY_ENV = "FEATUREVAULT_MASTER_KEY_PREVIOUS"
_ENVELOPE = b"FVE"
#: the envelope written today: view, feature and entity key authenticated
MAGIC = _ENVELOPE + b"2"
#: the first envelope: view and feature authenticated, not the entity
MAGIC_V1 = _ENVELOPE + b"1"
_V1, _V2 = MAGIC_V1[3], MAGIC[3]
_DEK_PREFIX = "dek:"


def _aesgcm(key: bytes) -> AESGCM:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    return AESGCM(key)


def parse_master_key(text: str | bytes, where: str) -> bytes:
    """A master key: 32 bytes as base64 or hex (64 characters)."""
    raw = text.strip() if isinstance(text, bytes) else text.strip().encode()
    for decode in (lambda v: bytes.fromhex(v.decode()), base64.b64decode, base64.urlsafe_b64decode):
        try:
            key = decode(raw)
        except ValueError:
            continue
        if len(key) == 32:
            return key
    raise ConfigError(f"the master key from {where} must be 32 bytes, written as hex or base64")


def fingerprint(key: bytes) -> str:
    return hashlib.sha256(b"featurevault-master-key" + key).hexdigest()[:16]


def load_master_keys(config: PiiConfig, resolve: Callable[[str], Path]) -> list[bytes]:
    """[current, previous?] master keys; empty when none is configured."""
    keys: list[bytes] = []
    value = os.environ.get(config.master_key_env)
    if value:
        keys.append(parse_master_key(value, f"environment variable {config.master_key_env}"))
    elif config.master_key_file:
        path = resolve(config.master_key_file)
        try:
            keys.append(parse_master_key(path.read_bytes(), f"key file {path}"))
        except OSError as exc:
            raise ConfigError(f"pii.master_key_file {path}: cannot be read ({exc.strerror})") from None
    previous = os.environ.get(PREVIOUS_KEY_ENV)
    if previous:
        keys.append(parse_master_key(previous, f"environment variable {PREVIOUS_KEY_ENV}"))
    return keys


class KeyRing:
    """Data keys of a project's feature views, unwrapped on first use and cached."""

    def __init__(
        self, registry: Any, project: str, master_keys: Sequence[bytes], env_name: str = "FEATUREVAULT_MASTER_KEY"
    ) -> None:
        self.registry = registry
        self.project = project
        self.master_keys = {fingerprint(k): k for k in master_keys}
        self.current = fingerprint(master_keys[0]) if master_keys else None
        self.env_name = env_name
        self._data_keys: dict[str, bytes] = {}

    def _no_key(self, view: str, needed: str | None) -> EncryptionKeyError:
        have = ", ".join(self.master_keys) or "none"
        return EncryptionKeyError(
            f"feature view {view!r} holds encrypted PII whose data key is wrapped by master key {needed}; "
            f"master keys available: {have}. Set {self.env_name} (or pii.master_key_file) to that key"
        )

    def data_key(self, view: str, create: bool = False) -> bytes:
        cached = self._data_keys.get(view)
        if cached is not None:
            return cached
        entry = self.registry.get_state(self.project, KEYS_NAMESPACE).get(_DEK_PREFIX + view)
        if entry is None:
            if not create:
                raise self._no_key(view, None)
            if self.current is None:
                raise EncryptionKeyError(
                    f"cannot encrypt PII of feature view {view!r}: no master key; set {self.env_name}"
                )
            key = secrets.token_bytes(32)
            self.registry.set_state(self.project, KEYS_NAMESPACE, _DEK_PREFIX + view, self._wrap(view, key))
        else:
            key = self._unwrap(view, entry)
        self._data_keys[view] = key
        return key

    def _wrap(self, view: str, key: bytes) -> dict[str, str]:
        assert self.current is not None
        nonce = secrets.token_bytes(12)
        sealed = _aesgcm(self.master_keys[self.current]).encrypt(nonce, key, view.encode())
        return {"master": self.current, "wrapped": base64.b64encode(nonce + sealed).decode()}

    def _unwrap(self, view: str, entry: dict[str, str]) -> bytes:
        from cryptography.exceptions import InvalidTag

        master = self.master_keys.get(entry["master"])
        if master is None:
            raise self._no_key(view, entry["master"])
        blob = base64.b64decode(entry["wrapped"])
        try:
            return _aesgcm(master).decrypt(blob[:12], blob[12:], view.encode())
        except InvalidTag:
            raise EncryptionKeyError(
                f"the data key of feature view {view!r} does not unwrap: damaged or wrong key"
            ) from None

    def rotate(self) -> int:
        """Re-wrap every data key under the current master key; returns how many were re-wrapped."""
        if self.current is None:
            raise EncryptionKeyError(f"cannot rotate: no master key; set {self.env_name} to the new key")
        count = 0
        for name, entry in self.registry.get_state(self.project, KEYS_NAMESPACE).items():
            if not name.startswith(_DEK_PREFIX) or entry.get("master") == self.current:
                continue
            view = name[len(_DEK_PREFIX) :]
            key = self._unwrap(view, entry)
            self.registry.set_state(self.project, KEYS_NAMESPACE, name, self._wrap(view, key))
            count += 1
        return count

    # -- values ---------------------------------------------------------------------------------

    def encrypt(
        self, view: str, feature: str, values: Sequence[Any], entity_keys: Sequence[bytes]
    ) -> list[bytes | None]:
        """Each non-null value encrypted (msgpack-serialised first) for its entity; nulls stay null."""
        if len(entity_keys) != len(values):
            raise ValueError(f"{view}:{feature}: {len(values)} values but {len(entity_keys)} entity keys")
        aead = _aesgcm(self.data_key(view, create=True))
        prefix = _bound_prefix(view, feature)
        pack, nonce_of = msgpack.packb, secrets.token_bytes
        out: list[bytes | None] = []
        for value, key in zip(values, entity_keys):
            if value is None:
                out.append(None)
                continue
            nonce = nonce_of(12)
            out.append(MAGIC + nonce + aead.encrypt(nonce, pack(value, use_bin_type=True), prefix + key))
        return out

    def opener(self, view: str, feature: str) -> Callable[[Any, bytes], Any]:
        """``open(value, entity_key)``: the clear value; a value that is not sealed passes unchanged.

        The data key is fetched on the first sealed value, so a view stored clear
        needs no key.
        """
        from cryptography.exceptions import InvalidTag

        prefix, legacy = _bound_prefix(view, feature), f"{view}:{feature}".encode()
        aeads: list[Any] = []
        unpack = msgpack.unpackb

        def open_value(value: Any, entity_key: bytes) -> Any:
            if value.__class__ is not bytes or value[:3] != _ENVELOPE or len(value) <= 32:
                return value
            version = value[3]
            if version == _V2:
                aad = prefix + entity_key
            elif version == _V1:
                aad = legacy
            else:
                return value
            if not aeads:
                aeads.append(_aesgcm(self.data_key(view)))
            try:
                clear = aeads[0].decrypt(value[4:16], value[16:], aad)
            except InvalidTag:
                raise SealedValueIntegrityError(
                    f"a sealed value of feature {feature!r} of feature view {view!r} fails its integrity check "
                    "for this entity: tampered, or copied from another entity's or feature's record"
                ) from None
            return unpack(clear, raw=False)

        return open_value

    def decrypt(self, view: str, feature: str, values: Sequence[Any], entity_keys: Sequence[bytes]) -> list[Any]:
        """The clear values of ``values`` stored under ``entity_keys``; values not sealed pass unchanged."""
        open_value = self.opener(view, feature)
        return [open_value(v, k) for v, k in zip(values, entity_keys, strict=True)]


def _bound_prefix(view: str, feature: str) -> bytes:
    """The associated data of a version-2 value, up to the entity key appended per value."""
    return MAGIC + f"{view}:{feature}".encode() + b"\x00"


def is_encrypted(value: Any) -> bool:
    return isinstance(value, bytes) and value[:3] == _ENVELOPE and value[3:4] in (b"1", b"2") and len(value) > 32


def build_keyring(config: PiiConfig, resolve: Callable[[str], Path], registry: Any, project: str) -> KeyRing:
    return KeyRing(registry, project, load_master_keys(config, resolve), config.master_key_env)


def rotate_master_key(store: Any) -> int:
    """``featurevault keys rotate``: the new key in the master-key env var, the old one in
    ``FEATUREVAULT_MASTER_KEY_PREVIOUS``; every data key is re-wrapped under the new one."""
    ring = build_keyring(store.config.pii, store.config.resolve, store.registry.registry, store.project)
    return ring.rotate()
