"""Helpers for tests that need the real project: a live server in a subprocess."""
