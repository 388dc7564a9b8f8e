"""Signatures of recovery artifacts (backup manifests) with the audit key.

The key is the one that keys the audit chain: the ``audit.key_env`` variable
(default ``FEATUREVAULT_AUDIT_KEY``), else ``audit.key_file``. A config
without those settings reads the default variable only. With no key at all,
manifests are written unsigned and ``verify`` says so.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from featurevault.errors import ConfigError

DEFAULT_KEY_ENV = "FEATUREVAULT_AUDIT_KEY"
ALGORITHM = "hmac-sha256"


def load_signing_key(audit: Any, resolve: Callable[[str], Path]) -> bytes | None:
    """The audit key (env var, then key file), or None when none is configured."""
    env = getattr(audit, "key_env", None) or DEFAULT_KEY_ENV
    value = os.environ.get(env)
    if value:
        return _checked(value.encode(), f"environment variable {env}")
    key_file = getattr(audit, "key_file", None)
    if key_file:
        path = resolve(key_file)
        try:
            return _checked(path.read_bytes().strip(), f"key file {path}")
        except OSError as exc:
            raise ConfigError(f"audit.key_file {path}: cannot be read ({exc.strerror})") from None
    return None


def sign(key: bytes, payload: bytes) -> str:
    return hmac.new(key, payload, hashlib.sha256).hexdigest()


def signature_matches(key: bytes, payload: bytes, signature: str) -> bool:
    return hmac.compare_digest(sign(key, payload), signature)


def _checked(key: bytes, where: str) -> bytes:
    if len(key) < 16:
        raise ConfigError(f"the audit key from {where} must be at least 16 bytes")
    return key
