"""The kubeconfig as kubectl reads it and as ``aws eks update-kubeconfig`` writes it.

Sources: https://github.com/kubernetes/client-go/blob/master/tools/clientcmd/api/v1/types.go (exec plugin block) and
https://github.com/aws/aws-cli/blob/develop/awscli/customizations/eks/update_kubeconfig.py (update-kubeconfig). Pure: text in, values and text out; reading files and the environment is the
adapter's job (adapters/kubeconfig_files.py).
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import SingleQuotedScalarString

from eksaccess.domain.data_text import DataTextError, Schema, load_data_text
from eksaccess.domain.iam.principal import arn_region
from eksaccess.domain.yaml_loaders import STR, go_value
from eksaccess.errors import InputError

EXEC_V1 = "client.authentication.k8s.io/v1"
EXEC_V1BETA1 = "client.authentication.k8s.io/v1beta1"
EXEC_V1ALPHA1 = "client.authentication.k8s.io/v1alpha1"
SUPPORTED_EXEC_VERSIONS = (EXEC_V1, EXEC_V1BETA1)


class KubeconfigError(InputError):
    """A kubeconfig kubectl itself would refuse to load; ``path``: the file, when one is to blame."""

    def __init__(self, message: str, *, path: str | None = None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.path = path


class ExecPlugin(StrEnum):
    AWS_CLI = "aws"
    AUTHENTICATOR = "aws-iam-authenticator"
    EKSACCESS = "eksaccess"
    OTHER = "other"


@dataclass(frozen=True, kw_only=True, slots=True)
class ExecConfig:
    api_version: str
    command: str
    args: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    interactive_mode: str | None = None
    provide_cluster_info: bool = False

    def env_value(self, name: str) -> str | None:
        for key, value in self.env:
            if key == name:
                return value
        return None


@dataclass(frozen=True, kw_only=True, slots=True)
class ClusterEntry:
    name: str
    server: str | None = None
    certificate_authority_data: str | None = None
    certificate_authority: str | None = None
    insecure_skip_tls_verify: bool = False
    proxy_url: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class UserEntry:
    name: str
    exec: ExecConfig | None = None
    has_token: bool = False
    token: str | None = field(default=None, repr=False, compare=False)  # a static bearer token: a secret
    has_client_certificate: bool = False


@dataclass(frozen=True, kw_only=True, slots=True)
class ContextEntry:
    name: str
    cluster: str
    user: str
    namespace: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class Kubeconfig:
    clusters: Mapping[str, ClusterEntry] = field(default_factory=dict)
    users: Mapping[str, UserEntry] = field(default_factory=dict)
    contexts: Mapping[str, ContextEntry] = field(default_factory=dict)
    current_context: str | None = None

    def context(self, name: str | None = None) -> ContextEntry | None:
        wanted = name or self.current_context
        return self.contexts.get(wanted) if wanted else None


@dataclass(frozen=True, kw_only=True, slots=True)
class EksExec:
    """What an EKS exec entry says about the token it will mint."""

    plugin: ExecPlugin
    cluster_name: str | None
    region: str | None
    role_arn: str | None
    profile: str | None
    output_json: bool


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096
    return yaml


def load_raw(text: str, *, source: str = "kubeconfig") -> dict[str, Any]:
    """Parse kubeconfig text into its round-trip mapping (comments and order kept)."""
    try:
        data = _yaml().load(text) if text.strip() else {}
    except YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise KubeconfigError(f"{source}:{where} is not valid YAML") from err
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise KubeconfigError(f"{source} is not a kubeconfig (expected a mapping at the top)")
    return data


def load_config(text: str, *, source: str = "kubeconfig") -> dict[str, Any]:
    """Parse kubeconfig text into plain values, fast, with the scalar rules kubectl reads it by (go-yaml v2
    through sigs.k8s.io/yaml: ``insecure-skip-tls-verify: off`` is false, the last of duplicate keys wins).
    For reading only; ``load_raw`` keeps comments and order for an edit."""
    try:
        data = load_data_text(text, source, schema=Schema.KUBECTL, kind="YAML") if text.strip() else {}
    except DataTextError as err:
        where = f" line {err.line}" if err.line is not None else ""
        raise KubeconfigError(f"{source}:{where} is not valid YAML") from err
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise KubeconfigError(f"{source} is not a kubeconfig (expected a mapping at the top)")
    return data


def dump_raw(data: Mapping[str, Any]) -> str:
    """The kubeconfig as YAML that kubectl reads back as written: a string go-yaml v2 would take for
    something else (``on``, ``no``, ``y``, ``0x1F``, ``1_000``: YAML 1.1 words and numbers that the YAML 1.2
    writer leaves plain) is quoted, in place (a quoted string is still the same ``str``)."""
    _quote_go_words(data)
    out = io.StringIO()
    _yaml().dump(data, out)
    return out.getvalue()


def _quote_go_words(node: Any) -> None:
    items: Any = (
        node.items() if isinstance(node, Mapping) else enumerate(node) if isinstance(node, list) else ()
    )
    for key, value in list(items):
        if type(value) is str and go_value(value)[0] != STR:  # ruamel's quoted strings are subclasses
            node[key] = SingleQuotedScalarString(value)
        else:
            _quote_go_words(value)


def _named(items: Any, inner: str, source: str) -> list[tuple[str, Mapping[str, Any]]]:
    if items is None:
        return []
    if not isinstance(items, list):
        raise KubeconfigError(f"{source}: '{inner}s' must be a list")
    result: list[tuple[str, Mapping[str, Any]]] = []
    for item in items:
        if not isinstance(item, Mapping) or not isinstance(item.get("name"), str):
            raise KubeconfigError(f"{source}: every entry of '{inner}s' needs a name")
        body = item.get(inner) or {}
        if not isinstance(body, Mapping):
            raise KubeconfigError(f"{source}: {inner} {item['name']!r} must be a mapping")
        result.append((item["name"], body))
    return result


def _exec(body: Mapping[str, Any], user: str, source: str) -> ExecConfig | None:
    spec = body.get("exec")
    if spec is None:
        return None
    if not isinstance(spec, Mapping) or not isinstance(spec.get("command"), str):
        raise KubeconfigError(f"{source}: user {user!r} has an exec block without a command")
    env_items = spec.get("env") or []
    env = tuple(
        (str(item.get("name")), str(item.get("value", "")))
        for item in env_items
        if isinstance(item, Mapping) and item.get("name")
    )
    return ExecConfig(
        api_version=str(spec.get("apiVersion") or ""),
        command=spec["command"],
        args=tuple(str(a) for a in (spec.get("args") or [])),
        env=env,
        interactive_mode=spec.get("interactiveMode"),
        provide_cluster_info=bool(spec.get("provideClusterInfo", False)),
    )


def merge(documents: Sequence[tuple[str, Mapping[str, Any]]]) -> Kubeconfig:
    """Merge kubeconfig files as client-go does: for each name the first file wins, and so does
    the first ``current-context`` that is set."""
    clusters: dict[str, ClusterEntry] = {}
    users: dict[str, UserEntry] = {}
    contexts: dict[str, ContextEntry] = {}
    current: str | None = None
    for source, raw in documents:
        if current is None and raw.get("current-context"):
            current = str(raw["current-context"])
        for name, body in _named(raw.get("clusters"), "cluster", source):
            clusters.setdefault(
                name,
                ClusterEntry(
                    name=name,
                    server=body.get("server"),
                    certificate_authority_data=body.get("certificate-authority-data"),
                    certificate_authority=body.get("certificate-authority"),
                    insecure_skip_tls_verify=bool(body.get("insecure-skip-tls-verify", False)),
                    proxy_url=body.get("proxy-url"),
                ),
            )
        for name, body in _named(raw.get("users"), "user", source):
            users.setdefault(
                name,
                UserEntry(
                    name=name,
                    exec=_exec(body, name, source),
                    has_token=bool(body.get("token") or body.get("tokenFile")),
                    token=body["token"] if isinstance(body.get("token"), str) and body["token"] else None,
                    has_client_certificate=bool(
                        body.get("client-certificate-data") or body.get("client-certificate")
                    ),
                ),
            )
        for name, body in _named(raw.get("contexts"), "context", source):
            contexts.setdefault(
                name,
                ContextEntry(
                    name=name,
                    cluster=str(body.get("cluster") or ""),
                    user=str(body.get("user") or ""),
                    namespace=body.get("namespace"),
                ),
            )
    return Kubeconfig(clusters=clusters, users=users, contexts=contexts, current_context=current)


def _flag(args: Sequence[str], *names: str) -> str | None:
    """The value of the last occurrence of any of ``names`` (``--x v`` or ``--x=v``)."""
    value: str | None = None
    for i, arg in enumerate(args):
        for name in names:
            if arg == name and i + 1 < len(args):
                value = args[i + 1]
            elif arg.startswith(name + "="):
                value = arg[len(name) + 1 :]
    return value


def plugin_of(command: str) -> ExecPlugin:
    base = command.replace("\\", "/").rsplit("/", 1)[-1]
    base = base.removesuffix(".exe").removesuffix(".cmd")
    if base == "aws":
        return ExecPlugin.AWS_CLI
    if base == "aws-iam-authenticator":
        return ExecPlugin.AUTHENTICATOR
    if base in ("eksaccess", "kubectl-eksaccess"):
        return ExecPlugin.EKSACCESS
    return ExecPlugin.OTHER


def eks_exec(user: UserEntry) -> EksExec | None:
    """Read cluster name, region, role and profile from an EKS exec entry (None if not one)."""
    spec = user.exec
    if spec is None:
        return None
    plugin = plugin_of(spec.command)
    args = spec.args
    if plugin is ExecPlugin.AWS_CLI and "get-token" not in args:
        return None
    if plugin is ExecPlugin.EKSACCESS and "token" not in args:
        return None
    if plugin is ExecPlugin.OTHER:
        return None
    if plugin is ExecPlugin.AUTHENTICATOR:
        cluster = _flag(args, "-i", "--cluster-id")
        role = _flag(args, "-r", "--role")
    else:
        cluster = _flag(args, "--cluster-name", "--cluster-id")
        role = _flag(args, "--role-arn", "--role")
    return EksExec(
        plugin=plugin,
        cluster_name=cluster,
        region=_flag(args, "--region"),
        role_arn=role,
        profile=_flag(args, "--profile") or spec.env_value("AWS_PROFILE"),
        output_json=plugin is not ExecPlugin.AWS_CLI or _flag(args, "--output") in (None, "json"),
    )


@dataclass(frozen=True, kw_only=True, slots=True)
class EksClusterRef:
    """What update-kubeconfig needs from DescribeCluster."""

    name: str
    arn: str
    endpoint: str
    certificate_authority_data: str

    @property
    def region(self) -> str:
        return arn_region(self.arn)


def exec_args(
    ref: EksClusterRef, *, role_arn: str | None = None, plugin: ExecPlugin = ExecPlugin.AWS_CLI
) -> tuple[str, list[str]]:
    """The exec command and arguments ``aws eks update-kubeconfig`` writes (region from the ARN)."""
    if plugin is ExecPlugin.EKSACCESS:
        args = ["token", "--region", ref.region, "--cluster-name", ref.name]
        if role_arn:
            args += ["--role-arn", role_arn]
        return "eksaccess", args
    args = ["--region", ref.region, "eks", "get-token", "--cluster-name", ref.name, "--output", "json"]
    if role_arn:
        args += ["--role", role_arn]
    return "aws", args


def _upsert_named(raw: dict[str, Any], key: str, name: str, body: dict[str, Any]) -> None:
    items = raw.get(key)
    if not isinstance(items, list):
        items = []
        raw[key] = items
    for index, item in enumerate(items):
        if isinstance(item, Mapping) and item.get("name") == name:
            items[index] = body
            return
    items.append(body)


def update_kubeconfig(
    raw: Mapping[str, Any] | None,
    ref: EksClusterRef,
    *,
    profile: str | None = None,
    role_arn: str | None = None,
    alias: str | None = None,
    user_alias: str | None = None,
    plugin: ExecPlugin = ExecPlugin.AWS_CLI,
) -> tuple[dict[str, Any], str, bool]:
    """Write the cluster, user and context entries as ``aws eks update-kubeconfig`` does.

    Same-name entries are replaced in place, every other entry is kept. Returns the new document,
    the context name, and whether the context existed before.
    """
    doc: dict[str, Any] = dict(raw) if raw else {}
    if not doc:
        doc = {
            "apiVersion": "v1",
            "clusters": [],
            "contexts": [],
            "current-context": "",
            "kind": "Config",
            "preferences": {},
            "users": [],
        }
    user_name = user_alias or ref.arn
    context_name = alias or user_name
    existed = any(
        isinstance(c, Mapping) and c.get("name") == context_name for c in (doc.get("contexts") or [])
    )
    command, args = exec_args(ref, role_arn=role_arn, plugin=plugin)
    exec_block: dict[str, Any] = {"apiVersion": EXEC_V1BETA1, "args": args, "command": command}
    if profile:
        exec_block["env"] = [{"name": "AWS_PROFILE", "value": profile}]
    _upsert_named(
        doc,
        "clusters",
        ref.arn,
        {
            "cluster": {"certificate-authority-data": ref.certificate_authority_data, "server": ref.endpoint},
            "name": ref.arn,
        },
    )
    _upsert_named(doc, "users", user_name, {"name": user_name, "user": {"exec": exec_block}})
    _upsert_named(
        doc,
        "contexts",
        context_name,
        {"context": {"cluster": ref.arn, "user": user_name}, "name": context_name},
    )
    doc["current-context"] = context_name
    return doc, context_name, existed
