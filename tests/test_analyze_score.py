"""auditor.analyze: mutes, the score (docs/scoring.md's worked example) and the exit rule."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest
from analyze_cases import (
    ACCOUNT,
    COLLECTED,
    DENIED,
    PP,
    TOOL,
    make_check,
    results,
    run,
    snapshot,
    user,
)

from auditor.analyze import grade, score
from auditor.config import Mute, Settings
from auditor.errors import ExitCode
from auditor.model import (
    Compliance,
    Finding,
    Report,
    ResourceType,
    Score,
    Severity,
    Status,
    finding_id,
)

# --- mutes -------------------------------------------------------------------------------

LEGACY = Mute(
    check="KEY-002",
    resource="arn:aws:iam::*:user/legacy-*",
    reason="Vendor rotates quarterly; SEC-123",
    expires=date(2027, 3, 31),
)


def mute_report(mutes: tuple[Mute, ...], today: date | None = None) -> Report:
    checks = [
        make_check(
            "KEY-002",
            run=results(
                (Status.FAIL, "legacy-app"),
                (Status.PASS, "legacy-ok"),
                (Status.FAIL, "alice"),
            ),
        ),
        make_check("KEY-001", run=results((Status.FAIL, "legacy-app"))),
    ]
    return run(checks, Settings(mutes=mutes), today=today)


def test_mute_marks_matching_fail_and_keeps_it() -> None:
    report = mute_report((LEGACY,))
    states = [
        (f.check_id, f.resource_name, f.status, f.muted, f.mute_reason) for f in report.findings
    ]
    assert states == [
        ("KEY-002", "legacy-app", Status.FAIL, True, LEGACY.reason),
        ("KEY-002", "legacy-ok", Status.PASS, False, None),
        ("KEY-002", "alice", Status.FAIL, False, None),
        ("KEY-001", "legacy-app", Status.FAIL, False, None),  # other check: not muted
    ]
    assert report.summary() == {"PASS": 1, "FAIL": 2, "ERROR": 0, "muted": 1}
    assert report.notes == ()


def test_error_is_never_muted() -> None:
    mute = Mute(check="PWD-001", resource="*", reason="accepted")
    snap = snapshot(sources=[], gaps=[DENIED])
    report = run([make_check("PWD-001", needs=(PP,))], Settings(mutes=(mute,)), snap=snap)
    (f,) = report.findings
    assert f.status is Status.ERROR and not f.muted
    assert ExitCode.judge(report, Severity.LOW) is ExitCode.INCOMPLETE


def test_glob_is_case_sensitive_and_whole_arn() -> None:
    mutes = (
        Mute(check="KEY-002", resource="arn:aws:iam::*:user/LEGACY-*", reason="r"),
        Mute(check="KEY-002", resource="legacy-*", reason="r"),
    )
    assert not any(f.muted for f in mute_report(mutes).findings)


def test_first_matching_mute_gives_reason() -> None:
    broad = Mute(check="KEY-002", resource="*", reason="all keys accepted")
    report = mute_report((broad, LEGACY))
    assert [f.mute_reason for f in report.findings if f.muted] == ["all keys accepted"] * 2


def test_expired_mute_is_ignored_with_note() -> None:
    report = mute_report((LEGACY,), today=date(2027, 4, 1))
    assert not any(f.muted for f in report.findings)
    assert report.notes == (
        "Mute for KEY-002 on arn:aws:iam::*:user/legacy-* expired on 2027-03-31 "
        "and no longer applies",
    )


def test_mute_applies_through_its_expiry_day() -> None:
    report = mute_report((LEGACY,), today=date(2027, 3, 31))
    assert sum(f.muted for f in report.findings) == 1
    assert report.notes == ()


def test_mute_expiry_defaults_to_collection_day() -> None:
    expired = Mute(check="KEY-002", resource="*", reason="r", expires=date(2026, 11, 22))
    live = Mute(check="KEY-002", resource="*", reason="r", expires=date(2026, 11, 23))
    assert not any(f.muted for f in mute_report((expired,)).findings)
    assert any(f.muted for f in mute_report((live,)).findings)


# --- score -------------------------------------------------------------------------------


def finding(
    check_id: str,
    status: Status,
    severity: Severity = Severity.MEDIUM,
    *,
    muted: bool = False,
    n: int = 0,
) -> Finding:
    arn = user(f"{check_id}-{n}")
    return Finding(
        finding_id=finding_id(ACCOUNT, check_id, arn),
        check_id=check_id,
        slug=check_id.lower(),
        title=check_id,
        severity=severity,
        base_severity=severity,
        status=status,
        resource_type=ResourceType.USER,
        resource_arn=arn,
        resource_name=arn,
        detail="",
        evidence={},
        remediation="",
        compliance=Compliance(),
        muted=muted,
        mute_reason="r" if muted else None,
    )


def many(
    check_id: str, severity: Severity, passes: int, fails: int, muted_fails: int = 0
) -> list[Finding]:
    out = [finding(check_id, Status.PASS, severity, n=i) for i in range(passes)]
    out += [finding(check_id, Status.FAIL, severity, n=100 + i) for i in range(fails)]
    out += [
        finding(check_id, Status.FAIL, severity, muted=True, n=200 + i) for i in range(muted_fails)
    ]
    return out


def worked_example() -> list[Finding]:
    """docs/scoring.md's worked example, finding for finding."""
    return [
        *many("ROOT-002", Severity.CRITICAL, 1, 0),
        *many("USER-001", Severity.HIGH, 3, 1),
        *many("KEY-002", Severity.MEDIUM, 3, 1, muted_fails=1),
        finding("PWD-001", Status.ERROR, Severity.MEDIUM),
        *many("USER-002", Severity.LOW, 2, 2),
        *many("FED-001", Severity.INFO, 0, 1),
    ]


