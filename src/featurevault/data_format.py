"""Feast-compatible import path."""

from featurevault.model.sources import CsvFormat, DeltaFormat, ParquetFormat

__all__ = ["CsvFormat", "DeltaFormat", "ParquetFormat"]
