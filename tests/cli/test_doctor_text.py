"""``eksaccess doctor`` text output (issue 19, "Human output"): the links left unjudged after a broken one on
one row, tips on one line unless ``--verbose``, "1 problem found" / "2 problems found", and the severity as
the lower-case word JSON carries. Reports are built from doctor's own catalogue (the definitions the checks
declare), rendered by the real ``render_text``."""

from __future__ import annotations

import pytest

from eksaccess.cli.commands.doctor import render_text
from eksaccess.domain.findings import Finding, FindingCode, FixStep, Link
from eksaccess.features.doctor.catalog import finding
from eksaccess.features.doctor.model import (
    COULD_NOT_CHECK,
    NOT_CHECKED_AFTER_BREAK,
    ChainLink,
    ChainRow,
    LinkStatus,
    Report,
    chain_rows,
)

OK, BROKEN, SKIPPED, UNKNOWN = LinkStatus.OK, LinkStatus.BROKEN, LinkStatus.SKIPPED, LinkStatus.UNKNOWN
ADMIN = "arn:aws:iam::111122223333:user/admin"
DEVELOPER = "arn:aws:sts::111122223333:assumed-role/developer/s1"
AS_ARN = "not checked: --as-arn diagnoses from the cluster's state"


def chain(*states: tuple[LinkStatus, str]) -> tuple[ChainLink, ...]:
    """The nine links in doctor's order with these statuses and summaries."""
    assert len(states) == len(Link)
    return tuple(
        ChainLink(link=link, status=s, summary=text) for link, (s, text) in zip(Link, states, strict=True)
    )


def ok(text: str = "fine") -> tuple[LinkStatus, str]:
    return OK, text


def rows(links: tuple[ChainLink, ...]) -> list[tuple[str, str, str]]:
    return [(", ".join(link.value for link in r.links), r.status.value, r.summary) for r in chain_rows(links)]


# developer-locked-out as the developer alone: authentication broken, the three links after it unknown.
LOCKED_OUT = chain(
    ok(),
    ok(),
    ok(),
    ok(),
    ok(),
    (BROKEN, "the cluster answers 401 Unauthorized"),
    (UNKNOWN, COULD_NOT_CHECK),
    (UNKNOWN, COULD_NOT_CHECK),
    (UNKNOWN, COULD_NOT_CHECK),
)


@pytest.mark.parametrize(
    ("links", "expected_tail"),
    [
        pytest.param(
            LOCKED_OUT,
            [
                ("authentication", "broken", "the cluster answers 401 Unauthorized"),
                (
                    "mapping, authorization, recovery",
                    "skipped",
                    "not checked (the authentication link is broken)",
                ),
            ],
            id="three-unknown-after-a-break",
        ),
        pytest.param(  # developer-locked-out with --admin-profile: the mapping is broken, authorization skipped
            chain(
                *[ok()] * 5,
                (BROKEN, "the cluster answers 401 Unauthorized"),
                (BROKEN, "No access entry for this principal"),
                (SKIPPED, NOT_CHECKED_AFTER_BREAK),
                ok("an administrator exists"),
            ),
            [
                ("authentication", "broken", "the cluster answers 401 Unauthorized"),
                ("mapping", "broken", "no access entry for this principal"),
                ("authorization", "skipped", "not checked (the mapping link is broken)"),
                ("recovery", "ok", "an administrator exists"),
            ],
            id="one-skipped-after-a-break",
        ),
        pytest.param(  # throttled with nothing broken: an unknown link is not folded, nothing explains it
            chain(*[ok()] * 6, (UNKNOWN, COULD_NOT_CHECK), ok(), ok()),
            [
                ("mapping", "unknown", COULD_NOT_CHECK),
                ("authorization", "ok", "fine"),
                ("recovery", "ok", "fine"),
            ],
            id="unknown-without-a-break",
        ),
        pytest.param(  # --as-arn skips the token links for its own reason, which a break before them does not change
            chain(
                (SKIPPED, AS_ARN),
                (BROKEN, "The exec plugin command is not installed"),
                ok(),
                ok(),
                (SKIPPED, AS_ARN),
                (SKIPPED, AS_ARN),
                (UNKNOWN, COULD_NOT_CHECK),
                (UNKNOWN, COULD_NOT_CHECK),
                ok(),
            ),
            [
                ("token", "skipped", AS_ARN),
                ("authentication", "skipped", AS_ARN),
                ("mapping, authorization", "skipped", "not checked (the kubeconfig link is broken)"),
                ("recovery", "ok", "fine"),
            ],
            id="as-arn-rows-kept",
        ),
    ],
)
def test_chain_rows(links: tuple[ChainLink, ...], expected_tail: list[tuple[str, str, str]]) -> None:
    found = rows(links)
    assert found[-len(expected_tail) :] == expected_tail
    assert [link for r in chain_rows(links) for link in r.links] == list(Link)  # every link, once, in order


@pytest.mark.parametrize(
    ("summary", "shown"),
    [
        ("No access entry for this principal", "no access entry for this principal"),
        ("STS refused the token", "STS refused the token"),  # an acronym keeps its case
        ("credentials work", "credentials work"),
    ],
)
def test_row_summaries_start_lower_case(summary: str, shown: str) -> None:
    links = chain((BROKEN, summary), *[ok()] * 8)
    assert chain_rows(links)[0] == ChainRow(links=(Link.CREDENTIALS,), status=BROKEN, summary=shown)


