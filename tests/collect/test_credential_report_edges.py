"""Credential report edge cases: a report that never finishes, a stale one, malformed rows.

A report still being generated when the wait runs out must end as ERROR findings that
say so (never a hang, never a PASS); a report older than the four hours AWS caches one is
regenerated once and the report states how old the data is; a malformed row costs that
user's checks (ERROR) and nobody else's, and columns the parser does not know are skipped
with a note.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import factories
import pytest
from botocore.stub import Stubber
from moto.iam.models import IAMBackend

from auditor.analyze import credential_report_age, describe_age
from auditor.audit import run_audit
from auditor.collect import collect, credential_report
from auditor.collect.common import SourceError
from auditor.collect.credential_report import (
    COLUMNS,
    CredentialReportJob,
    fetch_credential_report,
    parse_credential_report,
)
from auditor.config import Settings
from auditor.console import summary
from auditor.model import Source, Status
from auditor.snapshot import CredentialReport

from .conftest import FakeTime, stubbed_client

HEADER = ",".join(COLUMNS)
NOW = datetime(2026, 11, 23, 12, 8, tzinfo=UTC)
ALICE = (
    "alice,arn:aws:iam::123456789012:user/alice,2024-01-15T09:30:00+00:00,true,"
    "2026-11-20T17:00:00+00:00,2024-01-15T09:31:00+00:00,N/A,true,"
    "true,2026-10-01T00:00:00+00:00,2026-11-22T08:00:00+00:00,eu-west-1,s3,"
    "false,N/A,N/A,N/A,N/A,false,N/A,false,N/A"
)
ALICE_ARN = "arn:aws:iam::123456789012:user/alice"
# Every credential-report check that judges IAM users (ROOT-* judge the root row).
USER_CHECKS = ("USER-001", "USER-002", "USER-003", "KEY-001", "KEY-002")


def with_cells(**cells: str) -> str:
    """ALICE's row renamed to bob, with the given columns replaced."""
    values = dict(zip(COLUMNS, ALICE.split(","), strict=True))
    values.update(user="bob", arn="arn:aws:iam::123456789012:user/bob")
    values.update(cells)
    return ",".join(values[c] for c in COLUMNS)


def bob_of(*lines: str, header: str = HEADER) -> Any:
    report = parse_credential_report("\n".join([header, *lines]))
    return {r.user: r for r in report.rows}


# --- (c) malformed or unexpected cells ------------------------------------------------------

DATE_COLUMNS = [c for c in COLUMNS if c.endswith(("_time", "_used", "_changed", "_rotation"))]
DATE_COLUMNS += [c for c in COLUMNS if c.endswith(("_rotated", "_used_date"))]


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        pytest.param(with_cells(mfa_active="maybe"), "mfa_active: cannot parse 'maybe'", id="flag"),
        pytest.param(
            with_cells(password_enabled="not_supported"),
            "password_enabled: cannot parse 'not_supported'",
            id="absent-marker-in-a-user-flag",
        ),
        pytest.param(
            with_cells(access_key_1_active="TRUE-ish"),
            "access_key_1_active: cannot parse 'TRUE-ish'",
            id="key-flag",
        ),
        pytest.param(
            with_cells(user_creation_time="2026-02-30T00:00:00+00:00"),
            "user_creation_time: cannot parse '2026-02-30T00:00:00+00:00'",
            id="impossible-date",
        ),
        pytest.param(
            with_cells(password_last_used="last Tuesday"),
            "password_last_used: cannot parse 'last Tuesday'",
            id="words-for-a-date",
        ),
        pytest.param(
            with_cells(user_creation_time="N/A"),
            "user_creation_time: expected a date, got 'N/A'",
            id="creation-time-absent",
        ),
        pytest.param(
            with_cells(access_key_1_last_rotated="no_information"),
            "access_key_1_last_rotated: expected a date, got 'no_information'",
            id="active-key-without-a-date",
        ),
        pytest.param(with_cells() + ",surplus", "row has 23 cells; the header has 22", id="long"),
        pytest.param(
            ",".join(with_cells().split(",")[:10]),
            "row has 10 cells; the header has 22",
            id="short",
        ),
        pytest.param(
            with_cells(user="", arn=""), "user and arn must both be present", id="no-user-name"
        ),
    ],
)
def test_a_bad_cell_is_a_problem_of_that_row_only(line: str, problem: str) -> None:
    rows = bob_of(ALICE, line, ALICE.replace("alice", "carol"))

    (bad,) = [r for r in rows.values() if r.problems]
    assert any(p.startswith(problem) for p in bad.problems), bad.problems
    assert rows["alice"].problems == rows["carol"].problems == ()


