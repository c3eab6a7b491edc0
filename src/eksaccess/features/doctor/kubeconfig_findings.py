"""The kubeconfig link's codes. They are found while reading the kubeconfig (target.resolve_target), before
any call, and reported by checks/kubeconfig.py: the definitions live here, below both."""

from __future__ import annotations

from eksaccess.domain.findings import DOCTOR, Catalogue, Definition, FindingCode, Link, Reporter, Severity

# The kubeconfig link's codes: what they mean and which fix each prints (docs/doctor-findings.md is made from these).
ENTRIES: tuple[Definition, ...] = (
    Definition(
        code=FindingCode.KUBECONFIG_NOT_FOUND,
        link=Link.KUBECONFIG,
        severity=Severity.ERROR,
        title="No kubeconfig",
        why="kubectl has no configuration to use.",
        fix="`eksaccess kubeconfig --cluster C` / `aws eks update-kubeconfig --name C` (with `--cluster`)",
        reporters=DOCTOR,
    ),
    Definition(
        code=FindingCode.KUBECONFIG_INVALID,
        link=Link.KUBECONFIG,
        severity=Severity.ERROR,
        title="The kubeconfig cannot be read",
        why="kubectl refuses a kubeconfig that is not valid YAML or has malformed entries.",
        fix="`mv FILE FILE.unreadable`, then (with --cluster) `eksaccess kubeconfig --cluster C` / "
        "`aws eks update-kubeconfig --name C`",
        reporters=DOCTOR,
    ),
    Definition(
        code=FindingCode.KUBECONFIG_CONTEXT_MISSING,
        link=Link.KUBECONFIG,
        severity=Severity.ERROR,
        title="The kubeconfig context is missing or incomplete",
        why="The context (or the cluster or user it names) does not exist.",
        fix="with --cluster: `eksaccess kubeconfig --cluster C` / `aws eks update-kubeconfig --name C`; without it, "
        "`kubectl config use-context NAME` when one context is left, else text only (which cluster the missing "
        "context was for is not known)",
        reporters=DOCTOR,
    ),
    Definition(
        code=FindingCode.KUBECONFIG_NOT_EKS_EXEC,
        link=Link.KUBECONFIG,
        severity=Severity.ERROR,
        title="The kubeconfig user does not mint EKS tokens",
        why="The user entry has no aws eks get-token exec plugin, so no IAM identity reaches the cluster.",
        fix="`aws eks update-kubeconfig --name C --alias CONTEXT --user-alias USER` (with `--cluster`)",
        reporters=DOCTOR,
    ),
    Definition(
        code=FindingCode.EXEC_API_VERSION_UNSUPPORTED,
        link=Link.KUBECONFIG,
        severity=Severity.ERROR,
        title="The exec plugin apiVersion is not supported",
        why="kubectl 1.24 and later refuse client.authentication.k8s.io/v1alpha1; v1 needs interactiveMode.",
        fix="`eksaccess kubeconfig --cluster C --alias CONTEXT --user-alias USER` / `aws eks update-kubeconfig ... --alias CONTEXT --user-alias USER`: the diagnosed context, rewritten with v1beta1",
        reporters=DOCTOR,
    ),
    Definition(
        code=FindingCode.EXEC_COMMAND_NOT_FOUND,
        link=Link.KUBECONFIG,
        severity=Severity.ERROR,
        title="The exec plugin command is not installed",
        why="kubectl cannot run the command named in the exec entry.",
        fix="install the command, or rewrite the entry: `eksaccess kubeconfig --cluster C --alias CONTEXT --user-alias USER "
        "--exec eksaccess` when the missing command is aws, else `aws eks update-kubeconfig`",
        reporters=DOCTOR,
    ),
)

finding = Catalogue(Reporter.DOCTOR, ENTRIES).finding
