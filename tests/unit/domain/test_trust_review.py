"""domain.workload.trust_review: which sub patterns admit every service account, and which statements are
about web identity at all."""

from __future__ import annotations

from typing import Any

import pytest

from eksaccess.domain.workload.trust_review import provider_gone, web_identity_statements
from support.workload_state import ACCOUNT, HOST_PATH, PROVIDER, irsa_trust


@pytest.mark.parametrize(
    ("pattern", "any_account"),
    [
        ("*", True),
        ("system:*", True),
        ("system:serviceaccount:*", True),
        ("system:serviceaccount:*:*", True),
        ("system:serviceaccount:*:web", True),
        ("system:serviceaccount:apps:*", False),
        ("system:serviceaccount:apps:web", False),
        ("system:serviceaccount:app*:web", False),
    ],
)
def test_string_like_patterns(pattern: str, any_account: bool) -> None:
    (statement,) = web_identity_statements(irsa_trust(pattern, operator="StringLike"))
    assert (statement.any_service_account() is not None) is any_account
    (literal,) = web_identity_statements(irsa_trust(pattern))  # StringEquals: * is a literal
    assert literal.any_service_account() is None


@pytest.mark.parametrize(
    "trust",
    [
        {
            "Statement": [
                {
                    "Effect": "Deny",
                    "Principal": {"Federated": PROVIDER},
                    "Action": "sts:AssumeRoleWithWebIdentity",
                }
            ]
        },
        {
            "Statement": [
                {"Effect": "Allow", "Principal": {"Federated": PROVIDER}, "Action": "sts:AssumeRole"}
            ]
        },
        {
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Federated": "cognito-identity.amazonaws.com"},
                    "Action": "sts:*",
                }
            ]
        },
        {
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": "pods.eks.amazonaws.com"}, "Action": "*"}
            ]
        },
        {
            "Statement": [
                {"Effect": "Allow", "Principal": {"Federated": PROVIDER}, "Action": "sts:*", "Condition": "x"}
            ]
        },
    ],
)
def test_statements_that_are_not_about_oidc_web_identity(trust: dict[str, Any]) -> None:
    assert web_identity_statements(trust) == ()


def test_keys_compare_without_case_and_the_provider_rule() -> None:
    trust = irsa_trust("system:serviceaccount:apps:web")
    condition = trust["Statement"][0]["Condition"]["StringEquals"]
    trust["Statement"][0]["Condition"]["StringEquals"] = {k.upper(): v for k, v in condition.items()}
    (statement,) = web_identity_statements(trust)
    assert statement.sub and statement.aud and statement.host_path == HOST_PATH
    assert not provider_gone(statement, account=ACCOUNT, providers=[HOST_PATH])
    assert provider_gone(statement, account=ACCOUNT, providers=[])
    assert not provider_gone(statement, account=ACCOUNT, providers=None)  # not read
    assert not provider_gone(statement, account="444455556666", providers=[])  # another account's provider