@pytest.mark.parametrize("marker", ["N/A", "no_information", "not_supported"])
def test_absent_marker_in_every_date_column(marker: str) -> None:
    line = with_cells(**dict.fromkeys(DATE_COLUMNS, marker))

    bob = bob_of(line)["bob"]

    # AWS always dates a user's creation and an active key: those two are problems; the
    # optional dates (never used, never rotated) are simply unknown.
    assert sorted(p.split(":")[0] for p in bob.problems) == [
        "access_key_1_last_rotated",
        "user_creation_time",
    ]
    assert bob.user_creation_time is None
    assert bob.password_last_used is None


def test_a_missing_column_is_a_problem_of_every_row() -> None:
    header = HEADER.replace(",mfa_active", "")
    cells = ALICE.split(",")
    del cells[COLUMNS.index("mfa_active")]  # as wide as the header: only the column is gone
    rows = bob_of(",".join(cells), ",".join(cells).replace("alice", "carol"), header=header)

    assert rows["alice"].problems == ("mfa_active: column missing from the report",)
    assert rows["carol"].problems == ("mfa_active: column missing from the report",)


def test_unknown_columns_are_ignored_and_named() -> None:
    header = HEADER + ",password_strength,<script>x</script>"
    report = parse_credential_report(f"{header}\n{ALICE},weak,1\n")

    (alice,) = report.rows
    assert alice.problems == ()
    assert alice.mfa_active is True
    assert report.ignored_columns == ("password_strength", "<script>x</script>")


def audit_of(report: CredentialReport) -> Any:
    snap = factories.snapshot(credential_report=report)
    return run_audit(Settings(), snapshot=snap, only=list(USER_CHECKS)).report


def test_a_malformed_row_errors_that_users_checks_and_others_go_on() -> None:
    text = "\n".join([HEADER, ALICE, with_cells(mfa_active="maybe") + ",extra"])
    report = audit_of(parse_credential_report(text, factories.NOW - timedelta(minutes=5)))

    by_user: dict[str, set[Status]] = {}
    for f in report.findings:
        by_user.setdefault(f.resource_name, set()).add(f.status)
    assert by_user["bob"] == {Status.ERROR}
    assert Status.ERROR not in by_user["alice"]
    bob_errors = [f for f in report.findings if f.resource_name == "bob"]
    assert {f.check_id for f in bob_errors} == set(USER_CHECKS)
    assert all("mfa_active: cannot parse 'maybe'" in f.detail for f in bob_errors)
    assert all("row has 23 cells" in f.detail for f in bob_errors)


def test_ignored_columns_make_a_note() -> None:
    report = parse_credential_report(f"{HEADER},password_strength\n{ALICE},weak\n", NOW)
    notes = audit_of(report).notes
    assert notes == (
        "Credential report columns iam-auditor does not read were ignored: 'password_strength'.",
    )


# --- (b) a report older than four hours -----------------------------------------------------


@pytest.fixture
def iam() -> Iterator[tuple[Any, Stubber]]:
    with stubbed_client("iam") as pair:
        yield pair


def generated(stubber: Stubber, *states: str) -> None:
    for state in states:
        stubber.add_response("generate_credential_report", {"State": state})


def downloaded(stubber: Stubber, generated_at: datetime, user: str = "alice") -> None:
    content = f"{HEADER}\n{ALICE.replace('alice', user)}\n".encode()
    stubber.add_response(
        "get_credential_report",
        {"Content": content, "ReportFormat": "text/csv", "GeneratedTime": generated_at},
    )


