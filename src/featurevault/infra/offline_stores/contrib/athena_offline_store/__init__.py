"""Feast import path (a source featurevault does not implement)."""
