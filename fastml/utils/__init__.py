"""Shared utilities of fastml's estimators."""
