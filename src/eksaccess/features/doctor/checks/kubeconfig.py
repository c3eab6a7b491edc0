"""The kubeconfig link: a file kubectl can read, a context that exists, a user that mints EKS tokens with an
exec entry kubectl accepts and a command that is installed. These are found while reading the kubeconfig
(target.resolve_target), before any call; this check reports them."""

from __future__ import annotations

from eksaccess.domain.findings import Finding
from eksaccess.features.doctor import kubeconfig_findings
from eksaccess.features.doctor.context import Context
from eksaccess.features.doctor.probe import Facts

ENTRIES = kubeconfig_findings.ENTRIES  # docs/doctor-findings.md is made from these


def kubeconfig(facts: Facts) -> list[Finding]:
    return list(facts.target.findings)


def check(ctx: Context) -> list[Finding]:
    return kubeconfig(ctx.facts)
