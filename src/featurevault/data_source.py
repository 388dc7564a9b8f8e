"""Feast-compatible import path."""

from featurevault.model.sources import DataSource, FileSource, PushSource, RequestSource

__all__ = ["DataSource", "FileSource", "PushSource", "RequestSource"]
