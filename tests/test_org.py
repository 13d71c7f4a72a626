"""The Organization fan-out: listing, assuming, auditing each account, outcomes, exit codes.

Listing is tested against botocore's ``Stubber`` (moto has no pagination for
``ListAccounts`` and answers no error the way AWS does); the runs use an in-process moto
Organization whose member accounts hold their own users, with STS refusing chosen roles
(``moto_account.deny_assume_role``). Runs narrow the checks to the credential report's
(``KEY-002``, ``USER-001``) so each account costs a few calls.
"""

from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import boto3
import factories
import pytest
from botocore.stub import Stubber
from report_versions import rich_report, v1_dict

from auditor import org as org_module
from auditor.audit import AuditResult, run_audit
from auditor.checks import get_check
from auditor.collect import identify
from auditor.collect.session import CallRecorder, CredentialsError
from auditor.config import Mute, Settings
from auditor.defaults import ORG_ROLE_NAME
from auditor.demo import moto_account
from auditor.demo.moto_account import DEFAULT_ACCOUNT_ID, OrgMember
from auditor.errors import ExitCode
from auditor.model import (
    AccountOutcome,
    CheckTally,
    Gap,
    OrgReport,
    Report,
    Score,
    Severity,
    Source,
    Tool,
)
from auditor.org import (
    MemberAccount,
    OrgError,
    list_member_accounts,
    member_session,
    outcome_from_report,
    outcome_from_report_json,
    outcome_not_audited,
    run_org_audit,
)
from auditor.report.json_report import render_json

ONLY = ("KEY-002", "USER-001")


# --- listing -------------------------------------------------------------------------------


class StubSession:
    """Just enough of a boto3 session for ``list_member_accounts``: one stubbed client."""

    region_name = "us-east-1"

    def __init__(self, client: Any) -> None:
        self._client = client

    def client(self, service: str, **_: Any) -> Any:
        assert service == "organizations"
        return self._client


@pytest.fixture
def stubbed() -> Iterator[tuple[Any, Stubber]]:
    client = boto3.client("organizations", region_name="us-east-1")
    with Stubber(client) as stubber:
        yield StubSession(client), stubber
        stubber.assert_no_pending_responses()


def entry(account_id: str, name: str, status: str = "ACTIVE", **extra: str) -> dict[str, str]:
    return {"Id": account_id, "Name": name, "Status": status, **extra}


def test_listing_follows_pages_keeps_active_accounts_sorted_by_id(
    stubbed: tuple[Any, Stubber],
) -> None:
    session, stubber = stubbed
    stubber.add_response(
        "list_accounts",
        {
            "Accounts": [
                entry("333333333333", "prod"),
                entry("222222222222", "gone", "SUSPENDED"),
                entry("111111111111", "mgmt"),
            ],
            "NextToken": "page-2",
        },
        {},
    )
    stubber.add_response(
        "list_accounts",
        {
            "Accounts": [
                entry("555555555555", "closing", "ACTIVE", State="PENDING_CLOSURE"),
                entry("444444444444", "dev"),
            ]
        },
        {"NextToken": "page-2"},
    )
    assert list_member_accounts(session) == [
        MemberAccount("111111111111", "mgmt"),
        MemberAccount("333333333333", "prod"),
        MemberAccount("444444444444", "dev"),
    ]


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("AccessDeniedException", "organizations:ListAccounts was denied (AccessDeniedException)"),
        (
            "AWSOrganizationsNotInUseException",
            "not in an AWS Organization (AWSOrganizationsNotInUseException)",
        ),
        ("TooManyRequestsException", "TooManyRequestsException: slow down"),
    ],
)
def test_listing_failures_are_one_line_org_errors(
    stubbed: tuple[Any, Stubber], code: str, expected: str
) -> None:
    session, stubber = stubbed
    stubber.add_client_error("list_accounts", service_error_code=code, service_message="slow down")
    with pytest.raises(OrgError) as caught:
        list_member_accounts(session)
    message = str(caught.value)
    assert expected in message
    assert "\n" not in message


@pytest.mark.parametrize("bad_id", ["../../etc", "12345678901", "1234567890123", ""])
def test_listing_rejects_an_impossible_account_id(
    stubbed: tuple[Any, Stubber], bad_id: str
) -> None:
    session, stubber = stubbed
    stubber.add_response(
        "list_accounts", {"Accounts": [entry("111111111111", "a"), entry(bad_id, "b")]}, {}
    )
    with pytest.raises(OrgError, match="invalid account id"):
        list_member_accounts(session)


