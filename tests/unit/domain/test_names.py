"""Name rules (domain/names.py): namespaces, templates, reserved aws-auth names, system:masters, partitions.

Vectors from Kubernetes' DNS-1123 label rule, the authenticator's templates
(https://github.com/kubernetes-sigs/aws-iam-authenticator/blob/master/pkg/server/server.go) and EKS's reserved names and wildcard scopes
(https://docs.aws.amazon.com/eks/latest/APIReference/API_CreateAccessEntry.html, API_AccessScope.html).
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eksaccess.domain.iam.templates import KNOWN_TEMPLATES
from eksaccess.domain.names import (
    is_reserved_aws_auth_username,
    masters_warning,
    unknown_templates,
    validate_namespace,
    validate_partition,
    validate_templates,
)
from eksaccess.errors import InputError

DNS1123 = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
ALICE = "arn:aws:iam::111122223333:user/alice"


@pytest.mark.parametrize(
    "namespace", ["default", "kube-system", "dev", "a", "0", "team-1", "a" * 63, "1-2-3", "x9"]
)
def test_valid_namespaces(namespace: str) -> None:
    assert validate_namespace(namespace) == namespace


@pytest.mark.parametrize(
    "namespace",
    [
        "",
        "../../etc",
        "DEV_Upper",
        "Bad_NS!",
        "Bad NS/..",
        "a" * 64,
        "n" * 300,
        "-dev",
        "dev-",
        "dev.team",
        "dév",
        "dev*",  # a wildcard only where a scope allows it
        "*",
    ],
)
def test_invalid_namespaces(namespace: str) -> None:
    with pytest.raises(InputError, match="not a valid Kubernetes namespace name"):
        validate_namespace(namespace)


@pytest.mark.parametrize("pattern", ["dev-*", "dev*", "*", "team-a-*", "a" * 62 + "*"])
def test_wildcard_scopes(pattern: str) -> None:
    assert validate_namespace(pattern, wildcard=True) == pattern


@pytest.mark.parametrize("pattern", ["Dev-*", "-*", "dev-*-x", "*dev", "dev**", "a" * 63 + "*", "../*"])
def test_invalid_wildcard_scopes(pattern: str) -> None:
    with pytest.raises(InputError, match="a trailing \\* matches"):
        validate_namespace(pattern, wildcard=True)


def test_a_long_name_is_shortened_in_the_message() -> None:
    with pytest.raises(InputError) as info:
        validate_namespace("n" * 300)
    assert "(300 characters)" in info.value.message
    assert "n" * 100 not in info.value.message


@given(st.text(alphabet="abcXYZ019-_./* !", max_size=70))
def test_namespace_rule_is_dns1123(text: str) -> None:
    expected = len(text) <= 63 and DNS1123.fullmatch(text) is not None
    try:
        validate_namespace(text)
    except InputError:
        assert not expected
    else:
        assert expected


@pytest.mark.parametrize(
    ("text", "unknown"),
    [
        ("plain", ()),
        ("dev:{{SessionName}}", ()),
        ("{{AccountID}}-{{SessionNameRaw}}-{{AccessKeyID}}", ()),
        ("system:node:{{EC2PrivateDNSName}}", ()),
        ("x:{{Evil}}", ("{{Evil}}",)),
        ("{{sessionname}}", ("{{sessionname}}",)),  # templates are case-sensitive
        ("{{ SessionName }}", ("{{ SessionName }}",)),
        ("system:node:{{EC2PrivateDNSNameShort}}", ("{{EC2PrivateDNSNameShort}}",)),
        ("a{{SessionName}}{{Evil}}{{Bad}}", ("{{Evil}}", "{{Bad}}")),
        ("{{SessionName", ()),  # not a template: literal text either way
    ],
)
def test_unknown_templates(text: str, unknown: tuple[str, ...]) -> None:
    assert unknown_templates(text) == unknown


def test_an_unknown_template_is_refused_naming_the_known_ones() -> None:
    with pytest.raises(InputError) as info:
        validate_templates("dev:{{Evil}}", what="username")
    message = info.value.message
    assert "{{Evil}}" in message and "username 'dev:{{Evil}}'" in message
    assert all(t in message for t in KNOWN_TEMPLATES)


@pytest.mark.parametrize(
    ("username", "reserved"),
    [
        ("system:admin", True),
        ("system:node:ip-10-0-0-1", True),
        ("system:node:{{SessionNameRaw}}", True),
        ("system:node:{{EC2PrivateDNSName}}", False),
        ("system:node:{{SessionName}}", False),
        ("admin", False),
        ("eks:admin", False),  # EKS refuses it on access entries; the authenticator takes it in aws-auth
        ("System:admin", False),
    ],
)
def test_reserved_aws_auth_usernames(username: str, reserved: bool) -> None:
    assert is_reserved_aws_auth_username(username) is reserved


@pytest.mark.parametrize(
    ("added", "allowed", "outcome"),
    [
        ((), False, None),
        (("devs",), False, None),
        (("system:masters",), False, "refused"),
        (("devs", "system:masters"), True, "warned"),
    ],
)
def test_system_masters_needs_the_allowance(
    added: tuple[str, ...], allowed: bool, outcome: str | None
) -> None:
    if outcome == "refused":
        with pytest.raises(InputError, match="--allow-system-masters") as info:
            masters_warning(ALICE, added, allowed=allowed)
        assert "cluster-admin outside any access policy" in info.value.message
        return
    warning = masters_warning(ALICE, added, allowed=allowed)
    if outcome is None:
        assert warning is None
    else:
        assert (
            warning is not None and "cluster-admin outside any access policy" in warning and ALICE in warning
        )


@pytest.mark.parametrize(
    ("arn", "partition", "ok"),
    [
        ("arn:aws:iam::111122223333:role/dev", "aws", True),
        ("arn:aws-cn:iam::111122223333:role/dev", "aws", False),
        ("arn:aws:iam::111122223333:role/dev", "aws-us-gov", False),
        ("arn:aws-cn:eks::aws:cluster-access-policy/AmazonEKSViewPolicy", "aws-cn", True),
        ("arn:aws-cn:eks::aws:cluster-access-policy/AmazonEKSViewPolicy", "aws", False),
    ],
)
def test_partition(arn: str, partition: str, ok: bool) -> None:
    if ok:
        assert validate_partition(arn, partition) == arn
        return
    with pytest.raises(InputError, match=f"the cluster in {partition}: use the arn:{partition}:"):
        validate_partition(arn, partition)
