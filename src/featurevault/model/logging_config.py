"""Feast's feature-logging configuration: accepted on a FeatureService, with no effect yet.

Served features are not logged to a destination; the audit trail records who
read what (see docs/security.md). Declaring a ``LoggingConfig`` is logged once.
"""

from __future__ import annotations

from typing import Any


class FileLoggingDestination:
    """Where Feast writes logged features as Parquet: ``FileLoggingDestination(path="data/logs")``."""

    def __init__(self, *, path: str, s3_endpoint_override: str = "", partition_by: list[str] | None = None) -> None:
        self.path = path
        self.s3_endpoint_override = s3_endpoint_override
        self.partition_by = list(partition_by or [])

    def to_dict(self) -> dict[str, Any]:
        return {"type": "file", "path": self.path, "partition_by": self.partition_by}


class LoggingConfig:
    """``LoggingConfig(destination=FileLoggingDestination(path=...), sample_rate=1.0)``."""

    def __init__(self, destination: Any, sample_rate: float = 1.0) -> None:
        self.destination = destination
        self.sample_rate = float(sample_rate)

    def to_dict(self) -> dict[str, Any]:
        destination = self.destination.to_dict() if hasattr(self.destination, "to_dict") else repr(self.destination)
        return {"destination": destination, "sample_rate": self.sample_rate}


__all__ = ["FileLoggingDestination", "LoggingConfig"]
