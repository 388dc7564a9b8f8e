"""Feast-compatible import path."""
