"""doctor's checks: one module per link of the chain (or tight family of codes), each declaring its codes
(``ENTRIES``: link, severity, title, why, and which fix it prints) beside the function that finds them and
the builders of their fixes. The catalogue and docs/doctor-findings.md are made from ``MODULES``."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

from eksaccess.domain.findings import Definition, Finding
from eksaccess.features.doctor.checks import (
    authenticator_log,
    authorization,
    cluster,
    console,
    creator,
    credentials,
    duplicate_row,
    endpoint_access,
    exec_plugin,
    kubeconfig,
    kubectl_token,
    mapping,
    mapping_unread,
    network,
    nodes,
    recovery,
    sso,
    static_token,
    subject_case,
    token,
    workload_mechanism,
    workload_oidc,
    workload_pod_age,
    workload_pod_identity,
    workload_role,
    workload_trust,
)
from eksaccess.features.doctor.context import Context

# In the order doctor walks the chain: a check sees the findings of those before it.
MODULES: tuple[ModuleType, ...] = (
    kubeconfig,
    credentials,
    cluster,
    endpoint_access,  # before network: the endpoint's settings explain an unreachable endpoint
    network,
    token,
    exec_plugin,
    static_token,  # before kubectl_token: an expired static token is said once, with its times
    kubectl_token,
    sso,  # before mapping: a permission set's stale role is the cause mapping's finding restates
    mapping,
    duplicate_row,
    mapping_unread,
    authenticator_log,  # after mapping_unread: a quoted line replaces MAPPING_UNVERIFIED, confirms NOT_MAPPED
    subject_case,
    authorization,
    recovery,
    creator,  # after recovery: named only when no other admin is known
    nodes,  # doctor --node-role (features/doctor/node): nothing in the kubectl walk
    console,  # doctor --console (features/doctor/console): nothing in the kubectl walk
    # doctor --service-account / --pod (features/doctor/workload): nothing in the kubectl walk
    workload_mechanism,
    workload_role,
    workload_oidc,
    workload_trust,
    workload_pod_identity,
    workload_pod_age,
)
CHECKS: tuple[Callable[[Context], list[Finding]], ...] = tuple(module.check for module in MODULES)


def definitions() -> tuple[Definition, ...]:
    """Every doctor code's definition, from the module that reports it (``Catalogue`` refuses a code two
    modules declare)."""
    return tuple(definition for module in MODULES for definition in module.ENTRIES)
