"""Feast-compatible import path."""

from featurevault.model.sources import DataSource, FileSource, PostgreSQLSource, PushSource, RequestSource

__all__ = ["DataSource", "FileSource", "PostgreSQLSource", "PushSource", "RequestSource"]
