"""A binding meant for the identity that names it in another letter case (``Erin`` for ``erin``).

RBAC compares subject names case-sensitively (https://github.com/kubernetes/kubernetes/blob/master/pkg/registry/rbac/validation/rule.go
``appliesToUser``), while IAM and the person reading the binding do
not: the binding looks right and never applies. When the identity is denied the request doctor checks (the
one asked with --verb/--resource, else listing pods in the context's namespace) and a RoleBinding or
ClusterRoleBinding would allow it if its subject were spelled as the identity is, doctor names the binding
and adds the subject as the identity spells it (the subject as written stays: it may be someone's).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from eksaccess.domain.authz.authorize import Authorizer
from eksaccess.domain.authz.policy_rules import first_allowing_rule
from eksaccess.domain.authz.rbac import Attributes, Binding, BindingKind, SubjectKind, parse_rbac_objects
from eksaccess.domain.findings import (
    ADMIN,
    DOCTOR,
    Catalogue,
    Definition,
    Finding,
    FindingCode,
    FixStep,
    Link,
    Reporter,
    Severity,
)
from eksaccess.domain.iam.identity import KubeIdentity
from eksaccess.features.doctor.checks.authorization import asked_request
from eksaccess.features.doctor.context import Context
from eksaccess.features.doctor.probe import Facts
from eksaccess.features.doctor.writer import writer_of

RBAC_GROUP = "rbac.authorization.k8s.io"

# This check's codes: what they mean and which fix each prints (docs/doctor-findings.md is made from these).
ENTRIES: tuple[Definition, ...] = (
    Definition(
        code=FindingCode.RBAC_SUBJECT_CASE,
        link=Link.AUTHORIZATION,
        severity=Severity.ERROR,
        title="A binding names the identity in another letter case",
        why="RBAC compares usernames and groups case-sensitively: a subject `Erin` never matches `erin`.",
        fix=f"`kubectl patch` of the binding adding the subject as the identity spells it (the one written "
        f"stays), {ADMIN}",
        reporters=DOCTOR,
    ),
)
finding = Catalogue(Reporter.DOCTOR, ENTRIES).finding


@dataclass(frozen=True, kw_only=True, slots=True)
class SubjectMiss:
    """A binding that would allow the request if one of its subjects were written as the identity is."""

    binding: Binding
    kind: str  # User or Group
    written: str  # as the binding spells it
    wanted: str  # as the identity is spelled

    @property
    def where(self) -> str:
        if self.binding.kind is BindingKind.ROLE_BINDING:
            return f"RoleBinding {self.binding.name} in namespace {self.binding.namespace}"
        return f"ClusterRoleBinding {self.binding.name}"


def probe_request(facts: Facts) -> Attributes:
    """The request doctor judges the identity by: the one asked, else listing pods where kubectl would."""
    namespace = facts.options.namespace or facts.target.namespace or "default"
    return asked_request(facts) or Attributes(verb="list", resource="pods", namespace=namespace)


def subject_misses(
    manifests: Sequence[dict[str, object]] | None,
    authorizer: Authorizer,
    identity: KubeIdentity,
    request: Attributes,
    near: Callable[[str, str], bool],
) -> Iterator[SubjectMiss]:
    """Bindings that would allow ``request`` if a subject ``near`` the identity's name (written, wanted) were
    the identity's."""
    mine = {SubjectKind.USER.value: [identity.username], SubjectKind.GROUP.value: list(identity.groups)}
    for binding in parse_rbac_objects(manifests or ()).bindings:
        if binding.kind is BindingKind.ROLE_BINDING and binding.namespace != request.namespace:
            continue
        role = authorizer.index.resolve(binding)
        if role is None or first_allowing_rule(role.rules, request) is None:
            continue
        for subject in binding.subjects:
            for name in mine.get(subject.kind, []):
                if near(subject.name, name):
                    yield SubjectMiss(binding=binding, kind=subject.kind, written=subject.name, wanted=name)


def other_case(written: str, wanted: str) -> bool:
    return written != wanted and written.lower() == wanted.lower()


def add_subject_fix(facts: Facts, miss: SubjectMiss, why: str) -> FixStep:
    """``kubectl patch`` of the binding adding the subject as the identity spells it (the one written stays)."""
    writer = writer_of(facts)
    subject = {"kind": miss.kind, "apiGroup": RBAC_GROUP, "name": miss.wanted}
    patch = json.dumps([{"op": "add", "path": "/subjects/-", "value": subject}], separators=(",", ":"))
    where = ["-n", miss.binding.namespace] if miss.binding.kind is BindingKind.ROLE_BINDING else []
    kind = miss.binding.kind.value.lower()
    return FixStep(
        text=f"As {writer.who}, add the {miss.kind} {miss.wanted!r} to the {miss.where}{why}",
        plain=(writer.kubectl("patch", kind, miss.binding.name, *where, "--type", "json", "-p", patch),),
    )


def denied_probe(ctx: Context) -> Attributes | None:
    """The request doctor judges the identity by, when the identity is denied it (else None)."""
    identity, resolution, authorizer = ctx.identity, ctx.resolution, ctx.authorizer
    if (
        not ctx.read
        or authorizer is None
        or identity is None
        or resolution is None
        or not ctx.facts.rbac.value
    ):
        return None
    request = probe_request(ctx.facts)
    policies = resolution.access_entry.policies if resolution.access_entry else ()
    decision = authorizer.authorize(
        request,
        username=identity.username,
        groups=identity.groups,
        policies=policies,
        principal_arn=resolution.principal_arn,
        explain=False,
    )
    return None if decision.allowed else request


def subject_case(
    facts: Facts, authorizer: Authorizer, identity: KubeIdentity, request: Attributes
) -> list[Finding]:
    return [
        finding(
            FindingCode.RBAC_SUBJECT_CASE,
            detail=f"The {miss.where} names the {miss.kind} {miss.written!r}; the identity is {miss.wanted!r}. "
            "RBAC compares names case-sensitively, so the binding never applies.",
            evidence={
                "binding": miss.binding.name,
                "namespace": miss.binding.namespace,
                "kind": miss.kind,
                "written": miss.written,
                "identity": miss.wanted,
            },
            fix=(
                add_subject_fix(
                    facts,
                    miss,
                    f" (it names {miss.written!r}, which stays: change or remove it if it was only ever meant "
                    f"for {miss.wanted!r}).",
                ),
            ),
        )
        for miss in subject_misses(facts.rbac.value, authorizer, identity, request, other_case)
    ]


def check(ctx: Context) -> list[Finding]:
    request = None if ctx.errors() else denied_probe(ctx)
    if request is None or ctx.authorizer is None or ctx.identity is None:
        return []
    return subject_case(ctx.facts, ctx.authorizer, ctx.identity, request)
