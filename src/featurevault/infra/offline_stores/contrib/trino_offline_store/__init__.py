"""Feast's Trino offline store package (not implemented here)."""
