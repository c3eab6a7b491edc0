"""doctor's catalogue: the definitions its checks declare, and the one way doctor makes a finding.

Codes are a contract: tests, scripts and docs/doctor-findings.md rely on them. Each code's definition (link,
severity, title, why, and which fix it prints) is declared by the check that finds it, in
features/doctor/checks/ (the aws-auth ones doctor shares with lint and audit come from the domain);
``CATALOG`` gathers them. A finding names its code; title, link and severity come from the catalogue, never
from the place that emits it.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from typing import Any

from eksaccess.domain.findings import Catalogue, Definition, Finding, FindingCode, FixStep, Reporter

DOCTOR = frozenset({Reporter.DOCTOR})  # the reporters of a definition only doctor reports


class _DoctorCatalogue(Mapping[FindingCode, Definition]):
    """Every doctor code's definition, in code order, read from the check modules on first use (they make
    their findings through this catalogue)."""

    @functools.cached_property
    def _catalogue(self) -> Catalogue:
        from eksaccess.features.doctor.checks import definitions

        order = list(FindingCode)
        return Catalogue(Reporter.DOCTOR, sorted(definitions(), key=lambda d: order.index(d.code)))

    def __getitem__(self, code: FindingCode) -> Definition:
        return self._catalogue[code]

    def __iter__(self) -> Iterator[FindingCode]:
        return iter(self._catalogue)

    def __len__(self) -> int:
        return len(self._catalogue)

    def finding(
        self,
        code: FindingCode,
        *,
        detail: str,
        fix: tuple[FixStep, ...] = (),
        evidence: Mapping[str, Any] | None = None,
    ) -> Finding:
        return self._catalogue.finding(code, detail=detail, fix=fix, evidence=evidence)


CATALOG = _DoctorCatalogue()
finding = CATALOG.finding