def test_listing_nothing_active_is_an_org_error(stubbed: tuple[Any, Stubber]) -> None:
    session, stubber = stubbed
    stubber.add_response("list_accounts", {"Accounts": [entry("1" * 12, "x", "SUSPENDED")]}, {})
    with pytest.raises(OrgError, match="listed no ACTIVE account"):
        list_member_accounts(session)


# --- runs against an in-process moto Organization ------------------------------------------


@dataclasses.dataclass(frozen=True)
class Org:
    session: boto3.Session
    alpha: OrgMember
    beta: OrgMember
    gamma: OrgMember


def _user(account_id: str, name: str, *, old_key: bool = False, console: bool = False) -> None:
    backend = moto_account.iam_backend(account_id)
    backend.create_user(region_name="us-east-1", user_name=name)
    if old_key:
        backend.create_access_key(name)
        moto_account.backdate_access_key(
            name, 1, created_days_ago=300, last_used_days_ago=1, account_id=account_id
        )
    if console:
        backend.users[name].password = "not-a-real-password"


@pytest.fixture
def org(aws_session: boto3.Session) -> Org:
    """An Organization of 123456789012 with members alpha, beta and gamma, each with users."""
    alpha, beta, gamma = moto_account.create_organization("alpha", "beta", "gamma")
    _user(DEFAULT_ACCOUNT_ID, "mgmt-user")
    _user(alpha.account_id, "alpha-deployer", old_key=True)
    _user(beta.account_id, "beta-human", console=True)
    _user(gamma.account_id, "gamma-user")
    return Org(aws_session, alpha, beta, gamma)


class Written:
    """A ``write`` callback that remembers what each account's audit produced."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.results: dict[str, AuditResult] = {}

    def __call__(self, account: MemberAccount, result: AuditResult) -> list[str]:
        with self.lock:
            assert account.account_id not in self.results
            self.results[account.account_id] = result
        return [f"mem://{account.account_id}/report.json"]

    def users(self, account_id: str) -> set[str]:
        report = self.results[account_id].report
        return {f.resource_name for f in report.findings if f.resource_type.value == "AwsIamUser"}


class Events:
    """An ``OrgProgress`` that records every event, thread-safely."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.planned_ids: list[str] = []
        self.log: list[tuple[str, str, str]] = []

    def planned(self, accounts: Sequence[MemberAccount]) -> None:
        self.planned_ids = [a.account_id for a in accounts]

    def started(self, account: MemberAccount) -> None:
        with self.lock:
            self.log.append(("started", account.account_id, ""))

    def step(self, account: MemberAccount, message: str) -> None:
        with self.lock:
            self.log.append(("step", account.account_id, message))

    def done(self, account: MemberAccount, outcome: AccountOutcome) -> None:
        with self.lock:
            self.log.append(("done", account.account_id, outcome.error or "audited"))

    def of(self, account_id: str) -> list[tuple[str, str]]:
        return [(kind, text) for kind, aid, text in self.log if aid == account_id]


