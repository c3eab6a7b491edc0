"""The web-identity trust decision (EKS User Guide's IRSA trust policy; facts workload-identity.md §3, §8)."""

from __future__ import annotations

from typing import Any

import pytest

from eksaccess.domain.workload.oidc import (
    issuer_url,
    parse_provider_arn,
    parse_service_account_subject,
    provider_arn,
    service_account_claims,
)
from eksaccess.domain.workload.web_identity import MissReason, decide, request_context

ISSUER = "https://oidc.eks.us-west-2.amazonaws.com/id/FA5F6DDBA3B7768CE286B9597942AA19"
HOST = ISSUER.removeprefix("https://")
PROVIDER = f"arn:aws:iam::111122223333:oidc-provider/{HOST}"
WEB = "system:serviceaccount:apps:web"


def _policy(
    condition: dict[str, Any] | None,
    *,
    action: Any = "sts:AssumeRoleWithWebIdentity",
    federated: str = PROVIDER,
    effect: str = "Allow",
) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": effect, "Principal": {"Federated": federated}, "Action": action}
    if condition is not None:
        statement["Condition"] = condition
    return {"Version": "2012-10-17", "Statement": [statement]}


GUIDE = {"StringEquals": {f"{HOST}:sub": WEB, f"{HOST}:aud": "sts.amazonaws.com"}}


@pytest.mark.parametrize(
    ("policy", "sub", "allowed", "reason"),
    [
        (_policy(GUIDE), WEB, True, None),
        (_policy(GUIDE), "system:serviceaccount:apps:other", False, MissReason.CONDITION),
        (
            _policy({"StringEquals": {f"{HOST}:sub": "system:serviceaccount:apps:*"}}),
            WEB,
            False,
            MissReason.CONDITION,
        ),
        (_policy({"StringLike": {f"{HOST}:sub": "system:serviceaccount:apps:*"}}), WEB, True, None),
        (_policy({"StringEquals": {f"{HOST}:sub": WEB}}), WEB, True, None),  # no aud: works (a risk)
        (_policy(None), WEB, True, None),  # no condition at all: any SA of the cluster
        (_policy({"StringEquals": {f"https://{HOST}:sub": WEB}}), WEB, False, MissReason.CONDITION),
        (
            _policy({"StringEquals": {f"{HOST}:aud": WEB}}),
            WEB,
            False,
            MissReason.CONDITION,
        ),  # aud where sub meant
        (_policy(GUIDE, action="sts:AssumeRole"), WEB, False, MissReason.ACTION),
        (_policy(GUIDE, action=["sts:AssumeRoleWithWebIdentity", "sts:TagSession"]), WEB, True, None),
        (_policy(GUIDE, action="sts:*"), WEB, True, None),
        (_policy(GUIDE, federated=PROVIDER.replace("FA5F", "0000")), WEB, False, MissReason.PRINCIPAL),
        (
            _policy(GUIDE, federated=PROVIDER.replace("oidc.eks.us-west-2", "oidc.us-west-2.eks")),
            WEB,
            False,
            MissReason.PRINCIPAL,
        ),
    ],
)
def test_decisions(policy: dict[str, Any], sub: str, allowed: bool, reason: MissReason | None) -> None:
    decision = decide(
        policy,
        provider_arn=PROVIDER,
        context=request_context(issuer=ISSUER, sub=sub, audience="sts.amazonaws.com"),
    )
    assert decision.allowed is allowed
    if reason is not None:
        assert [m.reason for m in decision.misses] == [reason]


def test_wrong_sub_quotes_expected_and_actual() -> None:
    policy = _policy({"StringEquals": {f"{HOST}:sub": "system:serviceaccount:default:web"}})
    decision = decide(
        policy,
        provider_arn=PROVIDER,
        context=request_context(issuer=ISSUER, sub=WEB, audience="sts.amazonaws.com"),
    )
    (miss,) = decision.condition_failures()
    assert miss.failure is not None
    assert miss.failure.condition.values == ("system:serviceaccount:default:web",)
    assert miss.failure.actual == (WEB,)
    assert "statement 1" in miss.describe()


def test_deny_wins() -> None:
    allow = _policy(GUIDE)["Statement"][0]
    deny = {
        **_policy({"StringLike": {f"{HOST}:sub": "system:serviceaccount:apps:*"}}, effect="Deny")[
            "Statement"
        ][0]
    }
    decision = decide(
        {"Statement": [allow, deny]},
        provider_arn=PROVIDER,
        context=request_context(issuer=ISSUER, sub=WEB, audience="sts.amazonaws.com"),
    )
    assert not decision.allowed and decision.denied_by == 1


def test_url_encoded_document_as_iam_returns_it() -> None:
    import json
    from urllib.parse import quote

    text = quote(json.dumps(_policy(GUIDE)))
    assert decide(
        text,
        provider_arn=PROVIDER,
        context=request_context(issuer=ISSUER, sub=WEB, audience="sts.amazonaws.com"),
    ).allowed


def test_issuer_and_provider_names() -> None:
    arn = "arn:aws:eks:us-west-2:111122223333:cluster/demo"
    assert issuer_url(arn, "us-west-2") == ISSUER
    assert issuer_url("arn:aws-cn:eks:cn-north-1:111122223333:cluster/x", "cn-north-1").startswith(
        "https://oidc.eks.cn-north-1.amazonaws.com.cn/id/"
    )
    assert provider_arn("111122223333", ISSUER) == PROVIDER
    assert parse_provider_arn(PROVIDER) == ("aws", "111122223333", HOST)
    assert parse_service_account_subject(WEB) == ("apps", "web")
    assert parse_service_account_subject("system:serviceaccount:apps") is None


def test_service_account_claims() -> None:
    claims = service_account_claims(
        issuer=ISSUER,
        namespace="apps",
        name="web",
        uid="u1",
        audiences=["sts.amazonaws.com"],
        issued_at=1000,
        expiration_seconds=3600,
        bound={"pod": {"name": "web-0", "uid": "p1"}},
    )
    assert claims["sub"] == WEB and claims["aud"] == ["sts.amazonaws.com"]
    assert (claims["iat"], claims["nbf"], claims["exp"]) == (1000, 1000, 4600)
    assert claims["kubernetes.io"] == {
        "namespace": "apps",
        "serviceaccount": {"name": "web", "uid": "u1"},
        "pod": {"name": "web-0", "uid": "p1"},
    }
