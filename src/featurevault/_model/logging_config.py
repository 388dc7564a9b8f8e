"""Feast's feature-logging configuration: which served vectors of a FeatureService are logged, and where.

``FeatureService(..., logging_config=LoggingConfig(destination=FileLoggingDestination(path="data/logs"),
sample_rate=0.1))`` logs a tenth of the vectors served for that service (entity keys, values as
served, statuses, request id) to Parquet files partitioned by date; see docs/monitoring.md.
Without a destination the logs go under the repo's ``data/feature_logs`` directory.
"""

from __future__ import annotations

from typing import Any

from featurevault.errors import DefinitionError

#: where logs go when a LoggingConfig names no destination (relative to the repo)
DEFAULT_LOG_PATH = "data/feature_logs"


class FileLoggingDestination:
    """Where logged features are written as Parquet: ``FileLoggingDestination(path="data/logs")``.

    A relative ``path`` is relative to the feature repo. Files go to
    ``PATH/SERVICE/log_date=YYYY-MM-DD/*.parquet``.
    """

    def __init__(self, *, path: str, s3_endpoint_override: str = "", partition_by: list[str] | None = None) -> None:
        if not path or not str(path).strip():
            raise DefinitionError("FileLoggingDestination: path must not be empty")
        self.path = str(path)
        self.s3_endpoint_override = s3_endpoint_override
        self.partition_by = list(partition_by or [])

    def to_dict(self) -> dict[str, Any]:
        return {"type": "file", "path": self.path, "partition_by": self.partition_by}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FileLoggingDestination:
        return cls(path=data["path"], partition_by=data.get("partition_by"))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FileLoggingDestination) and self.to_dict() == other.to_dict()

    def __hash__(self) -> int:
        return hash(self.path)


class LoggingConfig:
    """``LoggingConfig(destination=FileLoggingDestination(path=...), sample_rate=1.0)``."""

    def __init__(self, destination: Any = None, sample_rate: float = 1.0) -> None:
        if destination is not None and not isinstance(destination, FileLoggingDestination):
            raise DefinitionError(
                f"LoggingConfig: destination {destination!r} is not a FileLoggingDestination "
                "(the only destination featurevault writes)"
            )
        try:
            rate = float(sample_rate)
        except (TypeError, ValueError):
            raise DefinitionError(f"LoggingConfig: sample_rate {sample_rate!r} is not a number") from None
        if not 0.0 <= rate <= 1.0:
            raise DefinitionError(f"LoggingConfig: sample_rate {sample_rate!r} is not between 0 and 1")
        self.destination = destination
        self.sample_rate = rate

    @property
    def path(self) -> str:
        """The destination directory (relative paths are relative to the repo)."""
        return self.destination.path if self.destination is not None else DEFAULT_LOG_PATH

    def to_dict(self) -> dict[str, Any]:
        destination = self.destination.to_dict() if self.destination is not None else None
        return {"destination": destination, "sample_rate": self.sample_rate}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LoggingConfig:
        destination = data.get("destination")
        return cls(FileLoggingDestination.from_dict(destination) if destination else None, data.get("sample_rate", 1.0))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LoggingConfig) and self.to_dict() == other.to_dict()

    def __hash__(self) -> int:
        return hash(self.sample_rate)


__all__ = ["DEFAULT_LOG_PATH", "FileLoggingDestination", "LoggingConfig"]
