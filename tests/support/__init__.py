"""Helpers the test suites share (see repo_builder.py)."""
