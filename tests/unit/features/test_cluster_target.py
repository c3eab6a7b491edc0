"""One resolution of cluster, region and profile (features.cluster_target): flags, then the kubeconfig
context (as kubectl runs its exec entry), then the AWS environment as the aws CLI v2 reads it.

Sources: the aws CLI v2's region order (--region, AWS_REGION, AWS_DEFAULT_REGION, the profile's region),
https://docs.aws.amazon.com/cli/latest/userguide/cli-configure-envvars.html; the exec entries that
``aws eks update-kubeconfig`` and aws-iam-authenticator write,
https://docs.aws.amazon.com/eks/latest/userguide/create-kubeconfig.html and
https://github.com/kubernetes-sigs/aws-iam-authenticator#4-set-up-kubectl-to-use-authentication-tokens-provided-by-aws-iam-authenticator-for-kubernetes
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from eksaccess.adapters.kubeconfig_files import load
from eksaccess.domain.kubeconfig import Kubeconfig, KubeconfigError, merge
from eksaccess.errors import InputError
from eksaccess.features.cluster_target import (
    Source,
    TargetFlags,
    load_cluster_target,
    resolve_cluster_target,
)

ARN = "arn:aws:eks:eu-west-1:111122223333:cluster/prod"


def _user(name: str, command: str, args: list[str], env: Mapping[str, str] | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "apiVersion": "client.authentication.k8s.io/v1beta1",
        "command": command,
        "args": args,
    }
    if env:
        spec["env"] = [{"name": k, "value": v} for k, v in env.items()]
    return {"name": name, "user": {"exec": spec}}


def _document(current: str | None = "prod") -> dict[str, Any]:
    """Contexts as aws eks update-kubeconfig, aws-iam-authenticator and eksaccess write them."""
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": current,
        "clusters": [
            {"name": ARN, "cluster": {"server": "https://prod.example"}},
            {"name": "dev-cluster", "cluster": {"server": "https://dev.example"}},
            {"name": "plain", "cluster": {"server": "https://plain.example"}},
        ],
        "users": [
            _user(
                "prod-user",
                "aws",
                ["--region", "eu-west-1", "eks", "get-token", "--cluster-name", "prod", "--output", "json"],
                {"AWS_PROFILE": "prod-admin"},
            ),
            _user("dev-user", "aws-iam-authenticator", ["token", "-i", "dev", "-r", "arn:aws:iam::1:role/x"]),
            _user(
                "env-user",
                "eksaccess",
                ["token", "--cluster-name", "envy", "--profile", "ops"],
                {"AWS_REGION": "ap-south-1"},
            ),
            {"name": "static", "user": {"token": "abc"}},
        ],
        "contexts": [
            {"name": "prod", "context": {"cluster": ARN, "user": "prod-user", "namespace": "team-a"}},
            {"name": "dev", "context": {"cluster": "dev-cluster", "user": "dev-user"}},
            {"name": "envy", "context": {"cluster": "plain", "user": "env-user"}},
            {"name": "arn-only", "context": {"cluster": ARN, "user": "static"}},
            {"name": "nothing", "context": {"cluster": "plain", "user": "static"}},
        ],
    }


CONFIG: Kubeconfig = merge([("kubeconfig", _document())])

# flags, environment -> cluster, region, profile, and where each came from
CASES: list[
    tuple[str, TargetFlags, dict[str, str], tuple[str, str | None, str | None], tuple[Source, ...]]
] = [
    (
        "current context alone: update-kubeconfig's --region and env AWS_PROFILE",
        TargetFlags(),
        {},
        ("prod", "eu-west-1", "prod-admin"),
        (Source.CONTEXT, Source.CONTEXT, Source.CONTEXT),
    ),
    (
        "flags beat the context",
        TargetFlags(region="us-east-2", profile="me"),
        {"AWS_REGION": "sa-east-1", "AWS_PROFILE": "shell"},
        ("prod", "us-east-2", "me"),
        (Source.CONTEXT, Source.FLAG, Source.FLAG),
    ),
    (
        "the context beats the shell's AWS_REGION and AWS_PROFILE (its env overrides the shell's)",
        TargetFlags(),
        {"AWS_REGION": "sa-east-1", "AWS_PROFILE": "shell"},
        ("prod", "eu-west-1", "prod-admin"),
        (Source.CONTEXT, Source.CONTEXT, Source.CONTEXT),
    ),
    (
        "aws-iam-authenticator -i names the cluster; region and profile from the environment",
        TargetFlags(context="dev"),
        {"AWS_REGION": "us-west-2", "AWS_DEFAULT_REGION": "eu-central-1", "AWS_PROFILE": "shell"},
        ("dev", "us-west-2", "shell"),
        (Source.CONTEXT, Source.ENVIRONMENT, Source.ENVIRONMENT),
    ),
    (
        "AWS_DEFAULT_REGION when AWS_REGION is not set",
        TargetFlags(context="dev"),
        {"AWS_DEFAULT_REGION": "eu-central-1"},
        ("dev", "eu-central-1", None),
        (Source.CONTEXT, Source.ENVIRONMENT, Source.AWS_CONFIG),
    ),
    (
        "nothing says the region or profile: left to the profile's config",
        TargetFlags(context="dev"),
        {},
        ("dev", None, None),
        (Source.CONTEXT, Source.AWS_CONFIG, Source.AWS_CONFIG),
    ),
    (
        "AWS_REGION in the exec entry's env, --profile in its args",
        TargetFlags(context="envy"),
        {"AWS_REGION": "sa-east-1"},
        ("envy", "ap-south-1", "ops"),
        (Source.CONTEXT, Source.CONTEXT, Source.CONTEXT),
    ),
    (
        "a static token: the cluster entry's EKS ARN names cluster and region",
        TargetFlags(context="arn-only"),
        {},
        ("prod", "eu-west-1", None),
        (Source.CONTEXT, Source.CONTEXT, Source.AWS_CONFIG),
    ),
    (
        "--cluster naming another cluster: the current context does not speak for it",
        TargetFlags(cluster="other"),
        {"AWS_DEFAULT_REGION": "eu-north-1"},
        ("other", "eu-north-1", None),
        (Source.FLAG, Source.ENVIRONMENT, Source.AWS_CONFIG),
    ),
    (
        "--cluster naming the context's cluster: the context fills in what the environment leaves open",
        TargetFlags(cluster="prod"),
        {},
        ("prod", "eu-west-1", "prod-admin"),
        (Source.FLAG, Source.CONTEXT, Source.CONTEXT),
    ),
    (
        "--cluster: the aws CLI's order, the shell's AWS_REGION and AWS_PROFILE before the context",
        TargetFlags(cluster="prod"),
        {"AWS_REGION": "sa-east-1", "AWS_PROFILE": "shell"},
        ("prod", "sa-east-1", "shell"),
        (Source.FLAG, Source.ENVIRONMENT, Source.ENVIRONMENT),
    ),
    (
        "--context with --cluster: the named context's credentials for that cluster, before the shell's",
        TargetFlags(cluster="renamed", context="prod"),
        {"AWS_REGION": "sa-east-1", "AWS_PROFILE": "shell"},
        ("renamed", "eu-west-1", "prod-admin"),
        (Source.FLAG, Source.CONTEXT, Source.CONTEXT),
    ),
]


@pytest.mark.parametrize(
    ("flags", "env", "want", "sources"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_flags_then_context_then_environment(
    flags: TargetFlags,
    env: dict[str, str],
    want: tuple[str, str | None, str | None],
    sources: tuple[Source, ...],
) -> None:
    target = resolve_cluster_target(flags, CONFIG, env)
    assert (target.cluster, target.region, target.profile) == want
    assert (target.sources["cluster"], target.sources["region"], target.sources["profile"]) == sources


def test_the_context_gives_its_namespace_server_and_role() -> None:
    prod = resolve_cluster_target(TargetFlags(), CONFIG, {})
    assert (prod.context, prod.namespace, prod.server) == ("prod", "team-a", "https://prod.example")
    dev = resolve_cluster_target(TargetFlags(context="dev"), CONFIG, {})
    assert dev.role_arn == "arn:aws:iam::1:role/x"


@pytest.mark.parametrize(
    ("flags", "config", "message"),
    [
        (TargetFlags(context="nothing"), CONFIG, "no cluster: pass --cluster NAME"),
        (TargetFlags(), merge([("k", _document(current=None))]), "no cluster: pass --cluster NAME"),
        (TargetFlags(), None, "no cluster: pass --cluster NAME"),
        (TargetFlags(context="missing"), CONFIG, "context 'missing' does not exist in the kubeconfig"),
    ],
    ids=["context without an EKS cluster", "no current context", "no kubeconfig", "unknown --context"],
)
def test_no_cluster_is_one_clear_error(flags: TargetFlags, config: Kubeconfig | None, message: str) -> None:
    with pytest.raises(InputError) as err:
        resolve_cluster_target(flags, config, {})
    assert message in err.value.message
    assert "\n" not in err.value.message


def _write(path: Path, document: Mapping[str, Any]) -> Path:
    with path.open("w", encoding="utf-8") as handle:
        YAML(typ="safe", pure=True).dump(dict(document), handle)
    return path


def test_kubeconfig_list_is_merged_as_kubectl_merges_it(tmp_path: Path) -> None:
    """KUBECONFIG=a:b: the first file that sets current-context wins; missing files are skipped."""
    first = _write(tmp_path / "a", {"apiVersion": "v1", "kind": "Config", "current-context": "dev"})
    second = _write(tmp_path / "b", _document(current="prod"))
    env = {"KUBECONFIG": os.pathsep.join([str(first), str(tmp_path / "missing"), str(second)])}
    target = load_cluster_target(TargetFlags(), env)
    assert (target.context, target.cluster) == ("dev", "dev")
    explicit = load_cluster_target(TargetFlags(kubeconfig=str(second)), env)
    assert (explicit.context, explicit.cluster) == ("prod", "prod")


def test_an_unreadable_kubeconfig_matters_only_when_needed(tmp_path: Path) -> None:
    broken = tmp_path / "config"
    broken.write_text("clusters: [", encoding="utf-8")
    env = {"KUBECONFIG": str(broken)}
    found = load_cluster_target(TargetFlags(cluster="c", region="r"), env, load)
    assert (found.cluster, found.region, found.context) == ("c", "r", None)
    with pytest.raises(KubeconfigError):
        load_cluster_target(TargetFlags(), env, load)
    with pytest.raises(KubeconfigError):
        load_cluster_target(TargetFlags(cluster="c", kubeconfig=str(tmp_path / "nope")), env, load)
