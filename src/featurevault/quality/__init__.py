"""Definition and data quality: the linter, the readiness report (and, later, validation and monitoring)."""
