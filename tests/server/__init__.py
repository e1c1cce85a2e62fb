"""Tests of the HTTP server (a package, so its conftest does not shadow tests/conftest.py)."""
