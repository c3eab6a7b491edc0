"""Which service accounts hold a role (domain.workload.reach), table-driven over IRSA trust and Pod Identity."""

from __future__ import annotations

from typing import Any

import pytest

from eksaccess.domain.workload.reach import Mechanism, role_holders
from support.workload_state import (
    irsa_trust,
    pod_identity_trust,
    role_arn,
    workload_state,
)

WEB = role_arn("web")
ANNOTATED = {"eks.amazonaws.com/role-arn": WEB}
ACCOUNTS = [("apps", "web", ANNOTATED), ("apps", "worker", {}), ("ops", "web", {})]


def holders(**kw: Any) -> list[tuple[str, Mechanism, bool]]:
    kw.setdefault("service_accounts", ACCOUNTS)
    found = role_holders(workload_state(**kw), WEB)
    return [(str(h.service_account), h.mechanism, h.annotated) for h in found.holders]


@pytest.mark.parametrize(
    ("trust", "expected"),
    [
        pytest.param(
            irsa_trust("system:serviceaccount:apps:web"), [("apps/web", Mechanism.IRSA, True)], id="exact"
        ),
        pytest.param(irsa_trust("system:serviceaccount:apps:nobody"), [], id="wrong-sub"),
        pytest.param(
            irsa_trust("system:serviceaccount:apps:*", operator="StringLike"),
            [("apps/web", Mechanism.IRSA, True), ("apps/worker", Mechanism.IRSA, False)],
            id="namespace-wildcard",
        ),
        pytest.param(
            irsa_trust("system:serviceaccount:apps:*"), [], id="wildcard-under-StringEquals-is-literal"
        ),
        pytest.param(
            irsa_trust(None),
            [
                ("apps/web", Mechanism.IRSA, True),
                ("apps/worker", Mechanism.IRSA, False),
                ("ops/web", Mechanism.IRSA, False),
            ],
            id="no-sub-condition",
        ),
        pytest.param(irsa_trust("system:serviceaccount:apps:web", aud="other"), [], id="wrong-aud"),
    ],
)
def test_irsa_trust_decides_which_service_accounts_hold_the_role(
    trust: dict[str, Any], expected: list[tuple[str, Mechanism, bool]]
) -> None:
    assert holders(trust={WEB: trust}) == expected


def test_no_oidc_provider_for_the_issuer_means_no_irsa() -> None:
    assert holders(trust={WEB: irsa_trust(None)}, providers=["oidc.example.com/other"]) == []
    found = role_holders(workload_state(service_accounts=ACCOUNTS, providers=[]), WEB)
    assert found.holders == () and "has no IAM OIDC provider" in found.notes[0]


def test_an_unread_trust_policy_counts_the_annotated_service_accounts_with_a_note() -> None:
    found = role_holders(workload_state(service_accounts=ACCOUNTS), WEB)
    assert [(str(h.service_account), h.annotated) for h in found.holders] == [("apps/web", True)]
    assert any("not in the snapshot" in note for note in found.notes)


def test_an_audience_annotation_is_the_token_audience() -> None:
    accounts = [("apps", "web", {**ANNOTATED, "eks.amazonaws.com/audience": "custom"})]
    trust = {WEB: irsa_trust("system:serviceaccount:apps:web", aud="custom")}
    assert holders(service_accounts=accounts, trust=trust) == [("apps/web", Mechanism.IRSA, True)]


def association(role: str, *, target: str | None = None, sa: str = "api") -> dict[str, Any]:
    found: dict[str, Any] = {"namespace": "apps", "serviceAccount": sa, "roleArn": role}
    if target:
        found["targetRoleArn"] = target
    return found


@pytest.mark.parametrize(
    ("associations", "trust", "expected"),
    [
        pytest.param(
            [association(WEB)],
            {WEB: pod_identity_trust()},
            [("apps/api", Mechanism.POD_IDENTITY, False)],
            id="role",
        ),
        pytest.param(
            [association(WEB)], {WEB: pod_identity_trust(tag_session=False)}, [], id="no-tagsession"
        ),
        pytest.param(
            [association(role_arn("hop"), target=WEB)],
            {
                role_arn("hop"): pod_identity_trust(),
                WEB: {
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"AWS": role_arn("hop")},
                            "Action": ["sts:AssumeRole", "sts:TagSession"],
                        }
                    ]
                },
            },
            [("apps/api", Mechanism.POD_IDENTITY_TARGET, False)],
            id="target",
        ),
        pytest.param(
            [association(role_arn("hop"), target=WEB)],
            {role_arn("hop"): pod_identity_trust(), WEB: {"Statement": []}},
            [],
            id="target-does-not-trust-the-hop",
        ),
        pytest.param([association(role_arn("other"))], {}, [], id="another-role"),
    ],
)
def test_pod_identity_associations(
    associations: list[dict[str, Any]], trust: dict[str, Any], expected: list[tuple[str, Mechanism, bool]]
) -> None:
    assert holders(service_accounts=[], associations=associations, trust=trust) == expected


def test_a_role_of_another_account_needs_its_own_provider_and_paths_do_not_matter() -> None:
    other = role_arn("web", "444455556666")
    state = workload_state(
        service_accounts=[("apps", "web", {"eks.amazonaws.com/role-arn": other})],
        trust={other: irsa_trust("system:serviceaccount:apps:web")},
    )
    found = role_holders(state, other)
    assert found.holders == ()  # the trust names the provider of account 111122223333, not the role's
    assert any("444455556666" in note for note in found.notes)
    with_path = workload_state(
        service_accounts=[("apps", "web", {"eks.amazonaws.com/role-arn": role_arn("team/web")})]
    )
    assert [str(h.service_account) for h in role_holders(with_path, WEB).holders] == ["apps/web"]