def fetch(client: Any, fake_time: FakeTime, **kwargs: Any) -> CredentialReport:
    return fetch_credential_report(
        client, sleep=fake_time.sleep, clock=fake_time.clock, now=lambda: NOW, **kwargs
    )


def test_cached_report_over_four_hours_old_is_regenerated(iam, fake_time: FakeTime) -> None:
    client, stubber = iam
    generated(stubber, "COMPLETE")  # AWS answers from its cache...
    downloaded(stubber, NOW - timedelta(hours=4, minutes=1), user="old")
    generated(stubber, "STARTED", "INPROGRESS", "COMPLETE")  # ...asked again, it builds one
    downloaded(stubber, NOW - timedelta(seconds=20), user="new")

    report = fetch(client, fake_time)

    assert [r.user for r in report.rows] == ["new"]
    assert report.generated_at == NOW - timedelta(seconds=20)
    assert fake_time.sleeps == [0.5, 1.0]


def test_a_stale_report_replaced_by_a_new_one_is_never_parsed(
    iam, fake_time: FakeTime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only the report that is returned is read row by row; the stale one is just dropped."""
    parsed: list[str] = []

    def counting(content: bytes | str, generated_at: datetime | None = None) -> CredentialReport:
        report = parse_credential_report(content, generated_at)
        parsed.extend(r.user for r in report.rows)
        return report

    monkeypatch.setattr(credential_report, "parse_credential_report", counting)
    client, stubber = iam
    generated(stubber, "COMPLETE")
    downloaded(stubber, NOW - timedelta(hours=6), user="old")
    generated(stubber, "STARTED", "COMPLETE")
    downloaded(stubber, NOW - timedelta(seconds=20), user="new")

    assert [r.user for r in fetch(client, fake_time).rows] == ["new"]
    assert parsed == ["new"]


def test_a_stale_report_without_a_header_fails_at_once(iam, fake_time: FakeTime) -> None:
    """An unreadable report is a malformed answer when downloaded, stale or not."""
    client, stubber = iam
    generated(stubber, "COMPLETE")
    stubber.add_response(
        "get_credential_report",
        {
            "Content": b"hello,world\n1,2\n",
            "ReportFormat": "text/csv",
            "GeneratedTime": NOW - timedelta(hours=6),
        },
    )

    with pytest.raises(SourceError) as caught:
        fetch(client, fake_time)

    assert (caught.value.operation, caught.value.error) == (
        "iam:GetCredentialReport",
        "MalformedResponse",
    )


def test_cached_report_under_four_hours_is_used_as_it_is(iam, fake_time: FakeTime) -> None:
    client, stubber = iam
    generated(stubber, "COMPLETE")
    downloaded(stubber, NOW - timedelta(hours=3, minutes=59))

    report = fetch(client, fake_time)

    assert report.generated_at == NOW - timedelta(hours=3, minutes=59)
    assert fake_time.sleeps == []


def test_still_stale_after_regeneration_is_kept_once(iam, fake_time: FakeTime) -> None:
    client, stubber = iam
    old = NOW - timedelta(hours=9)
    generated(stubber, "COMPLETE")
    downloaded(stubber, old)
    generated(stubber, "COMPLETE")
    downloaded(stubber, old)  # no third round: the stub would fail on an extra call

    assert fetch(client, fake_time).generated_at == old


def test_report_built_for_this_run_is_not_regenerated(iam, fake_time: FakeTime) -> None:
    """An emulator's fixed date (moto's 2015) must not cost a regeneration every run."""
    client, stubber = iam
    generated(stubber, "STARTED", "COMPLETE")
    downloaded(stubber, datetime(2015, 2, 2, 20, 2, 2, tzinfo=UTC))

    assert fetch(client, fake_time).generated_at == datetime(2015, 2, 2, 20, 2, 2, tzinfo=UTC)


def test_regeneration_that_never_finishes_keeps_the_stale_report(iam, fake_time: FakeTime) -> None:
    client, stubber = iam
    old = NOW - timedelta(hours=5)
    generated(stubber, "COMPLETE")
    downloaded(stubber, old)
    generated(stubber, "STARTED", "INPROGRESS", "INPROGRESS", "INPROGRESS")

    report = fetch(client, fake_time, max_wait=5)

    assert report.generated_at == old
    assert sum(fake_time.sleeps) <= 5


def stale_snapshot(age: timedelta) -> Any:
    report = CredentialReport(generated_at=factories.NOW - age, rows=(factories.cred_row("alice"),))
    return factories.snapshot(credential_report=report)


def test_age_is_stated_in_the_summary_and_a_stale_report_in_a_note() -> None:
    fresh = run_audit(Settings(), snapshot=stale_snapshot(timedelta(hours=2, minutes=10))).report
    stale = run_audit(Settings(), snapshot=stale_snapshot(timedelta(hours=30))).report

    assert "Credential report generated 2026-11-23T07:50Z, 2 h 10 min before this audit." in (
        summary(fresh, []).splitlines()
    )
    assert not [n for n in fresh.notes if "credential report" in n.lower()]
    (note,) = [n for n in stale.notes if "credential report" in n.lower()]
    assert note.startswith(
        "The credential report generated 2026-11-22T04:00Z, 1 day 6 h before this audit: "
        "older than the 4 hours"
    )


@pytest.mark.parametrize(
    ("age", "text"),
    [
        (timedelta(seconds=30), "under a minute"),
        (timedelta(minutes=59, seconds=59), "59 min"),
        (timedelta(hours=2, minutes=10), "2 h 10 min"),
        (timedelta(days=1), "1 day"),
        (timedelta(days=3, hours=4, minutes=5), "3 days 4 h"),
        (timedelta(days=4312, hours=7), "4312 days"),
    ],
)
def test_describe_age(age: timedelta, text: str) -> None:
    assert describe_age(age) == text


def test_report_dated_after_the_audit_says_so() -> None:
    age = credential_report_age(NOW + timedelta(minutes=3), NOW)
    assert (
        age == "credential report generated 2026-11-23T12:11Z, 3 min after the start of this audit"
    )
    assert credential_report_age(None, NOW) is None


# --- (a) still being generated when the wait runs out ---------------------------------------


def test_timeout_message_says_it_was_still_being_generated(iam, fake_time: FakeTime) -> None:
    client, stubber = iam
    generated(stubber, "STARTED", *["INPROGRESS"] * 5)

    job = CredentialReportJob(client, max_wait=10, sleep=fake_time.sleep, clock=fake_time.clock)
    job.start()
    with pytest.raises(SourceError) as info:
        job.result()

    assert (info.value.operation, info.value.error) == ("iam:GenerateCredentialReport", "Timeout")
    assert info.value.message.startswith("credential report still being generated after 8 s")
    assert "bounded at 10 s" in info.value.message


def test_report_never_ready_gives_error_findings_that_say_why(
    mocked: boto3.Session, monkeypatch: pytest.MonkeyPatch, fake_time: FakeTime
) -> None:
    """Through moto, collect and analyze: ERROR for every credential check, with the why."""
    mocked.client("iam").create_user(UserName="alice")
    monkeypatch.setattr(IAMBackend, "report_generated", lambda self: False)

    snap = collect(
        mocked,
        [Source.CREDENTIAL_REPORT],
        credential_report_wait=15,
        sleep=fake_time.sleep,
        clock=fake_time.clock,
    )
    report = run_audit(Settings(), snapshot=snap, only=list(USER_CHECKS)).report

    assert sum(fake_time.sleeps) <= 15
    assert {f.check_id for f in report.findings} == set(USER_CHECKS)
    for finding in report.findings:
        assert finding.status is Status.ERROR
        assert finding.detail.startswith(
            "Could not evaluate: iam:GenerateCredentialReport failed with Timeout: "
            "credential report still being generated after "
        ), finding.detail
    assert not report.complete
