"""doctor --service-account's checks, from facts (no I/O): each code, its detail and its fix."""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import pytest

from eksaccess.adapters.workload_reads import (
    AssociationRead,
    OidcProviderRead,
    PodRead,
    RoleRead,
    ServiceAccountRead,
)
from eksaccess.domain.iam.trust import parse_policy
from eksaccess.domain.workload.web_identity import decide, request_context
from eksaccess.features.doctor.fixes import Writer
from eksaccess.features.doctor.workload.diagnose import diagnose_workload
from eksaccess.features.doctor.workload.model import RoleLookup, WorkloadFacts

ACCOUNT = "111122223333"
HOST = "oidc.eks.us-west-2.amazonaws.com/id/FA5F6DDBA3B7768CE286B9597942AA19"
ISSUER = f"https://{HOST}"
PROVIDER = f"arn:aws:iam::{ACCOUNT}:oidc-provider/{HOST}"
IRSA = f"arn:aws:iam::{ACCOUNT}:role/web-irsa"
POD_ROLE = f"arn:aws:iam::{ACCOUNT}:role/web-pod-identity"
SUB = "system:serviceaccount:apps:web"
WRITER = Writer(cluster="demo", region="us-west-2", profile="admin")


def irsa_trust(condition: Mapping[str, Any] | None, *, provider: str = PROVIDER) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"Federated": provider},
        "Action": "sts:AssumeRoleWithWebIdentity",
    }
    if condition is not None:
        statement["Condition"] = condition
    other = {
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
        "Action": "sts:AssumeRole",
    }
    return {"Version": "2012-10-17", "Statement": [statement, other]}


GOOD = {"StringEquals": {f"{HOST}:sub": SUB, f"{HOST}:aud": "sts.amazonaws.com"}}


def pod_trust(actions: list[str], service: str = "pods.eks.amazonaws.com") -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": actions}],
    }


def facts(
    *,
    annotation: str | None = IRSA,
    irsa_trust_policy: Mapping[str, Any] | None = None,
    providers: tuple[OidcProviderRead, ...] = (
        OidcProviderRead(arn=PROVIDER, url=HOST, client_ids=("sts.amazonaws.com",)),
    ),
    association: AssociationRead | None = None,
    pod_trust_policy: Mapping[str, Any] | None = None,
    pods: tuple[PodRead, ...] = (),
    role_option: str | None = None,
    boundary: str | None = None,
) -> WorkloadFacts:
    annotations = {"eks.amazonaws.com/role-arn": annotation} if annotation else {}
    irsa_arn = annotation or role_option
    irsa = None
    if irsa_arn and association is None:
        role = (
            RoleRead(arn=irsa_arn, name="web-irsa", trust_policy=irsa_trust_policy, boundary_arn=boundary)
            if irsa_trust_policy is not None
            else None
        )
        irsa = RoleLookup(arn=irsa_arn, role=role, readable=irsa_arn.split(":")[4] == ACCOUNT)
    pod_role = None
    if association is not None:
        pod_role = RoleLookup(
            arn=association.role_arn,
            role=RoleRead(
                arn=association.role_arn, name="web-pod-identity", trust_policy=pod_trust_policy or {}
            )
            if pod_trust_policy is not None
            else None,
        )
    return WorkloadFacts(
        cluster="demo",
        region="us-west-2",
        account=ACCOUNT,
        namespace="apps",
        name="web",
        service_account=ServiceAccountRead(namespace="apps", name="web", annotations=annotations),
        pods=pods,
        issuer=ISSUER,
        providers=providers,
        role_option=role_option,
        irsa_role=irsa,
        associations=(association,) if association else (),
        pod_identity_role=pod_role,
    )


ASSOCIATION = AssociationRead(
    association_id="a-0123456789abcdefg",
    namespace="apps",
    service_account="web",
    role_arn=POD_ROLE,
    created_at=datetime(2025, 1, 1, tzinfo=UTC),
)
OLD_POD = PodRead(namespace="apps", name="web-0", service_account="web", created_at="2024-01-01T00:00:00Z")
NEW_POD = replace(OLD_POD, name="web-1", created_at="2025-06-01T00:00:00Z")
DEPLOYED_POD = replace(OLD_POD, name="web-7d9f-abcde", owner_kind="ReplicaSet", owner_name="web-7d9f")


@dataclass(frozen=True)
class Case:
    name: str
    facts: WorkloadFacts
    codes: list[str]
    in_detail: str = ""
    in_fix: str = ""


