"""doctor's catalogue: every definition its checks declare, in code order.

Codes are a contract: tests, scripts and docs/doctor-findings.md rely on them. Each code's definition (link,
severity, title, why, and which fix it prints) is declared by the check that finds it, in
features/doctor/checks/ (the aws-auth ones doctor shares with lint and audit come from the domain), and that
module makes its findings from its own definitions. ``CATALOG`` gathers them all for reports and the docs;
a finding's title, link and severity come from its definition, never from the place that emits it.
"""

from __future__ import annotations

from eksaccess.domain.findings import Catalogue, FindingCode, Reporter
from eksaccess.features.doctor.checks import definitions

_ORDER = {code: i for i, code in enumerate(FindingCode)}

CATALOG = Catalogue(Reporter.DOCTOR, sorted(definitions(), key=lambda d: _ORDER[d.code]))
finding = CATALOG.finding
