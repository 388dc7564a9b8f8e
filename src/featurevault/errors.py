"""The one exception tree of featurevault.

Every error the library raises on purpose derives from :class:`FeatureVaultError`.
Where a caller would naturally catch a builtin (``KeyError`` for a missing
object, ``ValueError`` for bad input), the subclass derives from that too.

    FeatureVaultError
    ├── ConfigError (ValueError)                  feature_store.yaml or RepoConfig is wrong
    ├── DefinitionError (ValueError)              an object in the repo is ill-formed
    │   ├── DuplicateObjectError                  two objects of one kind share a name
    │   └── UnsupportedConstructError             a Feast construct featurevault does not offer
    ├── RepoLoadError                             a repo file failed to import
    ├── NotFoundError (KeyError)                  a named object is not in the registry
    │   ├── FeatureViewNotFoundError
    │   ├── FeatureServiceNotFoundError
    │   ├── EntityNotFoundError
    │   ├── DataSourceNotFoundError
    │   ├── FeatureNotFoundError
    │   ├── VersionNotFoundError                  a registry version does not exist
    │   └── FlagNotFoundError                     no flag, or no flaggable object, of that name
    ├── RequestError (ValueError)                 a read/write request is malformed
    │   ├── EntityKeyError                        a join key is missing from entity rows
    │   ├── SchemaMismatchError                   a value or column has the wrong type
    │   ├── DataQualityError                      a ``block`` rule (or a validation reference) failed
    │   └── TooManyEntityRowsError                more entity rows than the configured limit
    ├── DataSourceError                           a source path/table cannot be read
    ├── RegistryError                             the registry cannot be read or written
    │   ├── RegistryConflictError                 another apply won the race; re-plan
    │   └── RegistryUnavailableError              the registry server cannot be reached (also BackendUnavailableError)
    ├── BackendError                              an online/offline backend failed
    │   └── BackendUnavailableError               the backend cannot be reached (timeout, down)
    │       └── OnlineStoreTimeoutError           the server's deadline for an online-store call passed
    ├── MissingDependencyError (ImportError)      an optional driver is not installed
    ├── LintError                                 lint findings at error level block an apply
    ├── PermissionDeniedError (PermissionError)   a principal may not do an action
    ├── AuthenticationError                       credentials missing, malformed, expired, unknown, revoked
    │   └── UnknownCredentialError                a token the registry copy does not hold (maybe new)
    ├── AuditError                                the audit trail cannot be written, read or verified
    ├── EncryptionKeyError                        encrypted data without (or with the wrong) key
    │   └── SealedValueIntegrityError             a sealed value fails its check (tampered or moved)
    ├── RecoveryError                             a backup, restore, rebuild or drill cannot proceed
    │   ├── BackupNotFoundError (KeyError)        no complete backup with that id at the target
    │   └── BackupIntegrityError                  a backup fails its checksums or manifest signature
    └── MonitoringError                           monitoring cannot run (no baseline, runbook missing)
        └── NotificationError                     a receiver did not take a notification (retried)
"""

from __future__ import annotations

from typing import Any


class FeatureVaultError(Exception):
    """Root of every error featurevault raises on purpose."""


class ConfigError(FeatureVaultError, ValueError):
    """The repo configuration is invalid (names the file and key)."""


class DefinitionError(FeatureVaultError, ValueError):
    """A definition object is ill-formed."""


class DuplicateObjectError(DefinitionError):
    """Two objects of one kind share a name."""


class UnsupportedConstructError(DefinitionError):
    """A Feast construct that featurevault does not offer (yet)."""


class RepoLoadError(FeatureVaultError):
    """A Python file of the feature repo could not be imported."""


