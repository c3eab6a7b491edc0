"""Kubernetes RBAC objects as values, read from manifests
(https://kubernetes.io/docs/reference/access-authn-authz/rbac/).

Roles, ClusterRoles, RoleBindings and ClusterRoleBindings are parsed from plain manifest mappings
(``kubectl get -o yaml`` output, files, a ClusterState's ``kubernetes`` list; ``kind: List`` is
flattened). Parsing is lenient the way an analyzer must be: objects the API server would have refused
are kept when their meaning is clear, and unknown kinds are ignored. Rules are normalized to tuples so
they compare by value (the aggregation controller's deep-equal dedupe relies on it).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

RBAC_GROUP = "rbac.authorization.k8s.io"
SERVICE_ACCOUNT_PREFIX = "system:serviceaccount:"


class SubjectKind(StrEnum):
    USER = "User"
    GROUP = "Group"
    SERVICE_ACCOUNT = "ServiceAccount"


class RoleKind(StrEnum):
    ROLE = "Role"
    CLUSTER_ROLE = "ClusterRole"


class BindingKind(StrEnum):
    ROLE_BINDING = "RoleBinding"
    CLUSTER_ROLE_BINDING = "ClusterRoleBinding"


@dataclass(frozen=True, kw_only=True, slots=True)
class Attributes:
    """One request as the API server's authorizers see it. ``path`` set means a non-resource request."""

    verb: str
    resource: str = ""
    subresource: str = ""
    api_group: str = ""
    name: str = ""
    namespace: str = ""
    path: str = ""

    @property
    def is_resource_request(self) -> bool:
        return not self.path

    @property
    def combined_resource(self) -> str:
        """``resource`` or ``resource/subresource``, the string RBAC rules are compared with."""
        return f"{self.resource}/{self.subresource}" if self.subresource else self.resource

    def describe(self) -> str:
        """A short human form: ``get pods/log "web" in namespace "dev"`` or ``get path "/healthz"``."""
        if not self.is_resource_request:
            return f'{self.verb} path "{self.path}"'
        what = self.combined_resource + (f".{self.api_group}" if self.api_group else "")
        if self.name:
            what += f' "{self.name}"'
        where = f' in namespace "{self.namespace}"' if self.namespace else " at the cluster scope"
        return f"{self.verb} {what}{where}"


@dataclass(frozen=True, kw_only=True, slots=True)
class PolicyRule:
    """One RBAC rule. Resource rules use groups/resources/names; non-resource rules use URLs."""

    verbs: tuple[str, ...] = ()
    api_groups: tuple[str, ...] = ()
    resources: tuple[str, ...] = ()
    resource_names: tuple[str, ...] = ()
    non_resource_urls: tuple[str, ...] = ()

    @property
    def is_non_resource(self) -> bool:
        return bool(self.non_resource_urls)

    def describe(self) -> str:
        """The facts' notation: ``{verbs; apiGroups; resources; resourceNames}`` or ``{verbs; URLs}``."""
        verbs = ",".join(self.verbs)
        if self.is_non_resource:
            return f"{{{verbs}; URLs {','.join(self.non_resource_urls)}}}"
        groups = ",".join(g if g else '""' for g in self.api_groups)
        text = f"{{{verbs}; {groups}; {','.join(self.resources)}"
        if self.resource_names:
            text += f"; names {','.join(self.resource_names)}"
        return text + "}"

    def to_json(self) -> dict[str, list[str]]:
        if self.is_non_resource:
            return {"verbs": list(self.verbs), "nonResourceURLs": list(self.non_resource_urls)}
        data = {
            "verbs": list(self.verbs),
            "apiGroups": list(self.api_groups),
            "resources": list(self.resources),
        }
        if self.resource_names:
            data["resourceNames"] = list(self.resource_names)
        return data


@dataclass(frozen=True, kw_only=True, slots=True)
class Subject:
    kind: str
    name: str
    namespace: str = ""

    def describe(self, binding_namespace: str = "") -> str:
        """The API server's words: ``Group "devs"``, ``ServiceAccount "name/namespace"``."""
        if self.kind == SubjectKind.SERVICE_ACCOUNT:
            return f'{self.kind} "{self.name}/{self.namespace or binding_namespace}"'
        return f'{self.kind} "{self.name}"'


@dataclass(frozen=True, kw_only=True, slots=True)
class RoleRef:
    kind: str
    name: str


@dataclass(frozen=True, kw_only=True, slots=True)
class LabelRequirement:
    key: str
    operator: str  # In, NotIn, Exists, DoesNotExist
    values: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True, slots=True)