def test_score_worked_example() -> None:
    # 100 * (10 + 6*3/4 + 3*3/4 + 1*2/4) / (10+6+3+1) = 86.25 -> 86.3 (half up), B (high cap)
    assert score(worked_example()) == Score(value=86.3, grade="B")


def test_score_worked_example_with_critical_fail_is_capped_at_d() -> None:
    findings = worked_example() + many("ROLE-001", Severity.CRITICAL, 19, 1)
    assert score(findings) == Score(value=89.2, grade="D")


def test_score_worked_example_without_the_mute() -> None:
    findings = [dataclasses.replace(f, muted=False, mute_reason=None) for f in worked_example()]
    assert score(findings) == Score(value=84.0, grade="B")


@pytest.mark.parametrize(
    ("findings", "expected"),
    [
        ([], Score(100.0, "A")),
        (many("X-001", Severity.INFO, 0, 5), Score(100.0, "A")),
        ([finding("X-001", Status.ERROR, Severity.CRITICAL)], Score(100.0, "A")),
        (many("X-001", Severity.MEDIUM, 0, 0, muted_fails=3), Score(100.0, "A")),
        (many("X-001", Severity.MEDIUM, 0, 2), Score(0.0, "F")),
        (many("X-001", Severity.LOW, 1, 2), Score(33.3, "F")),
        (many("X-001", Severity.LOW, 2, 1), Score(66.7, "D")),
        # a check weighs once, however many findings: 1 of 1000 vs 0 of 1
        (
            many("X-001", Severity.MEDIUM, 999, 1) + many("X-002", Severity.MEDIUM, 0, 1),
            Score(50.0, "F"),
        ),
        # weights: a failed critical outweighs a passed high
        (
            many("X-001", Severity.CRITICAL, 0, 1) + many("X-002", Severity.HIGH, 1, 0),
            Score(37.5, "F"),
        ),
        # high FAIL caps A at B
        (many("X-001", Severity.HIGH, 99, 1), Score(99.0, "B")),
        # low FAIL does not cap
        (
            many("X-001", Severity.LOW, 19, 1) + many("X-002", Severity.CRITICAL, 1, 0),
            Score(99.5, "A"),
        ),
        # muted critical FAIL does not cap
        (many("X-001", Severity.CRITICAL, 5, 0, muted_fails=1), Score(100.0, "A")),
        # a check weighs as its most severe judged finding
        (
            [
                finding("X-001", Status.PASS, Severity.LOW),
                finding("X-001", Status.FAIL, Severity.CRITICAL, n=1),
                *many("X-002", Severity.CRITICAL, 1, 0),
            ],
            Score(75.0, "D"),
        ),
    ],
)
def test_score_examples(findings: list[Finding], expected: Score) -> None:
    assert score(findings) == expected


