"""Tests for auditor.analyze: check selection, ERROR on missing data, findings, mutes, score."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime

import factories
import pytest

import auditor.checks
import auditor.checks.registry
from auditor.analyze import (
    analyze,
    exit_code,
    grade,
    needed_sources,
    score,
    selected_checks,
)
from auditor.checks import Check, CheckContext
from auditor.config import CheckOverride, Mute, Settings, Thresholds
from auditor.model import (
    CheckMeta,
    Compliance,
    Finding,
    Gap,
    Report,
    ResourceType,
    Result,
    Score,
    Severity,
    Source,
    Status,
    Tool,
    finding_id,
)
from auditor.snapshot import AuthorizationDetails, CredentialReport, Snapshot

ACCOUNT = "123456789012"
ROOT = f"arn:aws:iam::{ACCOUNT}:root"
COLLECTED = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
TOOL = Tool(name="iam-auditor", version="0.0.test")
CR = Source.CREDENTIAL_REPORT
PP = Source.PASSWORD_POLICY
AD = Source.AUTHORIZATION_DETAILS

RunFn = Callable[[Snapshot, CheckContext], Iterable[Result]]


def user(name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:user/{name}"


def make_check(
    check_id: str,
    *,
    slug: str | None = None,
    severity: Severity = Severity.MEDIUM,
    needs: Iterable[Source] = (CR,),
    run: RunFn | None = None,
    resource_type: ResourceType = ResourceType.USER,
) -> Check:
    meta = CheckMeta(
        id=check_id,
        slug=slug or f"slug-{check_id.lower()}",
        title=f"Title of {check_id}",
        severity=severity,
        resource_type=resource_type,
        needs=frozenset(needs),
        rationale="because",
        remediation=f"Fix {check_id}.",
        remediation_cli=f"aws iam fix-{check_id.lower()}",
        compliance=Compliance(cis_7=("2.12",), fsbp=("IAM.3",)),
    )
    return Check(meta=meta, run=run or (lambda snap, ctx: ()))


def results(*items: tuple[Status, str]) -> RunFn:
    """A check body returning one result per (status, user name)."""

    def run(snap: Snapshot, ctx: CheckContext) -> list[Result]:
        return [Result(status=s, resource_arn=user(n), resource_name=n, detail=n) for s, n in items]

    return run


def snapshot(sources: Iterable[Source] = tuple(Source), gaps: Iterable[Gap] = ()) -> Snapshot:
    collected = frozenset(sources)
    return Snapshot(
        account_id=ACCOUNT,
        partition="aws",
        collected_at=COLLECTED,
        sources=collected,
        gaps=tuple(gaps),
        # Collected authorization details with nobody in them: the context rule then
        # finds no privileged principal, rather than noting that it could not look.
        authorization=AuthorizationDetails() if AD in collected else None,
    )


def run(checks: list[Check], settings: Settings | None = None, **kw: object) -> Report:
    snap = kw.pop("snap", None) or snapshot()
    assert isinstance(snap, Snapshot)
    return analyze(snap, settings or Settings(), checks, tool=TOOL, **kw)  # type: ignore[arg-type]


def by_check(report: Report, check_id: str) -> list[Finding]:
    return [f for f in report.findings if f.check_id == check_id]


# --- selection ---------------------------------------------------------------------------

CATALOG = [
    make_check("ROOT-001", slug="root-access-key", needs=(Source.ACCOUNT_SUMMARY, CR)),
    make_check("PWD-001", slug="password-policy-missing", needs=(PP,)),
    make_check("KEY-002", slug="access-key-rotation", needs=(CR,)),
    make_check("AA-001", slug="access-analyzer-disabled", needs=(Source.ACCESS_ANALYZER,)),
]


def ids(checks: Iterable[Check]) -> list[str]:
    return [c.meta.id for c in checks]


def test_selected_checks_all_enabled_in_catalog_order() -> None:
    assert ids(selected_checks(Settings(), available=CATALOG)) == [
        "ROOT-001",
        "PWD-001",
        "KEY-002",
        "AA-001",
    ]


def test_disabled_check_is_not_selected() -> None:
    settings = Settings(checks={"AA-001": CheckOverride(enabled=False)})
    assert ids(selected_checks(settings, available=CATALOG)) == ["ROOT-001", "PWD-001", "KEY-002"]


def test_severity_only_override_keeps_check_enabled() -> None:
    settings = Settings(checks={"AA-001": CheckOverride(severity=Severity.LOW)})
    assert "AA-001" in ids(selected_checks(settings, available=CATALOG))


@pytest.mark.parametrize(
    ("only", "expected"),
    [
        (["KEY-002"], ["KEY-002"]),
        (["key-002"], ["KEY-002"]),
        ([" access-key-rotation "], ["KEY-002"]),
        (["AA-001", "password-policy-missing"], ["PWD-001", "AA-001"]),
        (["KEY-002", "access-key-rotation"], ["KEY-002"]),
        ([], ["ROOT-001", "PWD-001", "KEY-002", "AA-001"]),
    ],
)
def test_only_filters_by_id_or_slug(only: list[str], expected: list[str]) -> None:
    assert ids(selected_checks(Settings(), only, available=CATALOG)) == expected


def test_unknown_only_raises() -> None:
    with pytest.raises(ValueError, match=r"unknown check 'acess-key-rotation' in --checks") as info:
        selected_checks(Settings(), ["KEY-002", "acess-key-rotation"], available=CATALOG)
    assert "did you mean access-key-rotation?" in str(info.value)


def test_only_naming_a_disabled_check_raises() -> None:
    settings = Settings(checks={"AA-001": CheckOverride(enabled=False)}, source="cfg.toml")
    with pytest.raises(ValueError, match=r"AA-001 .* disabled by \[checks\.AA-001\] in cfg\.toml"):
        selected_checks(settings, ["AA-001"], available=CATALOG)


def test_default_available_is_the_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    fresh: dict[str, Check] = {}
    # all_checks() reads the name bound in auditor.checks; @check writes the registry's.
    monkeypatch.setattr(auditor.checks, "REGISTRY", fresh)
    monkeypatch.setattr(auditor.checks.registry, "REGISTRY", fresh)

    @auditor.checks.check(
        id="KEY-901",
        slug="test-key-check",
        title="t",
        severity=Severity.LOW,
        resource_type=ResourceType.ACCESS_KEY,
        needs=[CR],
        rationale="r",
        remediation="m",
        remediation_cli="c",
    )
    def _key(snap: Snapshot, ctx: CheckContext) -> list[Result]:
        return []

    @auditor.checks.check(
        id="ROOT-901",
        slug="test-root-check",
        title="t",
        severity=Severity.HIGH,
        resource_type=ResourceType.ACCOUNT,
        needs=[Source.ACCOUNT_SUMMARY],
        rationale="r",
        remediation="m",
        remediation_cli="c",
    )
    def _root(snap: Snapshot, ctx: CheckContext) -> list[Result]:
        return []

    assert ids(selected_checks(Settings())) == ["ROOT-901", "KEY-901"]
    assert ids(selected_checks(Settings(), ["test-key-check"])) == ["KEY-901"]


def test_needed_sources_is_union_of_selected_needs() -> None:
    settings = Settings(checks={"AA-001": CheckOverride(enabled=False)})
    account_level = [
        dataclasses.replace(c, meta=dataclasses.replace(c.meta, resource_type=ResourceType.ACCOUNT))
        for c in selected_checks(settings, available=CATALOG)
    ]
    needed = needed_sources(account_level)
    assert needed == frozenset({Source.ACCOUNT_SUMMARY, CR, PP})
    assert needed_sources([]) == frozenset()


@pytest.mark.parametrize(
    ("resource_type", "adds_authorization"),
    [
        (ResourceType.USER, True),
        (ResourceType.ROLE, True),
        (ResourceType.GROUP, True),
        (ResourceType.ACCESS_KEY, True),
        (ResourceType.ACCOUNT, False),
        (ResourceType.POLICY, False),
        (ResourceType.SERVER_CERTIFICATE, False),
    ],
)
def test_needed_sources_adds_authorization_details_for_the_context_rule(
    resource_type: ResourceType, adds_authorization: bool
) -> None:
    # A check judging principals (KEY-002 reads only the credential report) still needs
    # to know who is admin-equivalent, for the context rule to raise its findings.
    chk = make_check("KEY-002", needs=(CR,), resource_type=resource_type)
    assert (AD in needed_sources([chk])) is adds_authorization
    assert CR in needed_sources([chk])


# --- ERROR instead of PASS ---------------------------------------------------------------

DENIED = Gap(
    source=PP,
    operation="iam:GetAccountPasswordPolicy",
    error="AccessDenied",
    message="User is not authorized to perform iam:GetAccountPasswordPolicy",
)


def test_gap_gives_one_error_for_exactly_the_dependent_checks() -> None:
    checks = [
        make_check("PWD-001", needs=(PP,), run=results((Status.PASS, "x"))),
        make_check("PWD-002", needs=(PP,), run=results((Status.PASS, "y"))),
        make_check("KEY-002", needs=(CR,), run=results((Status.PASS, "a"), (Status.FAIL, "b"))),
    ]
    snap = snapshot(sources=[CR], gaps=[DENIED])
    report = run(checks, snap=snap)

    for check_id in ("PWD-001", "PWD-002"):
        (err,) = by_check(report, check_id)
        assert err.status is Status.ERROR
        assert err.resource_arn == ROOT
        assert err.resource_type is ResourceType.ACCOUNT
        assert err.detail == (
            "Could not evaluate: iam:GetAccountPasswordPolicy failed with AccessDenied"
        )
        assert dict(err.evidence) == {
            "operation": "iam:GetAccountPasswordPolicy",
            "error": "AccessDenied",
            "message": DENIED.message,
        }
    assert [f.status for f in by_check(report, "KEY-002")] == [Status.PASS, Status.FAIL]
    assert not report.complete
    assert report.gaps == (DENIED,)
    assert report.gap_checks() == {DENIED: ("PWD-001", "PWD-002")}


def test_regional_gap_is_left_to_the_check() -> None:
    regional = Gap(
        source=Source.ACCESS_ANALYZER,
        operation="access-analyzer:ListAnalyzers",
        error="AccessDenied",
        message="denied",
        region="eu-west-1",
    )
    check = make_check("AA-001", needs=(Source.ACCESS_ANALYZER,), run=results((Status.FAIL, "r")))
    report = run([check], snap=snapshot(gaps=[regional]))
    assert [f.status for f in report.findings] == [Status.FAIL]


def test_source_not_collected_gives_error() -> None:
    called: list[str] = []

    def body(snap: Snapshot, ctx: CheckContext) -> list[Result]:
        called.append("yes")
        return []

    check = make_check("PWD-001", needs=(PP,), run=body)
    report = run([check], snap=snapshot(sources=[CR]))
    (err,) = report.findings
    assert err.status is Status.ERROR
    assert "data not collected" in err.detail
    assert err.evidence["source"] == "password_policy"
    assert "operation" not in err.evidence
    assert called == []


def test_check_raising_gives_error_and_others_run(caplog: pytest.LogCaptureFixture) -> None:
    def boom(snap: Snapshot, ctx: CheckContext) -> Iterable[Result]:
        yield Result(status=Status.PASS, resource_arn=user("a"), resource_name="a", detail="ok")
        raise KeyError("mfa_active")

    checks = [
        make_check("KEY-001", run=boom),
        make_check("KEY-002", run=results((Status.FAIL, "b"))),
    ]
    with caplog.at_level(logging.ERROR, logger="auditor.analyze"):
        report = run(checks)
    (err,) = by_check(report, "KEY-001")  # the PASS before the crash is discarded
    assert err.status is Status.ERROR
    assert err.detail == "Could not evaluate: the check failed with KeyError: 'mfa_active'"
    assert dict(err.evidence) == {"error": "KeyError", "message": "'mfa_active'"}
    assert [f.status for f in by_check(report, "KEY-002")] == [Status.FAIL]
    assert any("KEY-001" in r.getMessage() and r.exc_info for r in caplog.records)


def test_check_yielding_garbage_gives_error() -> None:
    def bad(snap: Snapshot, ctx: CheckContext) -> list[object]:
        return ["PASS"]

    report = run([make_check("KEY-001", run=bad)])  # type: ignore[arg-type]
    (err,) = report.findings
    assert err.status is Status.ERROR
    assert "TypeError" in err.detail and "str" in err.detail


def test_disabled_check_absent_from_report() -> None:
    settings = Settings(checks={"KEY-002": CheckOverride(enabled=False)})
    catalog = [
        make_check("KEY-001", run=results((Status.PASS, "a"))),
        make_check("KEY-002", run=results((Status.FAIL, "a"))),
    ]
    report = run(selected_checks(settings, available=catalog), settings)
    assert {f.check_id for f in report.findings} == {"KEY-001"}


def test_report_checks_are_the_checks_run_in_catalog_order() -> None:
    settings = Settings(checks={"PWD-001": CheckOverride(enabled=False)})
    catalog = [
        make_check("ROOT-001", needs=(Source.ACCOUNT_SUMMARY,), run=results((Status.FAIL, "r"))),
        make_check("PWD-001", needs=(PP,), run=results((Status.FAIL, "p"))),
        make_check("KEY-002", run=results((Status.PASS, "a"))),
        make_check("USER-003"),  # runs, finds nothing to judge
        make_check("AA-001", needs=(Source.ACCESS_ANALYZER,), run=results((Status.PASS, "x"))),
    ]
    chosen = selected_checks(
        settings, ["aa-001", "USER-003", "KEY-002", "ROOT-001"], available=catalog
    )
    report = run(chosen, settings)
    assert report.checks == tuple(c.meta for c in catalog if c.meta.id != "PWD-001")
    assert [m.id for m in report.checks] == ["ROOT-001", "KEY-002", "USER-003", "AA-001"]
    assert "USER-003" not in {f.check_id for f in report.findings}
    narrowed = run(selected_checks(settings, ["key-002"], available=catalog), settings)
    assert narrowed.checks == (catalog[2].meta,)


def test_report_checks_include_checks_that_could_not_look() -> None:
    checks = [
        make_check("PWD-001", needs=(PP,), run=results((Status.PASS, "a"))),
        make_check("KEY-002", run=results((Status.PASS, "a"))),
    ]
    report = run(checks, snap=snapshot(gaps=(DENIED,)))
    assert [m.id for m in report.checks] == ["PWD-001", "KEY-002"]
    assert report.checks[0].remediation_cli == "aws iam fix-pwd-001"
    assert [f.status for f in by_check(report, "PWD-001")] == [Status.ERROR]
    assert run([]).checks == ()


def test_report_checks_of_the_real_catalog() -> None:
    checks = selected_checks(Settings())
    report = run(checks)
    assert report.checks == tuple(c.meta for c in auditor.checks.all_checks())
    assert report.checks[0].id == "ROOT-001"
    assert all(m.rationale and m.remediation for m in report.checks)


# --- findings ----------------------------------------------------------------------------


def test_result_becomes_finding() -> None:
    def body(snap: Snapshot, ctx: CheckContext) -> list[Result]:
        return [
            Result(
                status=Status.FAIL,
                resource_arn=user("alice"),
                resource_name="alice",
                detail="Access key 1 is 120 days old",
                evidence={"key": 1, "age_days": 120},
                qualifier="key1",
            ),
            Result(
                status=Status.PASS,
                resource_arn=f"{user('alice')}/key2",
                resource_name="alice",
                detail="fine",
                qualifier="key2",
                resource_type=ResourceType.ACCESS_KEY,
            ),
        ]

    check = make_check("KEY-002", slug="access-key-rotation", run=body)
    fail, ok = run([check]).findings
    assert fail.finding_id == finding_id(ACCOUNT, "KEY-002", user("alice"), "key1")
    assert fail.finding_id != ok.finding_id
    assert (fail.check_id, fail.slug, fail.title) == (
        "KEY-002",
        "access-key-rotation",
        check.meta.title,
    )
    assert fail.status is Status.FAIL
    assert fail.severity is fail.base_severity is Severity.MEDIUM
    assert fail.severity_reason is None
    assert fail.resource_type is ResourceType.USER  # the check's default
    assert ok.resource_type is ResourceType.ACCESS_KEY  # the result's own
    assert fail.detail == "Access key 1 is 120 days old"
    assert dict(fail.evidence) == {"key": 1, "age_days": 120}
    assert fail.remediation == "Fix KEY-002. CLI: aws iam fix-key-002"
    assert fail.compliance == check.meta.compliance
    assert not fail.muted and fail.mute_reason is None


def test_checks_receive_thresholds_and_trust() -> None:
    seen: list[CheckContext] = []

    def body(snap: Snapshot, ctx: CheckContext) -> list[Result]:
        seen.append(ctx)
        return []

    settings = Settings(
        thresholds=Thresholds(key_rotation_days=30), trusted_account_ids=frozenset({"1" * 12})
    )
    run([make_check("KEY-002", run=body)], settings)
    assert seen == [CheckContext(Thresholds(key_rotation_days=30), frozenset({"1" * 12}))]


def test_config_severity_override() -> None:
    settings = Settings(checks={"KEY-002": CheckOverride(severity=Severity.LOW)})
    (f,) = run([make_check("KEY-002", run=results((Status.FAIL, "a")))], settings).findings
    assert f.severity is Severity.LOW
    assert f.base_severity is Severity.MEDIUM
    assert f.severity_reason is not None and "[checks.KEY-002]" in f.severity_reason


def test_config_severity_applies_to_error_findings() -> None:
    settings = Settings(checks={"PWD-001": CheckOverride(severity=Severity.HIGH)})
    snap = snapshot(sources=[], gaps=[DENIED])
    (f,) = run([make_check("PWD-001", needs=(PP,))], settings, snap=snap).findings
    assert (f.status, f.severity) == (Status.ERROR, Severity.HIGH)


def test_per_result_severity_beats_config() -> None:
    def body(snap: Snapshot, ctx: CheckContext) -> list[Result]:
        return [
            Result(Status.FAIL, ROOT, "root", "key used", severity=Severity.CRITICAL),
            Result(Status.FAIL, ROOT, "root", "password used", qualifier="pw"),
        ]

    settings = Settings(checks={"ROOT-004": CheckOverride(severity=Severity.MEDIUM)})
    check = make_check("ROOT-004", severity=Severity.HIGH, run=body)
    key, password = run([check], settings).findings
    assert (key.severity, key.base_severity) == (Severity.CRITICAL, Severity.HIGH)
    assert key.severity_reason is not None and "check" in key.severity_reason
    assert password.severity is Severity.MEDIUM


def test_report_metadata_comes_from_snapshot() -> None:
    snap = Snapshot(
        account_id=ACCOUNT,
        partition="aws-us-gov",
        collected_at=COLLECTED,
        sources=frozenset(Source),
        gaps=(DENIED,),
        credential_report=CredentialReport(
            generated_at=datetime(2026, 11, 23, 9, 58, 12, tzinfo=UTC), rows=()
        ),
    )
    checks = [make_check("KEY-002", run=results((Status.PASS, "a")))]
    report = run(checks, snap=snap)
    assert report.tool == TOOL
    assert (report.account_id, report.partition) == (ACCOUNT, "aws-us-gov")
    assert report.generated_at == COLLECTED
    assert report.credential_report_generated_at == datetime(2026, 11, 23, 9, 58, 12, tzinfo=UTC)
    assert report.gaps == (DENIED,)
    assert report == run(checks, snap=snap)  # re-auditing the same snapshot: identical
    assert run(checks).credential_report_generated_at is None


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
    assert exit_code(report, Severity.LOW) == 3


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


# --- exit code ---------------------------------------------------------------------------


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
    assert exit_code(report_of(*findings), fail_on) == expected


# --- context: findings about privileged principals are raised ------------------------------

ADMIN_POLICY = factories.policy("AdministratorAccess", factories.ADMIN_DOC, aws_managed=True)
READ_POLICY = factories.policy("ReadOnlyAccess", factories.READ_ONLY_DOC, aws_managed=True)
CPV_POLICY = factories.policy(
    "PolicyEditor", factories.document(factories.statement("iam:CreatePolicyVersion"))
)


def privileged_snapshot(**overrides: object) -> Snapshot:
    """alice is admin (via group admins), bob reads, carol can escalate, app role is admin."""
    authorization = factories.details(
        users=[
            factories.user("alice", groups=["admins"]),
            factories.user("bob", policies=[READ_POLICY]),
            factories.user("carol", policies=[CPV_POLICY]),
        ],
        groups=[factories.group("admins", policies=[ADMIN_POLICY])],
        roles=[factories.role("app", policies=[ADMIN_POLICY])],
        policies=[ADMIN_POLICY, READ_POLICY, CPV_POLICY],
    )
    base = Snapshot(
        account_id=ACCOUNT,
        partition="aws",
        collected_at=COLLECTED,
        sources=frozenset(Source),
        authorization=authorization,
    )
    return dataclasses.replace(base, **overrides)  # type: ignore[arg-type]


def context_check(
    check_id: str = "KEY-002",
    severity: Severity = Severity.MEDIUM,
    *items: tuple[Status, str, str],
) -> Check:
    """A check failing on the given (status, kind, name) principals."""

    def body(snap: Snapshot, ctx: CheckContext) -> list[Result]:
        return [
            Result(
                status=status,
                resource_arn=factories.arn(kind, name),
                resource_name=name,
                detail=f"{kind} {name}",
                resource_type={
                    "user": ResourceType.USER,
                    "group": ResourceType.GROUP,
                    "role": ResourceType.ROLE,
                }[kind],
            )
            for status, kind, name in items
        ]

    return make_check(check_id, severity=severity, run=body)


def severities(report: Report) -> dict[str, tuple[Severity, Severity, str | None]]:
    return {
        f.resource_name: (f.severity, f.base_severity, f.severity_reason) for f in report.findings
    }


def test_old_key_on_admin_user_outranks_the_same_on_a_read_only_user() -> None:
    chk = context_check(
        "KEY-002",
        Severity.MEDIUM,
        (Status.FAIL, "user", "alice"),
        (Status.FAIL, "user", "bob"),
    )
    report = run([chk], snap=privileged_snapshot())
    got = severities(report)
    assert got["alice"] == (
        Severity.HIGH,
        Severity.MEDIUM,
        "raised from medium: alice is admin-equivalent (AdministratorAccess via group admins)",
    )
    assert got["bob"] == (Severity.MEDIUM, Severity.MEDIUM, None)
    assert report.notes == ()


def test_escalating_principal_is_raised_and_says_how() -> None:
    chk = context_check("KEY-002", Severity.LOW, (Status.FAIL, "user", "carol"))
    (f,) = run([chk], snap=privileged_snapshot()).findings
    assert (f.severity, f.base_severity) == (Severity.MEDIUM, Severity.LOW)
    assert (
        f.severity_reason
        == "raised from low: carol can escalate its privileges (CreatePolicyVersion)"
    )


def test_roles_and_groups_are_raised_too() -> None:
    chk = context_check(
        "ROLE-015", Severity.LOW, (Status.FAIL, "role", "app"), (Status.FAIL, "group", "admins")
    )
    got = severities(run([chk], snap=privileged_snapshot()))
    assert got["app"][0] is Severity.MEDIUM
    assert got["admins"][0] is Severity.MEDIUM


def test_principal_reaching_admin_through_the_attack_graph_counts_as_escalating() -> None:
    # dave holds no escalation method of his own: only sts:AssumeRole on an admin role that
    # trusts the account. The attack graph sees the path; the context rule raises for it.
    assume = factories.inline(
        "assume-ops",
        factories.document(factories.statement("sts:AssumeRole", factories.arn("role", "ops"))),
    )
    root_trust = factories.document(
        {"Effect": "Allow", "Principal": {"AWS": factories.ROOT_ARN}, "Action": "sts:AssumeRole"}
    )
    authorization = factories.details(
        users=[factories.user("dave", inline_policies=[assume]), factories.user("erin")],
        roles=[factories.role("ops", policies=[ADMIN_POLICY], trust=root_trust)],
        policies=[ADMIN_POLICY],
    )
    snap = privileged_snapshot(authorization=authorization)
    chk = context_check(
        "KEY-002", Severity.MEDIUM, (Status.FAIL, "user", "dave"), (Status.FAIL, "user", "erin")
    )
    got = severities(run([chk], snap=snap))
    assert got["dave"] == (
        Severity.HIGH,
        Severity.MEDIUM,
        "raised from medium: dave can reach administrator rights through ops (PERM-010)",
    )
    assert got["erin"] == (Severity.MEDIUM, Severity.MEDIUM, None)


def test_never_above_critical() -> None:
    chk = context_check("ROLE-001", Severity.CRITICAL, (Status.FAIL, "role", "app"))
    (f,) = run([chk], snap=privileged_snapshot()).findings
    assert (f.severity, f.severity_reason) == (Severity.CRITICAL, None)


@pytest.mark.parametrize(
    "check_id",
    ["PERM-002", "PERM-007", "PERM-008", "PERM-010", "PERM-011", "ROLE-012", "ROLE-014"],
)
def test_checks_judging_privilege_itself_are_not_raised(check_id: str) -> None:
    chk = context_check(check_id, Severity.HIGH, (Status.FAIL, "user", "alice"))
    (f,) = run([chk], snap=privileged_snapshot()).findings
    assert f.severity is Severity.HIGH


def test_pass_and_account_findings_are_not_raised() -> None:
    def body(snap: Snapshot, ctx: CheckContext) -> list[Result]:
        return [
            Result(Status.PASS, factories.arn("user", "alice"), "alice", "fine"),
            Result(Status.FAIL, ROOT, ACCOUNT, "account", resource_type=ResourceType.ACCOUNT),
        ]

    report = run([make_check("KEY-002", run=body)], snap=privileged_snapshot())
    assert [f.severity for f in report.findings] == [Severity.MEDIUM, Severity.MEDIUM]


def test_config_override_applies_before_the_raise() -> None:
    settings = Settings(checks={"KEY-002": CheckOverride(severity=Severity.LOW)})
    chk = context_check(
        "KEY-002", Severity.MEDIUM, (Status.FAIL, "user", "alice"), (Status.FAIL, "user", "bob")
    )
    got = severities(run([chk], settings, snap=privileged_snapshot()))
    assert got["alice"][0] is Severity.MEDIUM
    assert got["alice"][2] == (
        "set to low by [checks.KEY-002] in the configuration; then raised from low: "
        "alice is admin-equivalent (AdministratorAccess via group admins)"
    )
    assert got["bob"][0] is Severity.LOW


def test_muted_finding_keeps_its_raised_severity() -> None:
    mute = Mute(check="KEY-002", resource="arn:aws:iam::*:user/alice", reason="known")
    chk = context_check("KEY-002", Severity.MEDIUM, (Status.FAIL, "user", "alice"))
    (f,) = run([chk], Settings(mutes=(mute,)), snap=privileged_snapshot()).findings
    assert f.muted and f.severity is Severity.HIGH


def test_raised_severity_counts_for_fail_on() -> None:
    chk = context_check("KEY-002", Severity.MEDIUM, (Status.FAIL, "user", "alice"))
    raised = run([chk], snap=privileged_snapshot())
    plain = run(
        [context_check("KEY-002", Severity.MEDIUM, (Status.FAIL, "user", "bob"))],
        snap=privileged_snapshot(),
    )
    assert exit_code(raised, Severity.HIGH) == 1
    assert exit_code(plain, Severity.HIGH) == 0


AD_DENIED = Gap(
    source=AD,
    operation="iam:GetAccountAuthorizationDetails",
    error="AccessDenied",
    message="not authorized",
)


@pytest.mark.parametrize(
    ("overrides", "why"),
    [
        (
            {"sources": frozenset(Source) - {AD}, "authorization": None, "gaps": (AD_DENIED,)},
            "iam:GetAccountAuthorizationDetails failed with AccessDenied",
        ),
        (
            {"sources": frozenset(Source) - {AD}, "authorization": None},
            "authorization details were not collected",
        ),
    ],
)
def test_without_authorization_details_nothing_is_raised_and_a_note_says_so(
    overrides: dict[str, object], why: str
) -> None:
    chk = context_check("KEY-002", Severity.MEDIUM, (Status.FAIL, "user", "alice"))
    report = run([chk], snap=privileged_snapshot(**overrides))
    (f,) = report.findings
    assert (f.status, f.severity) == (Status.FAIL, Severity.MEDIUM)
    assert len(report.notes) == 1
    assert why in report.notes[0] and "1 FAIL finding(s)" in report.notes[0]


def test_no_note_when_nothing_could_have_been_raised() -> None:
    chk = context_check("KEY-002", Severity.MEDIUM, (Status.PASS, "user", "alice"))
    report = run([chk], snap=privileged_snapshot(sources=frozenset(), authorization=None))
    assert report.notes == ()


def test_real_key_check_on_admin_and_read_only_users() -> None:
    # The registered KEY-002 on a factories snapshot: the CLI's --checks KEY-002 path.
    snap = factories.snapshot(
        credential_report=[
            factories.cred_row("alice", keys=[factories.key(1, age_days=120)]),
            factories.cred_row("bob", keys=[factories.key(1, age_days=120)]),
        ],
        users=[
            factories.user("alice", policies=[ADMIN_POLICY]),
            factories.user("bob", policies=[READ_POLICY]),
        ],
        policies=[ADMIN_POLICY, READ_POLICY],
    )
    checks = selected_checks(Settings(), ["KEY-002"])
    assert AD in needed_sources(checks)
    report = analyze(snap, Settings(), checks, tool=TOOL)
    got = {f.resource_name: f.severity for f in report.findings}
    assert got == {"alice": Severity.HIGH, "bob": Severity.MEDIUM}
