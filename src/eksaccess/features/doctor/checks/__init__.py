"""doctor's checks: one module per link of the chain (or tight family of codes), each declaring its codes
(``ENTRIES``: link, severity, title, why, and which fix it prints) beside the function that finds them and
the builders of their fixes. The catalogue and docs/doctor-findings.md are made from ``MODULES``."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

from eksaccess.domain.findings import Definition, Finding
from eksaccess.features.doctor.checks import (
    authorization,
    cluster,
    credentials,
    duplicate_row,
    exec_plugin,
    kubeconfig,
    kubectl_token,
    mapping,
    mapping_unread,
    network,
    recovery,
    subject_case,
    token,
)
from eksaccess.features.doctor.context import Context

# In the order doctor walks the chain: a check sees the findings of those before it.
MODULES: tuple[ModuleType, ...] = (
    kubeconfig,
    credentials,
    cluster,
    network,
    token,
    exec_plugin,
    kubectl_token,
    mapping,
    duplicate_row,
    mapping_unread,
    subject_case,
    authorization,
    recovery,
)
CHECKS: tuple[Callable[[Context], list[Finding]], ...] = tuple(module.check for module in MODULES)


def definitions() -> tuple[Definition, ...]:
    """Every doctor code's definition, from the module that reports it (``Catalogue`` refuses a code two
    modules declare)."""
    return tuple(definition for module in MODULES for definition in module.ENTRIES)
