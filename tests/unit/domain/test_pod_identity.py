"""EKS Pod Identity's rules (facts: workload-identity.md §5, §6), table-driven."""

from __future__ import annotations

import json
from typing import Any

import pytest

from eksaccess.domain.workload.pod_identity import (
    ASSOCIATION_ID,
    InjectedCredentials,
    PodIdentityTokenError,
    TokenProblem,
    admitted_before_association,
    association_arn,
    external_id,
    injected_credentials,
    pod_identity_trust,
    role_session_name,
    session_tags,
    target_trust_missing,
    token_subject,
    trust_document,
)

SERVICE = {"Service": "pods.eks.amazonaws.com"}
BOTH = ["sts:AssumeRole", "sts:TagSession"]


def _doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def _allow(principal: Any, action: Any, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Principal": principal, "Action": action, **extra}


TRUST_CASES = [
    # (id, document, allowed actions, admits(tags on), admits_service, conditional)
    ("user-guide", trust_document(), {"sts:AssumeRole", "sts:TagSession"}, True, True, False),
    ("no-tagsession", trust_document(tag_session=False), {"sts:AssumeRole"}, False, True, False),
    (
        "irsa-only",
        _doc(
            _allow(
                {
                    "Federated": "arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/X"
                },
                "sts:AssumeRoleWithWebIdentity",
            )
        ),
        set(),
        False,
        False,
        False,
    ),
    (
        "aws-principal",
        _doc(_allow({"AWS": "arn:aws:iam::111122223333:root"}, BOTH)),
        set(),
        False,
        False,
        False,
    ),
    ("other-service", _doc(_allow({"Service": "ec2.amazonaws.com"}, BOTH)), set(), False, False, False),
    ("sts-wildcard", _doc(_allow(SERVICE, "sts:*")), {"sts:AssumeRole", "sts:TagSession"}, True, True, False),
    (
        "action-case",
        _doc(_allow(SERVICE, ["STS:assumerole", "sts:tagsession"])),
        set(BOTH),
        True,
        True,
        False,
    ),
    ("star-principal", _doc(_allow("*", BOTH)), set(BOTH), True, True, False),
    (
        "service-list",
        _doc(_allow({"Service": ["ec2.amazonaws.com", "pods.eks.amazonaws.com"]}, BOTH)),
        set(BOTH),
        True,
        True,
        False,
    ),
    (
        "split-statements",
        _doc(_allow(SERVICE, "sts:AssumeRole"), _allow(SERVICE, "sts:TagSession")),
        set(BOTH),
        True,
        True,
        False,
    ),
    (
        "deny-tagsession",
        _doc(_allow(SERVICE, BOTH), {"Effect": "Deny", "Principal": SERVICE, "Action": "sts:TagSession"}),
        {"sts:AssumeRole"},
        False,
        True,
        False,
    ),
    (
        "conditional-deny-ignored",
        _doc(
            _allow(SERVICE, BOTH),
            {
                "Effect": "Deny",
                "Principal": SERVICE,
                "Action": "sts:*",
                "Condition": {"StringNotEquals": {"aws:SourceAccount": "111122223333"}},
            },
        ),
        set(BOTH),
        True,
        True,
        False,
    ),
    (
        "conditional-allow",
        _doc(_allow(SERVICE, BOTH, Condition={"StringEquals": {"aws:SourceAccount": "111122223333"}})),
        set(BOTH),
        True,
        True,
        True,
    ),
    (
        "not-action-ignored",
        _doc({"Effect": "Allow", "Principal": SERVICE, "NotAction": "s3:*"}),
        set(),
        False,
        False,
        False,
    ),
    ("empty", _doc(), set(), False, False, False),
]


@pytest.mark.parametrize(
    ("document", "allowed", "admits", "admits_service", "conditional"),
    [c[1:] for c in TRUST_CASES],
    ids=[c[0] for c in TRUST_CASES],
)
def test_trust(
    document: dict[str, Any], allowed: set[str], admits: bool, admits_service: bool, conditional: bool
) -> None:
    verdict = pod_identity_trust(document)
    assert set(verdict.allowed) == allowed
    assert verdict.admits() is admits
    assert verdict.complete is admits
    assert verdict.admits_service is admits_service
    assert verdict.conditional is conditional


def test_trust_reads_iam_text_forms() -> None:
    """The document as IAM sends it (URL-encoded JSON) and as JSON text give the same answer."""
    from urllib.parse import quote

    text = json.dumps(trust_document(tag_session=False))
    assert pod_identity_trust(text).missing == ("sts:TagSession",)
    assert pod_identity_trust(quote(text, safe="")).missing == ("sts:TagSession",)


def test_session_tags_off_needs_only_assume_role() -> None:
    verdict = pod_identity_trust(trust_document(tag_session=False))
    assert not verdict.admits(session_tags=True)
    assert verdict.admits(session_tags=False)


def test_session_tags_are_the_six() -> None:
    tags = session_tags(
        cluster_arn="arn:aws:eks:us-west-2:111122223333:cluster/demo",
        cluster="demo",
        namespace="apps",
        service_account="web",
        pod_name="web-1",
        pod_uid="uid-1",
    )
    assert tags == {
        "eks-cluster-arn": "arn:aws:eks:us-west-2:111122223333:cluster/demo",
        "eks-cluster-name": "demo",
        "kubernetes-namespace": "apps",
        "kubernetes-service-account": "web",
        "kubernetes-pod-name": "web-1",
        "kubernetes-pod-uid": "uid-1",
    }


UUID = "0f8fad5b-d9cb-469f-a165-70867728950e"


@pytest.mark.parametrize(
    ("cluster", "pod", "expected"),
    [
        ("demo", "web-1", f"eks-demo-web-1-{UUID}"),
        ("demo", "", f"eks-demo--{UUID}"),
        ("a-very-long-cluster-name", "web-7d9f8c6b5-abcde", f"eks-a-very-long-cluster-nam-{UUID}"),
    ],
)
def test_role_session_name(cluster: str, pod: str, expected: str) -> None:
    name = role_session_name(cluster=cluster, pod_name=pod, unique=UUID)
    assert name == expected and len(name) <= 64 and name.endswith(UUID)


def test_arn_and_external_id() -> None:
    assert (
        association_arn(
            partition="aws",
            region="us-west-2",
            account="111122223333",
            cluster="demo",
            association_id="a-abc",
        )
        == "arn:aws:eks:us-west-2:111122223333:podidentityassociation/demo/a-abc"
    )
    assert (
        external_id(
            region="us-west-2",
            account="111122223333",
            cluster="demo",
            namespace="apps",
            service_account="web",
        )
        == "us-west-2/111122223333/demo/apps/web"
    )
    assert ASSOCIATION_ID.match("a-0123456789abcdefg")
    assert not ASSOCIATION_ID.match("a-0123456789ABCDEFG")


POD_BOUND = {
    "iss": "https://oidc.eks.us-west-2.amazonaws.com/id/ABC",
    "sub": "system:serviceaccount:apps:web",
    "aud": ["pods.eks.amazonaws.com"],
    "kubernetes.io": {
        "namespace": "apps",
        "serviceaccount": {"name": "web", "uid": "sa-uid"},
        "pod": {"name": "web-1", "uid": "pod-uid"},
    },
}


@pytest.mark.parametrize(
    ("claims", "expected"),
    [
        (POD_BOUND, ("apps", "web", "web-1", "pod-uid")),
        ({**POD_BOUND, "kubernetes.io": {"namespace": "apps"}}, ("apps", "web", "", "")),
        ({**POD_BOUND, "aud": "pods.eks.amazonaws.com"}, ("apps", "web", "web-1", "pod-uid")),
        (
            {**POD_BOUND, "aud": ["sts.amazonaws.com", "pods.eks.amazonaws.com"]},
            ("apps", "web", "web-1", "pod-uid"),
        ),
    ],
)
def test_token_subject(claims: dict[str, Any], expected: tuple[str, ...]) -> None:
    found = token_subject(claims)
    assert (found.namespace, found.service_account, found.pod_name, found.pod_uid) == expected


@pytest.mark.parametrize(
    ("claims", "problem"),
    [
        ({**POD_BOUND, "aud": ["sts.amazonaws.com"]}, TokenProblem.AUDIENCE),
        ({k: v for k, v in POD_BOUND.items() if k != "aud"}, TokenProblem.AUDIENCE),
        ({**POD_BOUND, "sub": "system:node:ip-10-0-0-1"}, TokenProblem.SUBJECT),
        ({**POD_BOUND, "sub": "alice"}, TokenProblem.SUBJECT),
    ],
)
def test_token_subject_refused(claims: dict[str, Any], problem: TokenProblem) -> None:
    with pytest.raises(PodIdentityTokenError) as err:
        token_subject(claims)
    assert err.value.problem is problem


@pytest.mark.parametrize(
    ("association", "irsa", "expected"),
    [
        (True, "arn:aws:iam::111122223333:role/irsa", InjectedCredentials.POD_IDENTITY),
        (True, None, InjectedCredentials.POD_IDENTITY),
        (False, "arn:aws:iam::111122223333:role/irsa", InjectedCredentials.IRSA),
        (False, None, InjectedCredentials.NONE),
        (False, "", InjectedCredentials.NONE),
    ],
)
def test_admission_precedence(association: bool, irsa: str | None, expected: InjectedCredentials) -> None:
    assert injected_credentials(has_association=association, irsa_role_arn=irsa) is expected


def test_pod_before_association() -> None:
    assert admitted_before_association(pod_created_at=100.0, association_created_at=200.0)
    assert not admitted_before_association(pod_created_at=200.0, association_created_at=200.0)
    assert not admitted_before_association(pod_created_at=300.0, association_created_at=200.0)


FIRST = "arn:aws:iam::111122223333:role/web-pod-identity"


@pytest.mark.parametrize(
    ("principal", "actions", "tags", "missing"),
    [
        (FIRST, BOTH, True, ()),
        (FIRST, ["sts:AssumeRole"], True, ("sts:TagSession",)),
        (FIRST, ["sts:AssumeRole"], False, ()),
        ("arn:aws:iam::111122223333:root", BOTH, True, ()),
        ("111122223333", "sts:*", True, ()),
        ("*", BOTH, True, ()),
        ("arn:aws:iam::444455556666:root", BOTH, True, ("sts:AssumeRole", "sts:TagSession")),
        ("arn:aws:iam::111122223333:role/other", BOTH, True, ("sts:AssumeRole", "sts:TagSession")),
    ],
)
def test_target_trust(principal: str, actions: Any, tags: bool, missing: tuple[str, ...]) -> None:
    document = _doc(_allow({"AWS": principal}, actions))
    assert target_trust_missing(document, role_arn=FIRST, session_tags=tags) == missing


def test_target_trust_deny_subtracts() -> None:
    document = _doc(
        _allow({"AWS": FIRST}, BOTH),
        {"Effect": "Deny", "Principal": {"AWS": FIRST}, "Action": "sts:TagSession"},
    )
    assert target_trust_missing(document, role_arn=FIRST) == ("sts:TagSession",)
