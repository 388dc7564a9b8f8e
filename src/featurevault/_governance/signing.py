"""Signatures of recovery artifacts (backup manifests) with the audit key.

The key is the audit chain's own (``audit.key_env``, else ``audit.key_file``;
see :func:`featurevault._governance.keys.load_audit_key`). With no audit key,
manifests are written unsigned and ``verify`` says so.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from pathlib import Path
from typing import Any

ALGORITHM = "hmac-sha256"


def load_signing_key(audit: Any, resolve: Callable[[str], Path]) -> bytes | None:
    """The audit key, or None when none is configured."""
    from featurevault._governance.keys import load_audit_key

    return load_audit_key(audit, resolve)


def sign(key: bytes, payload: bytes) -> str:
    return hmac.new(key, payload, hashlib.sha256).hexdigest()


def signature_matches(key: bytes, payload: bytes, signature: str) -> bool:
    return hmac.compare_digest(sign(key, payload), signature)
