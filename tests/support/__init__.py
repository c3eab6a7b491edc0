"""Helpers shared by test files (importable as ``support``: pyproject's pytest ``pythonpath``)."""
