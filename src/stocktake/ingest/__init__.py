"""Ingest: a trust's raw extracts → column mapping → validation → pseudonymisation → atomic load."""
