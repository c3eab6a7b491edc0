"""Sandbox scenarios: the model and the built-in YAML files."""
