"""The thin command-line layer: parse, call a feature, render, exit code."""
