"""YAML syntax errors in go-yaml v2's words and line count, as the authenticator logs them.

Sources: the problem texts of https://github.com/go-yaml/yaml/blob/v2/scannerc.go and parserc.go (libyaml's,
ported), ``unknown anchor '%s' referenced`` of decode.go, and decode.go ``parser.fail`` for the line:
libyaml counts lines from 0, a scanner error adds 1, a parser error does not (it names the line before the
offending token), a problem on line 0 falls back to the context's line, and 0 prints no line at all. Each row
is a mistake seen in hand-edited aws-auth ConfigMaps; the last column is the line the problem is really on
(what lint points at).
"""

from __future__ import annotations

import pytest
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from eksaccess.domain.awsauth.go_yaml import first_document
from eksaccess.domain.awsauth.lint import lint_aws_auth
from eksaccess.domain.awsauth.yaml_errors import go_yaml_syntax_error
from eksaccess.domain.findings import FindingCode

ROLE = "- rolearn: arn:aws:iam::111122223333:role/a\n"
CASES: list[tuple[str, str, str, int]] = [
    # name, mapRoles text, go-yaml's message, the line of the problem
    (
        "a line indented one space too far (scanner: +1)",
        "- rolearn: x\n   username: y\n  groups: []\n",
        "yaml: line 2: mapping values are not allowed in this context",
        2,
    ),
    (
        "a key indented one space too little (parser: the line before)",
        ROLE + "  username: b\n groups: [c]\n",
        "yaml: line 2: did not find expected '-' indicator",
        3,
    ),
    (
        "a second item's key out of line",
        ROLE + "  username: b\n- rolearn: c\n username: d\n",
        "yaml: line 3: did not find expected '-' indicator",
        4,
    ),
    (
        "a list item out of line inside a mapping",
        ROLE + "  groups:\n    - a\n   - b\n",
        "yaml: line 3: did not find expected key",
        4,
    ),
    (
        "a tab before a key",
        ROLE + "\tusername: b\n",
        "yaml: line 2: found character that cannot start any token",
        2,
    ),
    (
        "a backquote on the first line (no line)",
        "- rolearn: `x`\n",
        "yaml: found character that cannot start any token",
        1,
    ),
    (
        "an unclosed flow sequence",
        ROLE + "  groups: [a\n",
        "yaml: line 2: did not find expected ',' or ']'",
        3,
    ),
    (
        "an unclosed flow mapping",
        "- {rolearn: a, groups: [b]\n",
        "yaml: line 1: did not find expected ',' or '}'",
        2,
    ),
    (
        "an unclosed quote",
        "- rolearn: 'arn:aws:iam::111122223333:role/x\n",
        "yaml: line 2: found unexpected end of stream",
        2,
    ),
    (
        "a quoted key over two lines",
        ROLE + "  'groups\n   x': y\n",
        "yaml: line 3: could not find expected ':'",
        3,
    ),
    (
        "a list on the key's line",
        ROLE + "  groups: - b\n",
        "yaml: line 2: block sequence entries are not allowed in this context",
        2,
    ),
    (
        "text after a quoted value on line 1 (no line)",
        "- rolearn: 'a' b\n",
        "yaml: did not find expected key",
        1,
    ),
    (
        "two colons on line 1 (no line)",
        "a: b: c\n",
        "yaml: mapping values are not allowed in this context",
        1,
    ),
    (
        "an unknown alias (a decoder error: never a line)",
        "- rolearn: *x\n",
        "yaml: unknown anchor 'x' referenced",
        1,
    ),
    ("an empty anchor", "- rolearn: &\n", "yaml: did not find expected alphabetic or numeric character", 1),
    ("an unknown escape", '- rolearn: "a\\q"\n', "yaml: found unknown escape character", 1),
]


@pytest.mark.parametrize(("name", "text", "message", "line"), CASES, ids=[c[0] for c in CASES])
def test_go_yaml_words_and_line(name: str, text: str, message: str, line: int) -> None:
    document = first_document(text)
    assert (document.error, document.line) == (message, line)


@pytest.mark.parametrize(("name", "text", "message", "line"), CASES, ids=[c[0] for c in CASES])
def test_lint_says_what_the_authenticator_logs_and_points_at_the_line(
    name: str, text: str, message: str, line: int
) -> None:
    (finding,) = lint_aws_auth({"mapRoles": text}, line_offsets={"mapRoles": 10})
    assert finding.code is FindingCode.AWS_AUTH_MALFORMED
    assert message in finding.detail and finding.line == 10 + line


def test_the_original_words_are_kept() -> None:
    try:
        list(YAML(typ="rt", pure=True).compose_all(ROLE + "  username: b\n groups: [c]\n"))
    except YAMLError as err:
        syntax = go_yaml_syntax_error(err)
    assert syntax.original.startswith("while parsing a block collection: expected <block end>")
    assert syntax.message == "yaml: line 2: did not find expected '-' indicator"


def test_an_unmapped_problem_keeps_ruamels_words_with_go_yamls_line() -> None:
    # "expected chomping or indentation indicators" has no one go-yaml equivalent: the words stay as found.
    document = first_document("- rolearn: a\n  username: |x\n")
    assert document.error is not None and document.error.startswith("yaml: line 2: ")
