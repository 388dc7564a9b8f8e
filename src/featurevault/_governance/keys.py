"""Where keys come from: the PII hash key (env var, key file, or the registry's state as a last
resort) and the audit trail's HMAC key (env var or key file only: never the registry)."""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

from featurevault._config import AuditConfig, PiiConfig
from featurevault.errors import ConfigError

logger = logging.getLogger(__name__)

KEYS_NAMESPACE = "keys"
_HASH_KEY_STATE = "pii_hash_key"


def load_hash_key(config: PiiConfig, resolve: Callable[[str], Path], registry: Any, project: str) -> bytes:
    """The keyed-hash secret: env var, then key file, then one generated once and kept in the registry.

    The registry fallback keeps hashes stable across processes of one project
    with no setup; anyone who can read the registry can then recompute them, so
    production repos should set the env var or the key file.
    """
    value = os.environ.get(config.hash_key_env)
    if value:
        return _checked(value.encode(), f"environment variable {config.hash_key_env}")
    if config.hash_key_file:
        path = resolve(config.hash_key_file)
        try:
            return _checked(path.read_bytes().strip(), f"key file {path}")
        except OSError as exc:
            raise ConfigError(f"pii.hash_key_file {path}: cannot be read ({exc.strerror})") from None
    state = registry.get_state(project, KEYS_NAMESPACE)
    stored = state.get(_HASH_KEY_STATE)
    if stored is None:
        stored = secrets.token_hex(32)
        registry.set_state(project, KEYS_NAMESPACE, _HASH_KEY_STATE, stored)
        logger.warning(
            "no %s or pii.hash_key_file: generated a PII hash key and stored it in the registry", config.hash_key_env
        )
    return bytes.fromhex(stored)


def load_audit_key(config: AuditConfig, resolve: Callable[[str], Path]) -> bytes | None:
    """The audit chain's HMAC key: env var, then key file; None when neither is set (an unkeyed trail).

    It is kept apart from the registry on purpose: whoever can edit the trail and read the
    registry must still not be able to forge records.
    """
    value = os.environ.get(config.key_env)
    if value:
        return _checked(value.encode(), f"environment variable {config.key_env}", what="audit key")
    if config.key_file:
        path = resolve(config.key_file)
        try:
            return _checked(path.read_bytes().strip(), f"key file {path}", what="audit key")
        except OSError as exc:
            raise ConfigError(f"audit.key_file {path}: cannot be read ({exc.strerror})") from None
    return None


def _checked(key: bytes, where: str, what: str = "PII hash key") -> bytes:
    if len(key) < 16:
        raise ConfigError(f"the {what} from {where} must be at least 16 bytes")
    return key