class LabelSelector:
    match_labels: tuple[tuple[str, str], ...] = ()
    match_expressions: tuple[LabelRequirement, ...] = ()


@dataclass(frozen=True, kw_only=True, slots=True)
class Role:
    """A Role (``namespace`` set) or ClusterRole. ``aggregation`` is None unless an aggregationRule is set."""

    kind: RoleKind
    name: str
    namespace: str = ""
    rules: tuple[PolicyRule, ...] = ()
    labels: Mapping[str, str] = field(default_factory=dict)
    aggregation: tuple[LabelSelector, ...] | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class Binding:
    """A RoleBinding (``namespace`` set) or ClusterRoleBinding; ``order`` keeps manifest order."""

    kind: BindingKind
    name: str
    namespace: str = ""
    role_ref: RoleRef
    subjects: tuple[Subject, ...] = ()
    order: int = 0

    def describe(self) -> str:
        """How RBAC names the binding in a reason: RoleBindings as ``name/namespace``."""
        if self.kind == BindingKind.ROLE_BINDING:
            return f'{self.kind} "{self.name}/{self.namespace}"'
        return f'{self.kind} "{self.name}"'


@dataclass(frozen=True, kw_only=True, slots=True)
class RbacObjects:
    roles: tuple[Role, ...] = ()  # Roles and ClusterRoles
    bindings: tuple[Binding, ...] = ()  # RoleBindings and ClusterRoleBindings, in manifest order
    namespaces: tuple[str, ...] = ()  # Namespace objects seen (for listings, never for decisions)


def subject_applies(subject: Subject, username: str, groups: Iterable[str], binding_namespace: str) -> bool:
    """``appliesToUser``: User by name (``*`` is literal), Group by membership, ServiceAccount by username."""
    if subject.kind == SubjectKind.USER:
        return username == subject.name
    if subject.kind == SubjectKind.GROUP:
        return subject.name in groups
    if subject.kind == SubjectKind.SERVICE_ACCOUNT:
        namespace = subject.namespace or binding_namespace
        return bool(namespace) and username == f"{SERVICE_ACCOUNT_PREFIX}{namespace}:{subject.name}"
    return False


def first_applying_subject(
    binding: Binding, username: str, groups: Sequence[str] | frozenset[str]
) -> Subject | None:
    for subject in binding.subjects:
        if subject_applies(subject, username, groups, binding.namespace):
            return subject
    return None


def service_account_username(subject: Subject, binding_namespace: str) -> str | None:
    """The username a ServiceAccount subject stands for, or None when it can never match."""
    namespace = subject.namespace or binding_namespace
    return f"{SERVICE_ACCOUNT_PREFIX}{namespace}:{subject.name}" if namespace else None


# ---------------------------------------------------------------------------------------------- parsing


def iter_objects(manifests: Iterable[Mapping[str, Any]]) -> Iterator[Mapping[str, Any]]:
    """Every object, with ``kind: List`` / ``*List`` documents flattened."""
    for manifest in manifests:
        if not isinstance(manifest, Mapping):
            continue
        items = manifest.get("items")
        if str(manifest.get("kind", "")).endswith("List") and isinstance(items, list):
            yield from iter_objects(items)
        else:
            yield manifest


def parse_rbac_objects(manifests: Iterable[Mapping[str, Any]]) -> RbacObjects:
    roles: list[Role] = []
    bindings: list[Binding] = []
    namespaces: list[str] = []
    for obj in iter_objects(manifests):
        kind = obj.get("kind")
        meta = _mapping(obj.get("metadata"))
        if kind in (RoleKind.ROLE, RoleKind.CLUSTER_ROLE):
            roles.append(parse_role(obj))
        elif kind in (BindingKind.ROLE_BINDING, BindingKind.CLUSTER_ROLE_BINDING):
            bindings.append(parse_binding(obj, order=len(bindings)))
        elif kind == "Namespace" and meta.get("name"):
            namespaces.append(str(meta["name"]))
    return RbacObjects(roles=tuple(roles), bindings=tuple(bindings), namespaces=tuple(namespaces))


def parse_role(obj: Mapping[str, Any]) -> Role:
    kind = RoleKind(str(obj.get("kind")))
    meta = _mapping(obj.get("metadata"))
    labels = {str(k): str(v) for k, v in _mapping(meta.get("labels")).items()}
    aggregation: tuple[LabelSelector, ...] | None = None
    agg_rule = obj.get("aggregationRule")
    if kind == RoleKind.CLUSTER_ROLE and isinstance(agg_rule, Mapping):
        selectors = agg_rule.get("clusterRoleSelectors") or []
        aggregation = tuple(parse_selector(s) for s in selectors if isinstance(s, Mapping))
    return Role(
        kind=kind,
        name=str(meta.get("name", "")),
        namespace=str(meta.get("namespace") or "") if kind == RoleKind.ROLE else "",
        rules=parse_rules(obj.get("rules")),
        labels=labels,
        aggregation=aggregation,
    )


