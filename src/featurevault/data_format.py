"""Feast-compatible import path."""

from featurevault._model.sources import CsvFormat, DeltaFormat, ParquetFormat

__all__ = ["CsvFormat", "DeltaFormat", "ParquetFormat"]
