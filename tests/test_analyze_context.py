"""auditor.analyze's context rule: FAILs about privileged principals are raised one level."""

from __future__ import annotations

import dataclasses

import factories
import pytest
from analyze_cases import ACCOUNT, AD, COLLECTED, ROOT, TOOL, make_check, run

from auditor.analyze import analyze, needed_sources, selected_checks
from auditor.checks import Check, CheckContext
from auditor.config import CheckOverride, Mute, Settings
from auditor.errors import ExitCode
from auditor.model import Gap, Report, ResourceType, Result, Severity, Source, Status
from auditor.snapshot import Snapshot

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
    assert ExitCode.judge(raised, Severity.HIGH) is ExitCode.FAIL
    assert ExitCode.judge(plain, Severity.HIGH) is ExitCode.OK


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