def parse_rules(raw: Any) -> tuple[PolicyRule, ...]:
    if not isinstance(raw, list):
        return ()  # rules: null (an aggregated role before the controller ran) or absent
    return tuple(parse_rule(r) for r in raw if isinstance(r, Mapping))


def parse_rule(raw: Mapping[str, Any]) -> PolicyRule:
    return PolicyRule(
        verbs=_strings(raw.get("verbs")),
        api_groups=_strings(raw.get("apiGroups")),
        resources=_strings(raw.get("resources")),
        resource_names=_strings(raw.get("resourceNames")),
        non_resource_urls=_strings(raw.get("nonResourceURLs")),
    )


def parse_selector(raw: Mapping[str, Any]) -> LabelSelector:
    labels = tuple(sorted((str(k), str(v)) for k, v in _mapping(raw.get("matchLabels")).items()))
    expressions = tuple(
        LabelRequirement(
            key=str(e.get("key", "")), operator=str(e.get("operator", "")), values=_strings(e.get("values"))
        )
        for e in raw.get("matchExpressions") or []
        if isinstance(e, Mapping)
    )
    return LabelSelector(match_labels=labels, match_expressions=expressions)


def parse_binding(obj: Mapping[str, Any], *, order: int = 0) -> Binding:
    kind = BindingKind(str(obj.get("kind")))
    meta = _mapping(obj.get("metadata"))
    ref = _mapping(obj.get("roleRef"))
    subjects = tuple(
        Subject(
            kind=str(s.get("kind", "")), name=str(s.get("name", "")), namespace=str(s.get("namespace") or "")
        )
        for s in obj.get("subjects") or []
        if isinstance(s, Mapping)
    )
    return Binding(
        kind=kind,
        name=str(meta.get("name", "")),
        namespace=str(meta.get("namespace") or "") if kind == BindingKind.ROLE_BINDING else "",
        role_ref=RoleRef(kind=str(ref.get("kind", "")), name=str(ref.get("name", ""))),
        subjects=subjects,
        order=order,
    )


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _strings(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value) if isinstance(value, list | tuple) else ()


# ----------------------------------------------------------------------------------- explanations


class Authority(StrEnum):
    """Which authorizer of the chain allowed a request."""

    PRIVILEGED_GROUP = "systemMasters"
    ACCESS_POLICY = "accessPolicy"
    RBAC = "rbac"


@dataclass(frozen=True, kw_only=True, slots=True)
class Reason:
    """One grant: the authorizer's reason text and the binding (or policy association), role and rule."""

    authority: Authority
    text: str
    binding: str = ""
    role: str = ""
    subject: str = ""
    rule: PolicyRule | None = None
    policy_arn: str = ""
    scope: str = ""

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"authorizer": str(self.authority), "text": self.text}
        for key in ("binding", "role", "subject", "policy_arn", "scope"):
            value = getattr(self, key)
            if value:
                data["policyArn" if key == "policy_arn" else key] = value
        if self.rule is not None:
            data["rule"] = self.rule.to_json()
        return data


class MissKind(StrEnum):
    OTHER_NAMESPACE = "otherNamespace"  # a RoleBinding grants it, in another namespace
    CLUSTER_SCOPE = "clusterScope"  # a RoleBinding grants it in a namespace; the request is cluster-wide
    VERB_NOT_GRANTED = "verbNotGranted"  # a role covers the resource but not the verb
    NAME_NOT_GRANTED = "resourceNameNotGranted"  # a rule allows only other resourceNames
    MISSING_ROLE = "missingRole"  # a binding of the identity points at a role that does not exist
    OTHER_SUBJECT = "otherSubject"  # a binding grants it, to a subject the identity is not
    UNBOUND_GROUP = "unboundGroup"  # a group of the identity that no binding names
    POLICY_SCOPE = "policyScope"  # an access policy grants it, scoped to other namespaces
    POLICY_VERB = "policyVerbNotGranted"  # an access policy covers the resource but not the verb
    POLICY_OPAQUE = "policyOpaque"  # an access policy whose permissions are not published


@dataclass(frozen=True, kw_only=True, slots=True)
class NearMiss:
    kind: MissKind
    where: str  # the binding, role or policy association concerned
    detail: str

    def to_json(self) -> dict[str, str]:
        return {"kind": str(self.kind), "where": self.where, "detail": self.detail}