def slow_plugin() -> Finding:
    return finding(
        FindingCode.EXEC_PLUGIN_SLOW,
        detail="`aws eks get-token` spent 0.60 s of CPU to print a token.",
        fix=(
            FixStep(
                text="Point the exec entry at `eksaccess token`.", eksaccess=("eksaccess kubeconfig ...",)
            ),
        ),
    )


def who_can_fix(*admins: str) -> Finding:
    return finding(
        FindingCode.ADMIN_CANDIDATES,
        detail="These principals can apply the fixes above.",
        evidence={
            "proven": None,
            "admins": [{"arn": a, "via": "access entry [0]", "profile": None} for a in admins],
        },
        fix=tuple(FixStep(text=f"{a} (access entry [0]): use that user's credentials") for a in admins),
    )


def not_mapped() -> Finding:
    return finding(FindingCode.ACCESS_ENTRY_MISSING, detail="No access entry for the developer role.")


def report(principal: str, *findings: Finding, links: tuple[ChainLink, ...] = LOCKED_OUT) -> Report:
    return Report(
        cluster={"name": "demo", "region": "us-west-2", "authenticationMode": "API_AND_CONFIG_MAP"},
        principal={"arn": principal},
        chain=links,
        findings=findings,
    )


def printed(capsys: pytest.CaptureFixture[str], subject: Report, *, verbose: bool = False) -> list[str]:
    render_text(subject, verbose=verbose)
    return capsys.readouterr().out.splitlines()


def test_the_locked_out_developer(capsys: pytest.CaptureFixture[str]) -> None:
    lines = printed(capsys, report(DEVELOPER, not_mapped(), who_can_fix(ADMIN)))
    assert lines[:3] == [
        "Cluster   demo (us-west-2), authentication mode API_AND_CONFIG_MAP",
        f"Principal {DEVELOPER}",
        "",
    ]
    assert lines[8:11] == [
        "    broken  authentication  the cluster answers 401 Unauthorized",
        "   skipped  mapping, authorization, recovery: not checked (the authentication link is broken)",
        "",
    ]
    assert lines[11:13] == [
        "error ACCESS_ENTRY_MISSING: No access entry for this principal",
        "  No access entry for the developer role.",
    ]
    # the admin is someone else: "who can fix this" is the answer the developer needs, shown whole
    assert "info ADMIN_CANDIDATES: Who can fix this" in lines
    assert f"  fix: {ADMIN} (access entry [0]): use that user's credentials" in lines
    assert lines[-1] == "1 problem found."


def test_tips_are_one_line_unless_verbose(capsys: pytest.CaptureFixture[str]) -> None:
    subject = report(ADMIN, not_mapped(), not_mapped(), slow_plugin(), who_can_fix(ADMIN, DEVELOPER))
    lines = printed(capsys, subject)
    assert lines[-4:] == [
        "tip EXEC_PLUGIN_SLOW: Every kubectl command waits for the aws CLI to start (doctor --verbose shows it)",
        "tip ADMIN_CANDIDATES: Who can fix this (doctor --verbose shows it)",  # you are one of the admins
        "",
        "2 problems found.",
    ]
    assert not any("spent 0.60 s" in line or "use that user's credentials" in line for line in lines)
    verbose = printed(capsys, subject, verbose=True)
    assert "info EXEC_PLUGIN_SLOW: Every kubectl command waits for the aws CLI to start" in verbose
    assert "      $ eksaccess kubeconfig ..." in verbose
    assert "info ADMIN_CANDIDATES: Who can fix this" in verbose
    assert not any(line.startswith("tip ") for line in verbose)
    assert verbose[-1] == "2 problems found."


@pytest.mark.parametrize(
    ("findings", "links", "closing"),
    [
        ((), chain(*[ok()] * 9), "The chain is whole: nothing to fix."),
        ((slow_plugin(),), chain(*[ok()] * 9), "The chain is whole: nothing to fix."),
        (
            (finding(FindingCode.NO_ADMIN_AVAILABLE, detail="Nobody."),),
            chain(*[ok()] * 9),
            "The chain is whole; 1 warning above.",
        ),
        (
            (),
            chain(*[ok()] * 6, (UNKNOWN, COULD_NOT_CHECK), (UNKNOWN, COULD_NOT_CHECK), ok()),
            "No problem found, but 2 links could not be checked.",
        ),
    ],
    ids=["whole", "whole-with-a-tip", "a-warning", "unknown-links"],
)
def test_closing_line(
    capsys: pytest.CaptureFixture[str],
    findings: tuple[Finding, ...],
    links: tuple[ChainLink, ...],
    closing: str,
) -> None:
    assert printed(capsys, report(ADMIN, *findings, links=links))[-1] == closing


def test_severity_is_the_json_word_in_lower_case(capsys: pytest.CaptureFixture[str]) -> None:
    subject = report(DEVELOPER, not_mapped(), finding(FindingCode.NO_ADMIN_AVAILABLE, detail="Nobody."))
    lines = printed(capsys, subject)
    for found in subject.to_json()["findings"]:
        assert f"{found['severity']} {found['code']}: {found['title']}" in lines
    assert not [line for line in lines if line.split(" ", 1)[0] in {"ERROR", "WARNING", "INFO", "BROKEN"}]


def test_verbose_is_a_doctor_option(capsys: pytest.CaptureFixture[str]) -> None:
    from eksaccess.cli.main import main

    with pytest.raises(SystemExit) as done:
        main(["doctor", "--help"])
    assert done.value.code == 0 and "--verbose" in capsys.readouterr().out
