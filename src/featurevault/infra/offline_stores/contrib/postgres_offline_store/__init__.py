"""Feast's PostgreSQL offline store package."""
