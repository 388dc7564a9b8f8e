"""Governance: principals, authentication, access policies, PII protection and the audit trail.

The facade builds one :class:`~featurevault._governance.guard.Guard` and calls it
at every entry point; the HTTP server authenticates requests with the same
authenticator and hands the principal to the facade.
"""

from featurevault._governance.principal import ANONYMOUS, Principal

__all__ = ["ANONYMOUS", "Principal"]
