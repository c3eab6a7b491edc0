"""The authenticator's log lines (facts doctor-breadth.md §7.2): written as logrus's text formatter writes
them, parsed back by doctor; EKS's own samples (KC-401) parse as the sandbox's lines do."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eksaccess.domain.authenticator_log import decision_for, format_line, go_groups, log_group, parse_line

AT = datetime(2022, 5, 26, 18, 55, 30, tzinfo=UTC)
ROLE = "arn:aws:iam::111122223333:role/developer"


@pytest.mark.parametrize(
    ("level", "msg", "fields", "client", "line"),
    [
        (
            "warning",
            "access denied",
            {"arn": ROLE, "error": "identity is not mapped"},
            "127.0.0.1:50422",
            'time="2022-05-26T18:55:30Z" level=warning msg="access denied" arn="arn:aws:iam::111122223333:role/'
            'developer" client="127.0.0.1:50422" error="identity is not mapped" method=POST path=/authenticate',
        ),
        (
            "info",
            "access granted",
            {
                "arn": ROLE,
                "groups": go_groups(["system:masters"]),
                "uid": "aws-iam-authenticator:111122223333:AROAEXAMPLE",
                "username": "kubernetes-admin",
            },
            "127.0.0.1:50422",
            'time="2022-05-26T18:55:30Z" level=info msg="access granted" arn="arn:aws:iam::111122223333:role/'
            'developer" client="127.0.0.1:50422" groups="[system:masters]" method=POST path=/authenticate '
            'uid="aws-iam-authenticator:111122223333:AROAEXAMPLE" username=kubernetes-admin',
        ),
        (
            "warning",
            "access denied",
            {
                "error": 'input token was not properly formatted: token is missing expected "k8s-aws-v1." prefix'
            },
            "127.0.0.1:1",
            'time="2022-05-26T18:55:30Z" level=warning msg="access denied" client="127.0.0.1:1" error="input '
            'token was not properly formatted: token is missing expected \\"k8s-aws-v1.\\" prefix" method=POST '
            "path=/authenticate",
        ),
        (  # the token verifier's own line: no request fields; an empty value is bare
            "info",
            "STS response",
            {
                "accesskeyid": "AKIAEXAMPLE",
                "accountid": "111122223333",
                "arn": ROLE,
                "session": "",
                "userid": "AIDA",
            },
            None,
            'time="2022-05-26T18:55:30Z" level=info msg="STS response" accesskeyid=AKIAEXAMPLE '
            'accountid=111122223333 arn="arn:aws:iam::111122223333:role/developer" session= userid=AIDA',
        ),
    ],
)
def test_lines_are_written_as_logrus_writes_them(
    level: str, msg: str, fields: dict[str, str], client: str | None, line: str
) -> None:
    assert format_line(at=AT, level=level, msg=msg, fields=fields, client=client) == line
    parsed = parse_line(line)
    assert parsed is not None and parsed.msg == msg and parsed.level == level
    assert {k: v for k, v in parsed.fields.items() if k not in ("client", "method", "path")} == fields


def test_an_eks_sample_line_parses() -> None:
    """KC-401's CONFIG_MAP creator line (keys sorted, groups as fmt.Sprint prints a []string)."""
    sample = (
        'time="2022-12-14T09:12:01Z" level=info msg="access granted" arn="arn:aws:iam::111122223333:user/'
        'founder" client="127.0.0.1:43162" groups="[system:masters]" method=POST path=/authenticate '
        'uid="aws-iam-authenticator:111122223333:AIDAEXAMPLE" username=kubernetes-admin'
    )
    line = parse_line(sample)
    assert line is not None and line.granted
    assert (line.arn, line.username, line.groups) == (
        "arn:aws:iam::111122223333:user/founder",
        "kubernetes-admin",
        ("system:masters",),
    )
    assert parse_line("not a logrus line") is None


def test_the_newest_decision_about_the_principal_is_chosen() -> None:
    def line(msg: str, arn: str, error: str = "") -> str:
        fields = {"arn": arn, **({"error": error} if error else {})}
        return format_line(at=AT, level="info", msg=msg, fields=fields, client="127.0.0.1:1")

    lines = [
        parse_line(line("access denied", ROLE, "ARN is not mapped")),
        parse_line(line("access granted", "arn:aws:iam::111122223333:role/other")),
        parse_line(line("STS response", ROLE)),
        parse_line(
            line(
                "access denied", ROLE.upper().replace("ARN:AWS:IAM", "arn:aws:iam"), "identity is not mapped"
            )
        ),
    ]
    found = decision_for([x for x in lines if x is not None], ROLE)
    assert found is not None and found.error == "identity is not mapped"
    assert decision_for([x for x in lines[1:3] if x is not None], ROLE) is None
    assert log_group("demo") == "/aws/eks/demo/cluster"


@given(
    st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=40),
    st.lists(st.text(alphabet="abc:-", min_size=1, max_size=8), max_size=3),
)
def test_any_printable_error_and_groups_round_trip(error: str, groups: list[str]) -> None:
    fields = {"arn": ROLE, "error": error, "groups": go_groups(groups)}
    parsed = parse_line(format_line(at=AT, level="warning", msg="access denied", fields=fields, client="x:1"))
    assert parsed is not None
    assert parsed.error == error  # quotes and backslashes included
    assert parsed.groups == tuple(g for g in groups)
