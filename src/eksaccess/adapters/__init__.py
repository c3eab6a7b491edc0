"""Adapters: the only code that talks to the outside (AWS, Kubernetes, files, clock, environment)."""
