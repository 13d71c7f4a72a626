"""auditor.analyze: check selection, the sources they need, ERROR instead of PASS, findings.

Mutes, the score and the exit code are in test_analyze_score.py, the context rule in
test_analyze_context.py; the shared stand-ins in analyze_cases.py.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable
from datetime import UTC, datetime

import pytest
from analyze_cases import (
    ACCOUNT,
    AD,
    COLLECTED,
    CR,
    DENIED,
    PP,
    ROOT,
    TOOL,
    by_check,
    make_check,
    results,
    run,
    snapshot,
    user,
)
from factories import analyzer_gap

import auditor.checks
import auditor.checks.registry
from auditor.analyze import needed_sources, selected_checks
from auditor.checks import Check, CheckContext
from auditor.config import CheckOverride, Settings, Thresholds
from auditor.model import (
    ResourceType,
    Result,
    Severity,
    Source,
    Status,
    finding_id,
)
from auditor.snapshot import CredentialReport, Snapshot

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
    regional = analyzer_gap("eu-west-1")
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
