"""Test helpers, imported by the tests (fixtures live in ``tests/conftest.py`` only)."""
