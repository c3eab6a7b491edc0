"""One finding vocabulary: every code has one definition, listed by the catalogue of each command reporting it."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from eksaccess.domain.awsauth.findings import LINT
from eksaccess.domain.findings import (
    Catalogue,
    Definition,
    FindingCode,
    Link,
    Reporter,
    Severity,
)
from eksaccess.domain.risk import RISKS
from eksaccess.features.doctor.catalog import CATALOG
from eksaccess.features.manage.guards import GUARDS

CATALOGUES: dict[Reporter, Mapping[FindingCode, Definition]] = {
    Reporter.DOCTOR: CATALOG,
    Reporter.LINT: LINT,
    Reporter.AUDIT: RISKS,
    Reporter.GUARD: GUARDS,
}


def test_every_code_has_one_definition_in_each_catalogue_that_reports_it() -> None:
    defined: dict[FindingCode, Definition] = {}
    for reporter, catalogue in CATALOGUES.items():
        for code, definition in catalogue.items():
            assert definition.code is code
            assert reporter in definition.reporters
            assert defined.setdefault(code, definition) is definition, f"{code} is defined twice"
    assert set(defined) == set(FindingCode)
    for code, definition in defined.items():
        assert {r for r, c in CATALOGUES.items() if code in c} == definition.reporters, code


@pytest.mark.parametrize(
    ("code", "reporters"),
    [
        (FindingCode.AWS_AUTH_MALFORMED, {Reporter.DOCTOR, Reporter.LINT}),
        (FindingCode.AWS_AUTH_KEY_CASE, {Reporter.DOCTOR, Reporter.LINT}),
        (FindingCode.AWS_AUTH_ROLE_PATH, {Reporter.DOCTOR, Reporter.LINT}),
        (FindingCode.AWS_AUTH_ASSUMED_ROLE_ARN, {Reporter.DOCTOR, Reporter.LINT}),
        (FindingCode.AWS_AUTH_SHADOWED, {Reporter.DOCTOR, Reporter.AUDIT}),
        (FindingCode.NO_CLUSTER_ADMIN, {Reporter.AUDIT, Reporter.GUARD}),
    ],
)
def test_a_fact_two_commands_report_is_one_definition(code: FindingCode, reporters: set[Reporter]) -> None:
    first, *others = (CATALOGUES[r][code] for r in sorted(reporters))
    assert others and all(other is first for other in others)


def test_severity_is_the_definitions_unless_it_says_a_reporter_weighs_it_otherwise() -> None:
    assert CATALOG[FindingCode.AWS_AUTH_SHADOWED] is RISKS[FindingCode.AWS_AUTH_SHADOWED]
    assert RISKS.severity(FindingCode.AWS_AUTH_SHADOWED) is Severity.WARNING
    assert CATALOG.finding(FindingCode.AWS_AUTH_SHADOWED, detail="d").severity is Severity.INFO
    assert LINT.finding(FindingCode.AWS_AUTH_DUPLICATE, detail="d").severity is Severity.WARNING
    assert (
        LINT.finding(FindingCode.AWS_AUTH_DUPLICATE, detail="d", severity=Severity.INFO).severity
        is Severity.INFO
    )


def test_a_catalogue_refuses_a_code_twice_or_a_definition_of_another_reporter() -> None:
    definition = Definition(
        code=FindingCode.WILDCARD_RULE,
        severity=Severity.WARNING,
        link=Link.AUTHORIZATION,
        title="t",
        why="w",
        fix="f",
        reporters=frozenset({Reporter.AUDIT}),
    )
    with pytest.raises(ValueError, match="defined twice"):
        Catalogue(Reporter.AUDIT, (definition, definition))
    with pytest.raises(ValueError, match="not reported by"):
        Catalogue(Reporter.LINT, (definition,))


def test_a_finding_takes_code_severity_link_and_title_from_the_definition() -> None:
    found = RISKS.finding(FindingCode.WILDCARD_RULE, detail="ClusterRole x has *", subject='ClusterRole "x"')
    definition = RISKS[FindingCode.WILDCARD_RULE]
    assert (found.severity, found.link, found.title) == (
        definition.severity,
        definition.link,
        definition.title,
    )