CASES = [
    Case("healthy IRSA", facts(irsa_trust_policy=irsa_trust(GOOD)), []),
    Case(
        "no identity",
        facts(annotation=None),
        ["WORKLOAD_NO_IDENTITY"],
        "has no eks.amazonaws.com/role-arn annotation",
        "",
    ),
    Case(
        "no identity, --role-arn",
        facts(annotation=None, role_option=IRSA, irsa_trust_policy=irsa_trust(GOOD)),
        ["WORKLOAD_NO_IDENTITY"],
        in_fix=f"annotate serviceaccount web -n apps eks.amazonaws.com/role-arn={IRSA}",
    ),
    Case(
        "wrong sub",
        facts(
            irsa_trust_policy=irsa_trust(
                {"StringEquals": {f"{HOST}:sub": "system:serviceaccount:default:web"}}
            )
        ),
        ["TRUST_SUB_MISMATCH"],
        f"['system:serviceaccount:default:web'] does not match '{SUB}'",
        "update-assume-role-policy --role-name web-irsa",
    ),
    Case(
        "wildcard under StringEquals",
        facts(
            irsa_trust_policy=irsa_trust({"StringEquals": {f"{HOST}:sub": "system:serviceaccount:apps:*"}})
        ),
        ["TRUST_STRINGEQUALS_WILDCARD"],
        "StringEquals",
        "update-assume-role-policy --role-name web-irsa",
    ),
    Case(
        "wildcard under StringLike",
        facts(
            irsa_trust_policy=irsa_trust(
                {
                    "StringLike": {
                        f"{HOST}:sub": "system:serviceaccount:apps:*",
                        f"{HOST}:aud": "sts.amazonaws.com",
                    }
                }
            )
        ),
        [],
    ),
    Case(
        "aud condition wrong",
        facts(
            irsa_trust_policy=irsa_trust(
                {"StringEquals": {f"{HOST}:sub": SUB, f"{HOST}:aud": "sts.amazon.com"}}
            )
        ),
        ["TRUST_CONDITION_FAILS"],
        "sts.amazon.com",
    ),
    Case(
        "https in the key",
        facts(irsa_trust_policy=irsa_trust({"StringEquals": {f"https://{HOST}:sub": SUB}})),
        ["TRUST_CONDITION_FAILS"],
        "the request has no",
    ),
    Case(
        "another cluster's provider",
        facts(irsa_trust_policy=irsa_trust(GOOD, provider=PROVIDER.replace("FA5F", "0000"))),
        ["TRUST_CONDITION_FAILS"],
        "not this provider",
    ),
    Case(
        "no aud condition",
        facts(irsa_trust_policy=irsa_trust({"StringEquals": {f"{HOST}:sub": SUB}})),
        ["TRUST_NO_AUDIENCE"],
        "with no",
        f"{HOST}:aud",
    ),
    Case(
        "no OIDC provider",
        facts(irsa_trust_policy=irsa_trust(GOOD), providers=()),
        ["OIDC_PROVIDER_MISSING"],
        "No OpenIDConnect provider found",
        f"create-open-id-connect-provider --url {ISSUER} --client-id-list sts.amazonaws.com",
    ),
    Case(
        "provider without the audience",
        facts(irsa_trust_policy=irsa_trust(GOOD), providers=(OidcProviderRead(arn=PROVIDER, url=HOST),)),
        ["OIDC_AUDIENCE_MISSING"],
        "Incorrect token audience",
        f"add-client-id-to-open-id-connect-provider --open-id-connect-provider-arn {PROVIDER}",
    ),
    Case("role missing", facts(), ["WORKLOAD_ROLE_NOT_FOUND"], "NoSuchEntity"),
    Case(
        "role in another account",
        facts(annotation="arn:aws:iam::444455556666:role/web"),
        ["WORKLOAD_ROLE_OTHER_ACCOUNT"],
        "in account 444455556666",
    ),
    Case(
        "permissions boundary",
        facts(irsa_trust_policy=irsa_trust(GOOD), boundary=f"arn:aws:iam::{ACCOUNT}:policy/cap"),
        ["ROLE_BOUNDARY_OR_DENY"],
        "policy/cap",
    ),
    Case(
        "explicit Deny",
        replace(
            facts(irsa_trust_policy=irsa_trust(GOOD)),
            irsa_role=RoleLookup(
                arn=IRSA,
                role=RoleRead(arn=IRSA, name="web-irsa", trust_policy=irsa_trust(GOOD)),
                policies=(
                    parse_policy(
                        {"Statement": [{"Effect": "Deny", "Action": ["s3:*"], "Resource": "*"}]}, "quarantine"
                    ),
                ),
            ),
        ),
        ["ROLE_BOUNDARY_OR_DENY"],
        "an explicit Deny of s3:* in quarantine",
    ),
    Case(
        "a conditional Deny is not named",
        replace(
            facts(irsa_trust_policy=irsa_trust(GOOD)),
            irsa_role=RoleLookup(
                arn=IRSA,
                role=RoleRead(arn=IRSA, name="web-irsa", trust_policy=irsa_trust(GOOD)),
                policies=(
                    parse_policy(
                        {
                            "Statement": [
                                {"Effect": "Allow", "Action": "*", "Resource": "*"},
                                {
                                    "Effect": "Deny",
                                    "Action": "s3:*",
                                    "Resource": "*",
                                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                                },
                            ]
                        },
                        "tls-only",
                    ),
                ),
            ),
        ),
        [],
    ),
    Case(
        "healthy Pod Identity",
        facts(
            annotation=None,
            association=ASSOCIATION,
            pod_trust_policy=pod_trust(["sts:AssumeRole", "sts:TagSession"]),
            pods=(NEW_POD,),
        ),
        [],
    ),
    Case(
        "both mechanisms",
        facts(association=ASSOCIATION, pod_trust_policy=pod_trust(["sts:AssumeRole", "sts:TagSession"])),
        ["WORKLOAD_BOTH_MECHANISMS"],
        "pods created now run as " + POD_ROLE,
        "annotate serviceaccount web -n apps eks.amazonaws.com/role-arn-",
    ),
    Case(
        "no TagSession",
        facts(annotation=None, association=ASSOCIATION, pod_trust_policy=pod_trust(["sts:AssumeRole"])),
        ["POD_IDENTITY_NO_TAG_SESSION"],
        "call sts:TagSession",
        "update-assume-role-policy --role-name web-pod-identity",
    ),
    Case(
        "no TagSession, session tags disabled",
        facts(
            annotation=None,
            association=replace(ASSOCIATION, disable_session_tags=True),
            pod_trust_policy=pod_trust(["sts:AssumeRole"]),
        ),
        [],
    ),
    Case(
        "IRSA-only trust",
        facts(annotation=None, association=ASSOCIATION, pod_trust_policy=irsa_trust(GOOD)),
        ["POD_IDENTITY_TRUST_MISSING"],
        "sts:AssumeRole, sts:TagSession",
        "update-assume-role-policy --role-name web-pod-identity",
    ),
    Case(
        "pod before association",
        facts(
            annotation=None,
            association=ASSOCIATION,
            pod_trust_policy=pod_trust(["sts:AssumeRole", "sts:TagSession"]),
            pods=(OLD_POD, NEW_POD),
        ),
        ["POD_OLDER_THAN_ASSOCIATION"],
        "web-0 was created 2024-01-01T00:00:00Z",
        "delete pod web-0 -n apps",
    ),
    Case(
        "a deployment's pod before association",
        facts(
            annotation=None,
            association=ASSOCIATION,
            pod_trust_policy=pod_trust(["sts:AssumeRole", "sts:TagSession"]),
            pods=(DEPLOYED_POD,),
        ),
        ["POD_OLDER_THAN_ASSOCIATION"],
        in_fix="rollout restart deployment/web -n apps",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_each_link_names_its_code(case: Case) -> None:
    report = diagnose_workload(case.facts, writer=WRITER)
    assert [f.code.value for f in report.findings] == case.codes
    assert report.exit_code == (1 if any(f.severity.value == "error" for f in report.findings) else 0)
    if case.codes:
        finding = report.findings[0]
        assert case.in_detail in finding.detail
        fixes = " ".join(c for step in finding.fix for c in (*step.plain, step.text))
        assert case.in_fix in fixes
    json.dumps(report.to_json())  # serializable


def _policy_of(command: str) -> dict[str, Any]:
    argv = shlex.split(command)
    document: dict[str, Any] = json.loads(argv[argv.index("--policy-document") + 1])
    return document


TRUST_FIXED = [
    c
    for c in CASES
    if "update-assume-role-policy" in c.in_fix
    or c.codes[:1] in (["TRUST_CONDITION_FAILS"], ["TRUST_NO_AUDIENCE"])
]


@pytest.mark.parametrize("case", TRUST_FIXED, ids=[c.name for c in TRUST_FIXED])
def test_the_fixed_trust_allows_the_token_and_keeps_the_other_statements(case: Case) -> None:
    report = diagnose_workload(case.facts, writer=WRITER)
    command = report.findings[0].fix[0].plain[0]
    fixed = _policy_of(command)
    lookup = case.facts.pod_identity_role or case.facts.irsa_role
    assert lookup is not None and lookup.role is not None
    before = lookup.role.trust_policy["Statement"]
    if case.facts.associations:
        again = diagnose_workload(
            replace(
                case.facts, pod_identity_role=replace(lookup, role=replace(lookup.role, trust_policy=fixed))
            ),
            writer=WRITER,
        )
        assert again.findings == ()
        return
    decision = decide(
        fixed,
        provider_arn=PROVIDER,
        context=request_context(issuer=ISSUER, sub=SUB, audience="sts.amazonaws.com"),
    )
    assert decision.allowed
    assert before[1] in fixed["Statement"]  # the role's other statement is kept
    again = diagnose_workload(
        replace(case.facts, irsa_role=replace(lookup, role=replace(lookup.role, trust_policy=fixed))),
        writer=WRITER,
    )
    assert again.findings == ()