@pytest.mark.parametrize(
    ("value", "worst", "expected"),
    [
        (90.0, None, "A"),
        (89.9, None, "B"),
        (80.0, None, "B"),
        (79.9, None, "C"),
        (70.0, None, "C"),
        (60.0, None, "D"),
        (59.9, None, "F"),
        (95.0, Severity.CRITICAL, "D"),
        (65.0, Severity.CRITICAL, "D"),
        (40.0, Severity.CRITICAL, "F"),
        (95.0, Severity.HIGH, "B"),
        (75.0, Severity.HIGH, "C"),
        (95.0, Severity.MEDIUM, "A"),
    ],
)
def test_grade(value: float, worst: Severity | None, expected: str) -> None:
    assert grade(value, worst) == expected


def test_grade_follows_rounded_value() -> None:
    # One check, so the score is its pass share: 1799/2000 = 89.95 rounds up to 90.0.
    assert score(many("X-001", Severity.LOW, 1799, 201)) == Score(90.0, "A")  # 89.95
    assert score(many("X-001", Severity.LOW, 1798, 202)) == Score(89.9, "B")  # 89.90


def test_report_score_is_computed() -> None:
    checks = [
        make_check(
            "KEY-002", severity=Severity.MEDIUM, run=results((Status.PASS, "a"), (Status.FAIL, "b"))
        ),
        make_check("KEY-001", severity=Severity.LOW, run=results((Status.PASS, "a"))),
    ]
    # (3 * 1/2 + 1 * 1) / 4 = 62.5
    assert run(checks).score == Score(62.5, "D")


# --- exit rule ---------------------------------------------------------------------------


def report_of(*findings: Finding) -> Report:
    return Report(
        tool=TOOL,
        account_id=ACCOUNT,
        partition="aws",
        generated_at=COLLECTED,
        credential_report_generated_at=None,
        score=score(findings),
        findings=tuple(findings),
        gaps=(),
    )


PASS_ONLY = (finding("X-001", Status.PASS),)
MEDIUM_FAIL = (finding("X-001", Status.FAIL, Severity.MEDIUM),)
HIGH_FAIL = (finding("X-001", Status.FAIL, Severity.HIGH),)
INFO_FAIL = (finding("X-001", Status.FAIL, Severity.INFO),)
CRITICAL_MUTED = (finding("X-001", Status.FAIL, Severity.CRITICAL, muted=True),)
ERROR = (finding("X-002", Status.ERROR, Severity.LOW),)


@pytest.mark.parametrize(
    ("findings", "fail_on", "expected"),
    [
        ((), Severity.LOW, 0),
        (PASS_ONLY, Severity.INFO, 0),
        (MEDIUM_FAIL, Severity.LOW, 1),
        (MEDIUM_FAIL, Severity.MEDIUM, 1),
        (MEDIUM_FAIL, Severity.HIGH, 0),
        (HIGH_FAIL, Severity.HIGH, 1),
        (HIGH_FAIL, Severity.CRITICAL, 0),
        (HIGH_FAIL, None, 0),
        (INFO_FAIL, Severity.INFO, 1),
        (INFO_FAIL, Severity.LOW, 0),
        (CRITICAL_MUTED, Severity.INFO, 0),
        (ERROR, Severity.LOW, 3),
        (ERROR, None, 3),
        (ERROR + HIGH_FAIL, Severity.LOW, 3),  # incomplete wins over failing
        (PASS_ONLY + ERROR, Severity.CRITICAL, 3),
    ],
)
def test_exit_code(findings: tuple[Finding, ...], fail_on: Severity | None, expected: int) -> None:
    assert ExitCode.judge(report_of(*findings), fail_on) == expected
