"""YAML syntax errors in go-yaml v2's words, the words the authenticator logs (pure).

ruamel.yaml's scanner and parser are PyYAML's, a cousin of libyaml, which go-yaml v2 ports to Go
(https://github.com/go-yaml/yaml/blob/v2/scannerc.go, parserc.go): the same mistakes are found at the same
token, only worded otherwise ("mapping values are not allowed here" where go-yaml says "... in this context").
People search the authenticator's CloudWatch log (``Errors parsing configmap: [yaml: line 3: ...]``) for
go-yaml's text, so that is the text we give.

The line is go-yaml's too (https://github.com/go-yaml/yaml/blob/v2/decode.go, ``parser.fail``): libyaml's
marks count lines from 0; a scanner error adds 1, a parser error does not, so it names the line *before* the
offending token; a problem on the first line falls back to the context's line, and with none of either the
message has no ``line N:`` at all. Alias errors are decoder errors and never carry a line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ruamel.yaml.composer import ComposerError
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scanner import ScannerError

# (problem pattern, context pattern or "", go-yaml's problem). The first that matches wins.
_WORDING: tuple[tuple[re.Pattern[str], re.Pattern[str], str], ...] = tuple(
    (re.compile(problem), re.compile(context), go)
    for problem, context, go in (
        # scannerc.go
        (r"^mapping values are not allowed", "", "mapping values are not allowed in this context"),
        (r"^mapping keys are not allowed", "", "mapping keys are not allowed in this context"),
        (r"^sequence entries are not allowed", "", "block sequence entries are not allowed in this context"),
        (r"that cannot start any token$", "", "found character that cannot start any token"),
        (r"^could not find expected ':'", "", "could not find expected ':'"),
        (r"^found unexpected end of stream", "", "found unexpected end of stream"),
        (r"^found unknown escape character", "", "found unknown escape character"),
        (
            r"^expected alphabetic or numeric character",
            "",
            "did not find expected alphabetic or numeric character",
        ),
        (r"^expected a comment or a line break", "", "did not find expected comment or line break"),
        (r"^found a tab character", "", "found a tab character that violates indentation"),
        (r"^found unexpected document separator", "", "found unexpected document indicator"),
        (
            r"^expected indentation indicator in the range 1-9, but found 0",
            "",
            "found an indentation indicator equal to 0",
        ),
        (r"^expected ' ', but found", "while scanning a tag", "did not find expected whitespace"),
        # parserc.go
        (r"^expected <block end>", r"block mapping", "did not find expected key"),
        (r"^expected <block end>", r"block collection", "did not find expected '-' indicator"),
        (r"^expected ',' or '\]'", "", "did not find expected ',' or ']'"),
        (r"^expected ',' or '\}'", "", "did not find expected ',' or '}'"),
        (r"^expected the node content", "", "did not find expected node content"),
        (r"^expected '<document start>'", "", "did not find expected <document start>"),
        (r"^found undefined tag handle", "", "found undefined tag handle"),
    )
)
_ALIAS = re.compile(r"^found undefined alias '?([^']*)'?")


@dataclass(frozen=True, kw_only=True, slots=True)
class GoYamlSyntaxError:
    """A syntax error as go-yaml v2 reports it, and where it really is."""

    message: str  # "yaml: line 3: did not find expected key", go-yaml's whole text
    line: int | None  # the 1-based line of the problem (to point at); go-yaml's own count is in message
    original: str  # ruamel.yaml's words, "while parsing a block mapping: expected <block end>, ..."


def go_yaml_syntax_error(err: YAMLError) -> GoYamlSyntaxError:
    """``err`` (ruamel.yaml's) as go-yaml v2 would word it and number it."""
    problem = str(getattr(err, "problem", None) or str(err).strip().splitlines()[0])
    context = str(getattr(err, "context", None) or "")
    problem_mark = getattr(err, "problem_mark", None)
    context_mark = getattr(err, "context_mark", None)
    mark = problem_mark or context_mark
    real = int(mark.line) + 1 if mark is not None else None
    original = f"{context}: {problem}" if context else problem
    alias = _ALIAS.match(problem)
    if isinstance(err, ComposerError) and alias:
        return GoYamlSyntaxError(
            message=f"yaml: unknown anchor '{alias[1]}' referenced", line=real, original=original
        )
    wording = next((go for p, c, go in _WORDING if p.search(problem) and c.search(context)), problem)
    line = _go_line(
        problem_mark.line if problem_mark else 0,
        context_mark.line if context_mark else 0,
        scanner=isinstance(err, ScannerError),
    )
    where = f"line {line}: " if line else ""
    return GoYamlSyntaxError(message=f"yaml: {where}{wording}", line=real, original=original)


def _go_line(problem_line: int, context_line: int, *, scanner: bool) -> int:
    """decode.go ``parser.fail``: 0-based marks; only scanner errors add 1; 0 means no line is given."""
    if problem_line:
        return problem_line + 1 if scanner else problem_line
    return context_line