class NotFoundError(FeatureVaultError, KeyError):
    """A named object does not exist."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class FeatureViewNotFoundError(NotFoundError):
    pass


class FeatureServiceNotFoundError(NotFoundError):
    pass


class EntityNotFoundError(NotFoundError):
    pass


class DataSourceNotFoundError(NotFoundError):
    pass


class FeatureNotFoundError(NotFoundError):
    pass


class VersionNotFoundError(NotFoundError):
    pass


class FlagNotFoundError(NotFoundError):
    pass


class GateError(FeatureVaultError):
    """A promotion gate failed; ``failures`` lists each one."""

    def __init__(self, message: str, failures: list[str] | None = None) -> None:
        super().__init__(message)
        self.failures = list(failures or [])


class FlagError(FeatureVaultError, ValueError):
    """A feature flag setting is invalid."""


class ScheduleError(FeatureVaultError, ValueError):
    """A schedule expression is invalid."""


class RequestError(FeatureVaultError, ValueError):
    """A read or write request is malformed."""


class EntityKeyError(RequestError):
    """A join key is missing from the entity rows or entity dataframe."""


class SchemaMismatchError(RequestError):
    """A value or column does not match the declared schema."""


class DataQualityError(RequestError):
    """Data broke a ``block`` validation rule or a validation reference; nothing was written.

    ``report`` holds the failures (rule, count, example rows) for callers that render them.
    """

    def __init__(self, message: str, report: Any = None) -> None:
        super().__init__(message)
        self.report = report


class TooManyEntityRowsError(RequestError):
    """A request has more entity rows than ``limits.max_entity_rows`` (or the server's limit) allows."""

    def __init__(self, rows: int, limit: int, key: str) -> None:
        super().__init__(
            f"{rows} entity rows in one request is more than the limit of {limit}; "
            f"split the request, or raise {key} in feature_store.yaml"
        )
        self.rows = rows
        self.limit = limit


class DataSourceError(FeatureVaultError):
    """A data source cannot be read (missing path, unreadable file, bad query)."""


class RegistryError(FeatureVaultError):
    """The registry cannot be read or written."""


class RegistryConflictError(RegistryError):
    """Another apply committed first; re-plan against the new version and retry."""


class BackendError(FeatureVaultError):
    """An online or offline backend failed."""


class BackendUnavailableError(BackendError):
    """A backend could not be reached within its timeout."""


class OnlineStoreTimeoutError(BackendUnavailableError):
    """The feature server stopped waiting for an online-store call (``--online-timeout``)."""


class RegistryUnavailableError(RegistryError, BackendUnavailableError):
    """The registry server cannot be reached; a cached copy may still serve reads."""


class MissingDependencyError(FeatureVaultError, ImportError):
    """An optional driver is not installed; the message names the extra."""


class LintError(FeatureVaultError):
    """Lint findings at error level block the operation; ``report`` holds every finding."""

    def __init__(self, message: str, report: Any = None) -> None:
        super().__init__(message)
        self.report = report


class PermissionDeniedError(FeatureVaultError, PermissionError):
    """A principal is not allowed to perform an action on a resource."""


class AuthenticationError(FeatureVaultError):
    """The caller's credentials are missing, malformed, expired, wrongly signed, unknown or revoked."""


class UnknownCredentialError(AuthenticationError):
    """A token whose name or secret the checked copy of the registry does not hold (it may be newer)."""


class AuditError(FeatureVaultError):
    """The audit sink cannot be written or read (with ``fail_closed``, reads are refused)."""


class EncryptionKeyError(FeatureVaultError):
    """Encrypted values cannot be read: the master key is missing or wrong."""


class SealedValueIntegrityError(EncryptionKeyError):
    """A sealed value does not open for its view, feature and entity: tampered, or copied from elsewhere."""


class RecoveryError(FeatureVaultError):
    """A backup, restore, rebuild or recovery drill cannot proceed."""


class BackupNotFoundError(RecoveryError, KeyError):
    """No complete backup with that id at the backup target."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class BackupIntegrityError(RecoveryError):
    """A backup's files do not match its manifest, or the manifest's signature does not check."""


def one_line(exc: BaseException) -> str:
    """A driver's error message on one line (server messages carry newlines and indented detail)."""
    return " ".join(str(exc).split())


def first_line(exc: BaseException) -> str:
    """The first line of an error's message, or its type when the message is empty (Spark and JVM
    errors put the cause first and a stack trace after)."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def describe_error(exc: BaseException) -> str:
    """An error as its type and message, ``"KeyError: 'x'"``: where a failure is recorded or reported
    without the exception itself (audit records, run history, health answers)."""
    return f"{type(exc).__name__}: {exc}"


def missing_dependency(module: str, extra: str) -> MissingDependencyError:
    """Build the error raised when an optional driver cannot be imported."""
    return MissingDependencyError(
        f"the '{module}' package is required for this backend: pip install 'featurevault[{extra}]'"
    )


class MonitoringError(FeatureVaultError):
    """Monitoring could not run: no baseline, a metric that cannot be computed, a runbook not found."""


class NotificationError(MonitoringError):
    """A receiver did not take an alert notification (kept and retried on the next evaluation)."""
