"""Label selectors: ``?labelSelector=`` strings as kube-apiserver reads them, and LabelSelector objects."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

Matcher = Callable[[Mapping[str, str]], bool]

_TERM = re.compile(
    r"^\s*(?:(?P<not>!)\s*(?P<nkey>[^\s!=,()]+)"
    r"|(?P<key>[^\s!=,()]+)\s*(?:(?P<op>==|!=|=)\s*(?P<value>[^\s,()]*)"
    r"|\s+(?P<setop>in|notin)\s*\((?P<values>[^)]*)\)|))\s*$"
)


class SelectorError(ValueError):
    """A label selector kube-apiserver would refuse."""


def _split_terms(text: str) -> list[str]:
    terms: list[str] = []
    current: list[str] = []
    depth = 0
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            terms.append("".join(current))
            current = []
        else:
            current.append(char)
    terms.append("".join(current))
    return [t for t in terms if t.strip()]


def _term_matcher(term: str) -> Matcher:
    match = _TERM.match(term)
    if match is None:
        raise SelectorError(f"unable to parse requirement: {term.strip()!r}")
    if match["not"]:
        nkey = match["nkey"]
        return lambda labels: nkey not in labels
    key = match["key"]
    if match["op"]:
        value, negate = match["value"], match["op"] == "!="
        if negate:
            return lambda labels: labels.get(key) != value
        return lambda labels: labels.get(key) == value
    if match["setop"]:
        values = {v.strip() for v in match["values"].split(",") if v.strip()}
        if match["setop"] == "in":
            return lambda labels: labels.get(key) in values
        return lambda labels: labels.get(key) not in values
    return lambda labels: key in labels


def parse_selector(text: str) -> Matcher:
    """A matcher for a selector string; an empty selector matches everything."""
    matchers = [_term_matcher(term) for term in _split_terms(text or "")]
    return lambda labels: all(m(labels) for m in matchers)
