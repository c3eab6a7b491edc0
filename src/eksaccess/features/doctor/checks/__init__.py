"""doctor's checks: one module per link of the chain (or tight family of codes), each declaring its codes
(``ENTRIES``: link, severity, title, why, and which fix it prints) beside the function that finds them and
the builders of their fixes. The catalogue and docs/doctor-findings.md are made from ``MODULES``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import ModuleType

from eksaccess.features.doctor.catalog import CatalogEntry, Code
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
from eksaccess.features.doctor.model import Finding

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


def entries() -> Mapping[Code, CatalogEntry]:
    """Every code's entry, from the module that owns it; a code owned twice or by nobody is a bug."""
    found: dict[Code, CatalogEntry] = {}
    for module in MODULES:
        for entry in module.ENTRIES:
            if entry.code in found:
                raise RuntimeError(f"{entry.code} is declared by two checks")
            found[entry.code] = entry
    missing = set(Code) - set(found)
    if missing:
        raise RuntimeError(f"no check declares {', '.join(sorted(missing))}")
    return found