def test_run_audits_every_account_with_its_own_users_and_reports_a_refused_one(
    org: Org,
) -> None:
    refused = f"arn:aws:iam::{org.gamma.account_id}:role/{ORG_ROLE_NAME}"
    moto_account.deny_assume_role(refused)
    # Had the runner assumed a role into its own account, this would have failed it.
    moto_account.deny_assume_role(f"arn:aws:iam::{DEFAULT_ACCOUNT_ID}:role/{ORG_ROLE_NAME}")
    written, events = Written(), Events()
    recorder = CallRecorder()
    recorder.attach(org.session)

    result = run_org_audit(
        Settings(), org.session, write=written, only=ONLY, progress=events, max_workers=4
    )

    all_ids = sorted(
        [DEFAULT_ACCOUNT_ID, org.alpha.account_id, org.beta.account_id, org.gamma.account_id]
    )
    assert result.runner_account_id == DEFAULT_ACCOUNT_ID
    assert [a.account_id for a in result.accounts] == all_ids
    assert events.planned_ids == all_ids
    by_id = {a.account_id: a for a in result.accounts}
    gamma = by_id[org.gamma.account_id]
    assert not gamma.audited
    assert gamma.name == "gamma"
    assert "AccessDenied" in (gamma.error or "")
    assert refused in (gamma.error or "")
    assert set(written.results) == set(all_ids) - {org.gamma.account_id}
    # Each account's report holds its own users and no one else's.
    assert written.users(DEFAULT_ACCOUNT_ID) == {"mgmt-user"}
    assert written.users(org.alpha.account_id) == {"alpha-deployer"}
    assert written.users(org.beta.account_id) == {"beta-human"}
    alpha = by_id[org.alpha.account_id]
    assert [(t.check_id, t.failed) for t in alpha.failing] == [("KEY-002", 1)]
    assert [(t.check_id, t.failed) for t in by_id[org.beta.account_id].failing] == [("USER-001", 1)]
    assert alpha.reports == (f"mem://{org.alpha.account_id}/report.json",)
    assert alpha.name == "alpha"
    assert by_id[DEFAULT_ACCOUNT_ID].name == "master"
    # Three roles were asked for (the runner's own account needs none), from one client.
    assert recorder.calls["sts:AssumeRole"] == 3
    assert not result.complete
    assert ExitCode.judge(result, Severity.LOW) == 3
    # Events: the runner's account never assumes; a member assumes, collects, writes.
    assert events.of(DEFAULT_ACCOUNT_ID)[0] == ("started", "")
    assert not any(text.startswith("assuming") for _, text in events.of(DEFAULT_ACCOUNT_ID))
    alpha_events = events.of(org.alpha.account_id)
    assert alpha_events[0] == ("started", "")
    assert alpha_events[1] == ("step", f"assuming role {ORG_ROLE_NAME}…")
    assert alpha_events[-2:] == [("step", "writing reports…"), ("done", "audited")]
    assert events.of(org.gamma.account_id)[-1] == ("done", gamma.error)


def test_accounts_limits_the_run_and_an_unknown_id_stops_it_before_any_audit(org: Org) -> None:
    written = Written()
    result = run_org_audit(
        Settings(), org.session, write=written, only=ONLY, accounts=[org.beta.account_id]
    )
    assert [a.account_id for a in result.accounts] == [org.beta.account_id]
    assert set(written.results) == {org.beta.account_id}

    written, events = Written(), Events()
    with pytest.raises(OrgError, match="999999999999") as caught:
        run_org_audit(
            Settings(),
            org.session,
            write=written,
            accounts=[org.alpha.account_id, "999999999999"],
            progress=events,
        )
    assert org.alpha.account_id not in str(caught.value)
    assert (written.results, events.log, events.planned_ids) == ({}, [], [])


@pytest.mark.parametrize("workers", [0, 65])
def test_max_workers_out_of_range_is_a_value_error(org: Org, workers: int) -> None:
    with pytest.raises(ValueError, match="1 to 64"):
        run_org_audit(Settings(), org.session, write=Written(), max_workers=workers)


def test_unknown_check_is_one_value_error_before_listing(aws_session: boto3.Session) -> None:
    # No Organization exists: had the run listed it, this would be an OrgError.
    with pytest.raises(ValueError, match="NOPE-001"):
        run_org_audit(Settings(), aws_session, write=Written(), only=["NOPE-001"])


def _fake_result(session: boto3.Session) -> AuditResult:
    account_id, _ = identify(session)
    snap = dataclasses.replace(factories.snapshot(credential_report=[]), account_id=account_id)
    return run_audit(Settings(), snapshot=snap, only=ONLY)


def _failing_in(monkeypatch: pytest.MonkeyPatch, account_id: str, error: BaseException) -> None:
    """Make ``run_audit`` raise ``error`` in ``account_id``'s audit and audit the others."""

    def fake_run_audit(settings: Settings, *, session: boto3.Session, **_: Any) -> AuditResult:
        if identify(session)[0] == account_id:
            raise error
        return _fake_result(session)

    monkeypatch.setattr(org_module, "run_audit", fake_run_audit)


