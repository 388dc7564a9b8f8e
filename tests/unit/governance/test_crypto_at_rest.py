from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Any

import pytest

from featurevault._config import PiiConfig
from featurevault.errors import ConfigError, EncryptionKeyError, SealedValueIntegrityError
from featurevault._governance.crypto import (
    KEYS_NAMESPACE,
    MAGIC_V1,
    KeyRing,
    build_keyring,
    fingerprint,
    is_encrypted,
    parse_master_key,
)

OLD = os.urandom(32)
NEW = os.urandom(32)
K1, K2 = b"\x01entity-one", b"\x01entity-two"


def _keys(n: int, key: bytes = K1) -> list[bytes]:
    return [key] * n


def test_values_roundtrip_and_are_unreadable_at_rest(registry: Any) -> None:
    ring = KeyRing(registry, "p", [OLD])
    values = ["123-45-6789", None, 42, 3.5, [1, 2]]
    sealed = ring.encrypt("users", "ssn", values, _keys(5))
    assert sealed[1] is None and all(is_encrypted(v) for i, v in enumerate(sealed) if i != 1)
    assert b"123-45-6789" not in b"".join(v for v in sealed if v)
    assert sealed[0] != ring.encrypt("users", "ssn", ["123-45-6789"], [K1])[0]  # random nonces
    assert KeyRing(registry, "p", [OLD]).decrypt("users", "ssn", sealed, _keys(5)) == values
    stored = registry.get_state("p", KEYS_NAMESPACE)["dek:users"]
    assert stored["master"] == fingerprint(OLD)


def test_value_moved_to_another_feature_does_not_decrypt(registry: Any) -> None:
    ring = KeyRing(registry, "p", [OLD])
    sealed = ring.encrypt("users", "ssn", ["x"], [K1])
    with pytest.raises(SealedValueIntegrityError, match="feature 'email' of feature view 'users'"):
        ring.decrypt("users", "email", sealed, [K1])


def test_value_moved_to_another_entity_does_not_decrypt(registry: Any) -> None:
    ring = KeyRing(registry, "p", [OLD])
    sealed = ring.encrypt("users", "ssn", ["111-11-1111"], [K1])
    assert ring.decrypt("users", "ssn", sealed, [K1]) == ["111-11-1111"]
    with pytest.raises(SealedValueIntegrityError, match="feature 'ssn' of feature view 'users'.*another entity"):
        ring.decrypt("users", "ssn", sealed, [K2])


def test_a_value_sealed_before_entity_binding_still_opens(registry: Any) -> None:
    """Version-1 envelopes (view and feature as associated data) were written before entity keys were bound."""
    import secrets

    import msgpack
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    ring = KeyRing(registry, "p", [OLD])
    nonce = secrets.token_bytes(12)
    old = (
        MAGIC_V1
        + nonce
        + AESGCM(ring.data_key("users", create=True)).encrypt(nonce, msgpack.packb("111-11-1111"), b"users:ssn")
    )
    assert is_encrypted(old)
    assert KeyRing(registry, "p", [OLD]).decrypt("users", "ssn", [old], [K2]) == ["111-11-1111"]
    with pytest.raises(SealedValueIntegrityError):
        ring.decrypt("users", "email", [old], [K2])  # still bound to its feature
    upgraded = old[:3] + b"2" + old[4:]  # relabelled as version 2: now checked with the entity key, and fails
    with pytest.raises(SealedValueIntegrityError):
        ring.decrypt("users", "ssn", [upgraded], [K2])


def test_encrypted_data_without_a_key_is_a_clear_error(registry: Any) -> None:
    sealed = KeyRing(registry, "p", [OLD]).encrypt("users", "ssn", ["x"], [K1])
    with pytest.raises(EncryptionKeyError, match="FEATUREVAULT_MASTER_KEY"):
        KeyRing(registry, "p", []).decrypt("users", "ssn", sealed, [K1])
    with pytest.raises(EncryptionKeyError, match=fingerprint(OLD)):
        KeyRing(registry, "p", [NEW]).decrypt("users", "ssn", sealed, [K1])
    with pytest.raises(EncryptionKeyError, match="no master key"):
        KeyRing(registry, "p", []).encrypt("other", "ssn", ["x"], [K1])


def test_rotation_rewraps_and_old_readers_keep_working(registry: Any) -> None:
    sealed = KeyRing(registry, "p", [OLD]).encrypt("users", "ssn", ["secret"], [K1])
    reader_before = KeyRing(registry, "p", [OLD])
    assert reader_before.decrypt("users", "ssn", sealed, [K1]) == ["secret"]  # data key now cached
    assert KeyRing(registry, "p", [NEW, OLD]).rotate() == 1
    assert registry.get_state("p", KEYS_NAMESPACE)["dek:users"]["master"] == fingerprint(NEW)
    assert reader_before.decrypt("users", "ssn", sealed, [K1]) == ["secret"]  # no downtime
    assert KeyRing(registry, "p", [NEW]).decrypt("users", "ssn", sealed, [K1]) == ["secret"]
    assert KeyRing(registry, "p", [NEW]).rotate() == 0
    with pytest.raises(EncryptionKeyError):
        KeyRing(registry, "p", [OLD]).decrypt("users", "ssn", sealed, [K1])


def test_master_key_from_env_or_file(registry: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FV_TEST_MASTER", base64.b64encode(OLD).decode())
    ring = build_keyring(PiiConfig(master_key_env="FV_TEST_MASTER"), Path, registry, "p")
    assert ring.current == fingerprint(OLD)
    (tmp_path / "master.key").write_text(NEW.hex())
    config = PiiConfig(master_key_env="FV_UNSET_X", master_key_file=str(tmp_path / "master.key"))
    ring = build_keyring(config, Path, registry, "p")
    assert ring.current == fingerprint(NEW)
    with pytest.raises(ConfigError, match="32 bytes"):
        parse_master_key("too-short", "test")
