"""One principal model: ARN text is read only by domain/iam/principal.py, and its answers are consistent."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from eksaccess.domain.iam.partitions import region_partition
from eksaccess.domain.iam.principal import (
    InvalidArnError,
    arn_account,
    arn_partition,
    arn_region,
    parse_principal,
    principal_key,
    same_principal,
    split_arn,
)

SRC = Path(__file__).resolve().parents[3] / "src" / "eksaccess"
PRINCIPAL_MODULE = SRC / "domain" / "iam" / "principal.py"
SPLITTERS = frozenset({"split", "rsplit", "partition", "rpartition"})


def _colon_split(node: ast.AST) -> ast.Call | None:
    """``x.split(":" ...)`` and its kin, else None."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
        return None
    if node.func.attr not in SPLITTERS or not node.args:
        return None
    first = node.args[0]
    return node if isinstance(first, ast.Constant) and first.value == ":" else None


def _splits_into_fields(call: ast.Call) -> bool:
    """A split into three or more colon-separated fields (an ARN has six); one cut (``a:b``) is not."""
    assert isinstance(call.func, ast.Attribute)
    if call.func.attr not in ("split", "rsplit"):
        return False
    limit = call.args[1] if len(call.args) > 1 else None
    limit = limit or next((k.value for k in call.keywords if k.arg == "maxsplit"), None)
    if limit is None:
        return True
    return not (isinstance(limit, ast.Constant) and isinstance(limit.value, int) and 0 <= limit.value < 2)


def arn_splitting(source: str) -> list[tuple[int, str]]:
    """(line, code) of every place that cuts ARN text on ':': a receiver named like an ARN, or a split of
    any text into three or more colon fields."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        call = _colon_split(node)
        if call is None:
            continue
        assert isinstance(call.func, ast.Attribute)
        receiver = ast.unparse(call.func.value)
        if "arn" in receiver.lower() or _splits_into_fields(call):
            found.append((call.lineno, ast.unparse(call)))
    return found


def test_no_arn_splitting_outside_the_principal_module() -> None:
    offenders = [
        f"{path.relative_to(SRC)}:{line}: {code}"
        for path in sorted(SRC.rglob("*.py"))
        if path != PRINCIPAL_MODULE
        for line, code in arn_splitting(path.read_text(encoding="utf-8"))
    ]
    assert offenders == [], "ARN text is read only by domain/iam/principal.py:\n" + "\n".join(offenders)


@pytest.mark.parametrize(
    "code",
    [
        'cluster.arn.split(":")[4]',
        'arn.split(":", 2)[1]',
        "f\"arn:{principal.arn.split(':')[1]}\"",
        'str(profile.roleArn).split(":")',
        'name.split(":")[3]',
        'text.rsplit(":", 3)',
        'role_arn.partition(":")',
    ],
)
def test_the_scan_sees_arn_splitting(code: str) -> None:
    assert arn_splitting(code)


@pytest.mark.parametrize(
    "code",
    ['user_id.partition(":")', 'principal_id.split(":", 1)[0]', 'endpoint.rsplit(":", 1)[1]', 'a.split("/")'],
)
def test_the_scan_leaves_other_colons_alone(code: str) -> None:
    assert arn_splitting(code) == []


ROLE = "arn:aws:iam::111122223333:role/Admin"


@pytest.mark.parametrize(
    "other",
    [
        "arn:aws:iam::111122223333:role/team/ops/admin",
        "arn:aws:sts::111122223333:assumed-role/Admin/alice",
        "ARN:AWS:IAM::111122223333:ROLE/ADMIN".lower(),
    ],
)
def test_same_principal_ignores_path_case_and_session(other: str) -> None:
    assert same_principal(ROLE, other)
    assert principal_key(other) == principal_key(parse_principal(ROLE))


@pytest.mark.parametrize(
    "other",
    [
        "arn:aws:iam::111122223333:user/Admin",
        "arn:aws:iam::444455556666:role/Admin",
        "arn:aws-cn:iam::111122223333:role/Admin",
        "arn:aws:iam::111122223333:role/Admin2",
    ],
)
def test_other_principals_differ(other: str) -> None:
    assert not same_principal(ROLE, other)


def test_text_that_is_not_an_arn_keys_as_itself() -> None:
    assert principal_key("Not An ARN") == "not an arn"


def test_mapping_arn_is_the_role_path_rule() -> None:
    assert parse_principal("arn:aws:iam::111122223333:role/a/b/X").mapping_arn == (
        "arn:aws:iam::111122223333:role/X"
    )
    assert parse_principal("arn:aws:iam::111122223333:role/a/b/X").path_never_matches
    assert parse_principal("arn:aws:sts::111122223333:assumed-role/X/session").mapping_arn == (
        "arn:aws:iam::111122223333:role/X"
    )
    user = "arn:aws:iam::111122223333:user/p/u"
    assert parse_principal(user).mapping_arn == user
    assert not parse_principal(user).path_never_matches


def test_any_arn_splits_into_its_fields() -> None:
    cluster = "arn:aws-us-gov:eks:us-gov-west-1:111122223333:cluster/demo"
    fields = split_arn(cluster)
    assert (fields.partition, fields.service, fields.region, fields.account, fields.resource) == (
        "aws-us-gov",
        "eks",
        "us-gov-west-1",
        "111122223333",
        "cluster/demo",
    )
    assert (arn_partition(cluster), arn_region(cluster), arn_account(cluster)) == (
        "aws-us-gov",
        "us-gov-west-1",
        "111122223333",
    )
    assert region_partition(arn_region(cluster)) == arn_partition(cluster)


def test_text_that_is_not_an_arn_gets_the_defaults() -> None:
    with pytest.raises(InvalidArnError):
        split_arn("demo")
    assert (arn_partition("demo"), arn_account("demo"), arn_region("demo")) == ("aws", "", "")