@pytest.mark.parametrize("workers", [1, 2])
def test_at_most_max_workers_accounts_are_audited_at_once(
    org: Org, monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    lock = threading.Lock()
    active = [0]
    peak = [0]
    # With two workers, each audit waits for a second one to be running too: this only
    # finishes if two really run at once (the timeout just turns a hang into a failure).
    barrier = threading.Barrier(workers) if workers > 1 else None

    def fake_run_audit(settings: Settings, *, session: boto3.Session, **_: Any) -> AuditResult:
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        try:
            if barrier is not None:
                barrier.wait(timeout=60)
            return _fake_result(session)
        finally:
            with lock:
                active[0] -= 1

    monkeypatch.setattr(org_module, "run_audit", fake_run_audit)
    result = run_org_audit(Settings(), org.session, write=Written(), max_workers=workers)
    assert [a.audited for a in result.accounts] == [True] * 4
    assert peak[0] == workers


def test_one_failing_account_does_not_stop_the_others(
    org: Org, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    _failing_in(monkeypatch, org.beta.account_id, RuntimeError("surprise\nwith a second line"))
    caplog.set_level("DEBUG", logger="auditor.org")
    written = Written()
    result = run_org_audit(Settings(), org.session, write=written, max_workers=2)
    by_id = {a.account_id: a for a in result.accounts}
    beta = by_id.pop(org.beta.account_id)
    assert (
        beta.error == "unexpected error while auditing: RuntimeError: surprise with a second line"
    )
    assert all(a.audited for a in by_id.values())
    assert set(written.results) == set(by_id)
    # The traceback goes to the debug log, never into the outcome.
    assert any(r.exc_info and "surprise" in str(r.exc_info[1]) for r in caplog.records)


def test_credentials_error_in_an_account_is_its_one_line_reason(
    org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    error = CredentialsError("identifying the account failed: ExpiredToken: gone")
    _failing_in(monkeypatch, org.alpha.account_id, error)
    result = run_org_audit(Settings(), org.session, write=Written())
    alpha = next(a for a in result.accounts if a.account_id == org.alpha.account_id)
    assert alpha.error == "identifying the account failed: ExpiredToken: gone"


def test_keyboard_interrupt_in_an_account_stops_the_run(
    org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fake_run_audit(settings: Settings, *, session: boto3.Session, **_: Any) -> AuditResult:
        raise KeyboardInterrupt

    monkeypatch.setattr(org_module, "run_audit", fake_run_audit)
    with pytest.raises(KeyboardInterrupt):
        run_org_audit(Settings(), org.session, write=Written(), max_workers=1)
    assert _org_workers_alive() == []


def test_a_write_failure_stops_the_run(org: Org, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        org_module, "run_audit", lambda settings, *, session, **_: _fake_result(session)
    )
    written: list[str] = []

    def write(account: MemberAccount, result: AuditResult) -> list[str]:
        written.append(account.account_id)
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space left"):
        run_org_audit(Settings(), org.session, write=write, max_workers=2)
    # Any audit that was running when the write failed has stopped by the time the error
    # arrives, not gone on using the session in the background. (How many writes ran
    # before it is up to the threads' timing.)
    assert written
    assert _org_workers_alive() == []


def _org_workers_alive() -> list[str]:
    return [
        t.name for t in threading.enumerate() if t.name.startswith(org_module.WORKER_THREAD_PREFIX)
    ]


def test_member_session_reaches_the_member_or_says_why_not(org: Org) -> None:
    member = member_session(
        org.session, org.alpha.account_id, role_name=ORG_ROLE_NAME, external_id="x-123"
    )
    assert identify(member) == (org.alpha.account_id, "aws")
    moto_account.deny_assume_role(f"arn:aws:iam::{org.beta.account_id}:role/Auditor")
    with pytest.raises(CredentialsError, match="AccessDenied") as caught:
        member_session(org.session, org.beta.account_id, role_name="Auditor", external_id=None)
    assert f"arn:aws:iam::{org.beta.account_id}:role/Auditor" in str(caught.value)


# --- outcomes ------------------------------------------------------------------------------


def _report() -> Report:
    """A report with repeated, muted, raised and ERROR findings and a duplicated gap."""
    gap = Gap(Source.PASSWORD_POLICY, "iam:GetAccountPasswordPolicy", "AccessDenied", "no")
    snap = factories.snapshot(
        credential_report=[
            factories.cred_row("old1", keys=[factories.key(1, age_days=200, used_days_ago=1)]),
            factories.cred_row("old2", keys=[factories.key(1, age_days=300, used_days_ago=1)]),
            factories.cred_row("legacy", keys=[factories.key(1, age_days=400, used_days_ago=1)]),
            factories.cred_row("human", password=True, password_used_days_ago=1),
        ],
        gaps=[gap, gap],
    )
    mute = Mute(check="KEY-002", resource="arn:aws:iam::*:user/legacy", reason="vendor")
    return run_audit(
        Settings(mutes=(mute,)), snapshot=snap, only=["KEY-002", "USER-001", "PWD-001"]
    ).report


def test_outcome_from_report_keeps_the_numbers_the_summary_needs() -> None:
    report = _report()
    outcome = outcome_from_report(report, name="prod", reports=["a/report.json"])
    assert (outcome.account_id, outcome.name, outcome.error) == (factories.ACCOUNT, "prod", None)
    assert outcome.score == report.score
    assert outcome.complete is False
    assert outcome.summary == report.summary()
    assert outcome.summary["muted"] == 1
    assert [g.operation for g in outcome.gaps] == ["iam:GetAccountPasswordPolicy"]
    # Worst first; the muted legacy key is not counted; each check's catalog title.
    assert outcome.failing == (
        CheckTally("USER-001", get_check("USER-001").meta.title, Severity.HIGH, 1),
        CheckTally("KEY-002", get_check("KEY-002").meta.title, Severity.MEDIUM, 2),
    )
    assert outcome.reports == ("a/report.json",)


def test_outcome_from_report_json_matches_outcome_from_report() -> None:
    for report in (_report(), rich_report()):
        expected = outcome_from_report(report, name="prod", reports=["x"])
        # As this release writes report.json (version 2), and as earlier ones did (version 1).
        for data in (json.loads(render_json(report)), v1_dict(report)):
            from_json = outcome_from_report_json(data, name="prod", reports=["x"])
            assert from_json == expected, data["schema_version"]
        assert expected.failing  # not vacuous
    # rich_report's FAILs include raised and configured severities, not only the catalog's.
    assert any(t.severity is not get_check(t.check_id).meta.severity for t in expected.failing)


@pytest.mark.parametrize(
    ("data", "says"),
    [
        ({}, "no schema_version"),
        ({"schema_version": 3}, "schema_version 3 is not supported"),
        ({"schema_version": 2}, "account_id is missing"),
        ({"schema_version": 1}, "account_id is missing"),
        ({**v1_dict(_report()), "findings": "x"}, "findings is missing or not a list"),
        ({**v1_dict(_report()), "findings": [{"status": "FAIL"}]}, "malformed report.json"),
        ({**json.loads(render_json(_report())), "findings": []}, "findings is missing or not an"),
    ],
)
def test_outcome_from_report_json_rejects_what_is_not_a_report(
    data: dict[str, Any], says: str
) -> None:
    with pytest.raises(ValueError, match=r"^s3://b/k/report\.json: ") as caught:
        outcome_from_report_json(data, name="x", source="s3://b/k/report.json")
    assert says in str(caught.value)


def test_outcome_not_audited_is_one_line() -> None:
    outcome = outcome_not_audited("111122223333", "dev", "assuming role\nfailed:  AccessDenied")
    assert outcome == AccountOutcome(
        "111122223333", "dev", error="assuming role failed: AccessDenied"
    )
    assert not outcome.audited
    assert outcome.score is None


# --- exit codes ----------------------------------------------------------------------------


def _audited(
    account_id: str, *, complete: bool = True, fails: Severity | None = None
) -> AccountOutcome:
    failing = (CheckTally("KEY-002", "t", fails, 1),) if fails is not None else ()
    return AccountOutcome(
        account_id, "n", score=Score(80.0, "B"), complete=complete, failing=failing
    )


def _org(*accounts: AccountOutcome) -> OrgReport:
    return OrgReport(
        tool=Tool("iam-auditor", "0"),
        runner_account_id="111111111111",
        generated_at=datetime(2026, 11, 23, tzinfo=UTC),
        accounts=accounts,
    )


@pytest.mark.parametrize(
    ("accounts", "fail_on", "expected"),
    [
        ((_audited("1" * 12), _audited("2" * 12)), Severity.LOW, 0),
        ((_audited("1" * 12, fails=Severity.LOW),), Severity.LOW, 1),
        ((_audited("1" * 12, fails=Severity.LOW),), Severity.MEDIUM, 0),
        ((_audited("1" * 12, fails=Severity.HIGH),), Severity.MEDIUM, 1),
        ((_audited("1" * 12, fails=Severity.CRITICAL),), None, 0),
        ((_audited("1" * 12, complete=False),), Severity.LOW, 3),
        ((_audited("1" * 12), outcome_not_audited("2" * 12, "d", "denied")), None, 3),
        (
            (_audited("1" * 12, fails=Severity.HIGH), outcome_not_audited("2" * 12, "", "x")),
            Severity.LOW,
            3,
        ),
    ],
)
def test_org_exit_code(
    accounts: tuple[AccountOutcome, ...], fail_on: Severity | None, expected: int
) -> None:
    assert ExitCode.judge(_org(*accounts), fail_on) == expected
