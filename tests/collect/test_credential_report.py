"""Credential report: CSV parsing of every cell kind, and the generate/poll/download loop."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from botocore.stub import Stubber

from auditor.collect.common import SourceError
from auditor.collect.credential_report import (
    CredentialReportJob,
    fetch_credential_report,
    parse_credential_report,
)

from .conftest import FakeTime, stubbed_client

HEADER = (
    "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,"
    "password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,"
    "access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,"
    "access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,"
    "access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,"
    "cert_1_last_rotated,cert_2_active,cert_2_last_rotated"
)
# Rows as AWS writes them: root (not_supported password), a console user with MFA, a used
# and an unused key and a certificate, a workload user with a never-used key, and a row
# with cells nobody can read.
REPORT = "\n".join(
    [
        HEADER,
        "<root_account>,arn:aws:iam::123456789012:root,2019-03-01T08:00:00+00:00,"
        "not_supported,2026-10-30T12:34:56+00:00,not_supported,not_supported,true,"
        "false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A",
        "alice,arn:aws:iam::123456789012:user/alice,2024-01-15T09:30:00+00:00,true,"
        "2026-11-20T17:00:00+00:00,2024-01-15T09:31:00+00:00,2027-01-15T09:31:00+00:00,true,"
        "true,2024-01-15T09:30:05+00:00,2026-11-22T08:00:00+00:00,eu-west-1,s3,"
        "false,2023-06-01T00:00:00+00:00,2023-07-01T00:00:00+00:00,us-east-1,iam,"
        "true,2025-02-01T00:00:00+00:00,false,N/A",
        "ci-bot,arn:aws:iam::123456789012:user/ci/ci-bot,2025-05-05T05:05:05+02:00,false,"
        "N/A,N/A,N/A,false,true,2025-05-05T05:05:10+02:00,N/A,N/A,N/A,"
        "false,N/A,N/A,N/A,N/A,false,N/A,false,N/A",
        "newbie,arn:aws:iam::123456789012:user/newbie,2026-11-20T10:00:00+00:00,true,"
        "no_information,2026-11-20T10:00:00+00:00,N/A,false,false,N/A,N/A,N/A,N/A,"
        "false,N/A,N/A,N/A,N/A,false,N/A,false,N/A",
        "broken,arn:aws:iam::123456789012:user/broken,2026-13-45T99:00:00+00:00,maybe,"
        "yesterday,N/A,N/A,sometimes,true,2026-01-01T00:00:00+00:00,N/A,N/A,N/A,"
        "false,N/A,N/A,N/A,N/A,false,N/A,false,N/A",
    ]
)
GENERATED = datetime(2026, 11, 23, 9, 58, 12, tzinfo=UTC)


def rows_by_user(text: str = REPORT) -> dict[str, object]:
    report = parse_credential_report(text.encode(), GENERATED)
    return {r.user: r for r in report.rows}


def test_root_row():
    report = parse_credential_report(REPORT.encode(), GENERATED)
    root = report.root
    assert root is not None
    assert root.is_root
    assert root.arn == "arn:aws:iam::123456789012:root"
    assert root.password_enabled is None  # not_supported
    assert root.password_last_used == datetime(2026, 10, 30, 12, 34, 56, tzinfo=UTC)
    assert root.password_last_changed is None
    assert root.mfa_active is True
    assert root.access_keys == ()
    assert root.signing_certs == ()
    assert root.problems == ()
    assert report.generated_at == GENERATED
    assert [u.user for u in report.users] == ["alice", "ci-bot", "newbie", "broken"]


def test_console_user_with_keys_and_cert():
    alice = rows_by_user()["alice"]
    assert alice.password_enabled is True
    assert alice.password_last_used == datetime(2026, 11, 20, 17, 0, tzinfo=UTC)
    assert alice.password_next_rotation == datetime(2027, 1, 15, 9, 31, tzinfo=UTC)
    assert alice.mfa_active is True
    key1, key2 = alice.access_keys
    assert (key1.slot, key1.active, key1.last_used_region, key1.last_used_service) == (
        1,
        True,
        "eu-west-1",
        "s3",
    )
    assert key1.last_rotated == datetime(2024, 1, 15, 9, 30, 5, tzinfo=UTC)
    assert key1.last_used == datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
    assert (key2.slot, key2.active) == (2, False)  # an inactive key is still a key
    assert key2.last_used == datetime(2023, 7, 1, tzinfo=UTC)
    assert alice.active_keys == (key1,)
    (cert,) = alice.signing_certs
    assert (cert.slot, cert.active, cert.last_rotated) == (
        1,
        True,
        datetime(2025, 2, 1, tzinfo=UTC),
    )
    assert alice.problems == ()


def test_offsets_are_normalised_to_utc_and_na_cells_are_none():
    bot = rows_by_user()["ci-bot"]
    assert bot.user_creation_time == datetime(2025, 5, 5, 3, 5, 5, tzinfo=UTC)
    assert bot.user_creation_time.tzinfo is UTC
    assert bot.password_enabled is False
    assert bot.password_last_used is None
    assert bot.password_last_changed is None
    (key,) = bot.access_keys
    assert key.last_used is None  # never used: N/A
    assert key.last_used_region is None
    assert key.last_used_service is None
    assert key.last_rotated == datetime(2025, 5, 5, 3, 5, 10, tzinfo=UTC)
    assert bot.problems == ()


def test_never_used_password_is_no_information():
    newbie = rows_by_user()["newbie"]
    assert newbie.password_enabled is True
    assert newbie.password_last_used is None
    assert newbie.password_last_changed == datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    assert newbie.access_keys == ()
    assert newbie.problems == ()


def test_unreadable_cells_become_problems_naming_the_column():
    broken = rows_by_user()["broken"]
    problem_columns = sorted(p.split(":", 1)[0] for p in broken.problems)
    assert problem_columns == [
        "mfa_active",
        "password_enabled",
        "password_last_used",
        "user_creation_time",
    ]
    assert any("'yesterday'" in p for p in broken.problems)
    assert broken.user_creation_time is None
    assert broken.password_last_used is None
    # The readable cells of the same row are still read.
    (key,) = broken.access_keys
    assert key.last_rotated == datetime(2026, 1, 1, tzinfo=UTC)


def test_columns_are_found_by_name_not_position():
    original = list(csv.reader(io.StringIO(REPORT)))
    order = list(reversed(range(len(original[0]))))
    out = io.StringIO()
    writer = csv.writer(out)
    for row in original:
        writer.writerow([row[i] for i in order] + ["future-column-value"])
    shuffled = out.getvalue().replace("future-column-value", "extra_column", 1)

    moved = parse_credential_report(shuffled, GENERATED)
    assert moved.rows == parse_credential_report(REPORT, GENERATED).rows
    assert moved.ignored_columns == ("extra_column",)


def test_missing_column_and_short_row_are_problems_not_crashes():
    header = HEADER.replace(",mfa_active", "")
    text = header + "\nbob,arn:aws:iam::123456789012:user/bob,2026-01-01T00:00:00+00:00,true"
    (bob,) = parse_credential_report(text).rows
    assert "mfa_active: column missing from the report" in bob.problems
    # One problem for the short row, not one per missing cell.
    assert "row has 4 cells; the header has 21 columns" in bob.problems
    assert len(bob.problems) == 2
    assert bob.password_enabled is True


def test_not_a_report_is_a_value_error():
    with pytest.raises(ValueError, match="user"):
        parse_credential_report(b"hello,world\n1,2\n")
    with pytest.raises(ValueError, match="empty"):
        parse_credential_report(b"")


def test_five_thousand_rows():
    user_row = REPORT.splitlines()[2]
    lines = [HEADER] + [user_row.replace("alice", f"user{n:04d}") for n in range(5000)]
    report = parse_credential_report("\n".join(lines).encode())
    assert len(report.users) == 5000
    assert report.users[4999].user == "user4999"
    assert report.users[4999].arn.endswith("user/user4999")
    assert all(not r.problems for r in report.rows)


# --- the generate / poll / download loop, with botocore's Stubber -------------------------

CONTENT = (HEADER + "\n" + REPORT.splitlines()[2]).encode()


@pytest.fixture
def iam() -> Iterator[tuple[object, Stubber]]:
    with stubbed_client("iam") as pair:
        yield pair


def generated(stubber: Stubber, state: str) -> None:
    stubber.add_response("generate_credential_report", {"State": state})


def downloaded(stubber: Stubber) -> None:
    stubber.add_response(
        "get_credential_report",
        {"Content": CONTENT, "ReportFormat": "text/csv", "GeneratedTime": GENERATED},
    )


def test_polls_started_inprogress_complete(iam, fake_time: FakeTime):
    client, stubber = iam
    generated(stubber, "STARTED")
    generated(stubber, "INPROGRESS")
    generated(stubber, "INPROGRESS")
    generated(stubber, "COMPLETE")
    downloaded(stubber)

    report = fetch_credential_report(client, sleep=fake_time.sleep, clock=fake_time.clock)

    assert [r.user for r in report.rows] == ["alice"]
    assert report.generated_at == GENERATED
    assert fake_time.sleeps == [0.5, 1.0]


def test_report_in_progress_on_download_is_retried(iam, fake_time: FakeTime):
    client, stubber = iam
    generated(stubber, "COMPLETE")
    stubber.add_client_error("get_credential_report", "ReportInProgress", http_status_code=410)
    stubber.add_client_error("get_credential_report", "ReportInProgress", http_status_code=410)
    downloaded(stubber)

    report = fetch_credential_report(client, sleep=fake_time.sleep, clock=fake_time.clock)

    assert len(report.rows) == 1
    assert fake_time.sleeps == [0.5, 1.0]


def test_limit_exceeded_is_retried_with_back_off(iam, fake_time: FakeTime):
    client, stubber = iam
    for _ in range(3):
        stubber.add_client_error(
            "generate_credential_report", "LimitExceeded", http_status_code=409
        )
    generated(stubber, "COMPLETE")
    downloaded(stubber)

    report = fetch_credential_report(client, sleep=fake_time.sleep, clock=fake_time.clock)

    assert len(report.rows) == 1
    assert fake_time.sleeps == [0.5, 1.0]  # start, then retried at once, then backed off


def test_expired_report_is_regenerated(iam, fake_time: FakeTime):
    client, stubber = iam
    generated(stubber, "COMPLETE")
    stubber.add_client_error("get_credential_report", "ReportExpired", http_status_code=410)
    generated(stubber, "STARTED")
    generated(stubber, "COMPLETE")
    downloaded(stubber)

    report = fetch_credential_report(client, sleep=fake_time.sleep, clock=fake_time.clock)

    assert len(report.rows) == 1


def test_never_completing_report_times_out_within_the_bound(iam, fake_time: FakeTime):
    client, stubber = iam
    for _ in range(7):
        generated(stubber, "INPROGRESS")

    with pytest.raises(SourceError) as info:
        fetch_credential_report(client, max_wait=20, sleep=fake_time.sleep, clock=fake_time.clock)

    assert info.value.operation == "iam:GenerateCredentialReport"
    assert info.value.error == "Timeout"
    assert fake_time.sleeps == [0.5, 1.0, 2.0, 4.0, 8.0]
    assert sum(fake_time.sleeps) <= 20


def test_persistent_limit_exceeded_reports_that_code(iam, fake_time: FakeTime):
    client, stubber = iam
    for _ in range(4):
        stubber.add_client_error(
            "generate_credential_report", "LimitExceeded", http_status_code=409
        )

    with pytest.raises(SourceError) as info:
        fetch_credential_report(client, max_wait=2, sleep=fake_time.sleep, clock=fake_time.clock)

    assert (info.value.operation, info.value.error) == (
        "iam:GenerateCredentialReport",
        "LimitExceeded",
    )


def test_wall_clock_also_bounds_the_wait(iam):
    """A slow real clock ends the wait even when the sleeps alone would not."""
    client, stubber = iam
    generated(stubber, "STARTED")
    generated(stubber, "INPROGRESS")
    ticks = iter([0.0, 50.0])  # the wait begins, then 50 s pass during one poll

    job = CredentialReportJob(
        client, max_wait=10, sleep=lambda _s: None, clock=lambda: next(ticks, 100.0)
    )
    job.start()
    with pytest.raises(SourceError, match="Timeout"):
        job.result()


def test_access_denied_at_start_is_reported_by_result(iam, fake_time: FakeTime):
    client, stubber = iam
    stubber.add_client_error(
        "generate_credential_report", "AccessDenied", "not authorized", http_status_code=403
    )
    job = CredentialReportJob(client, sleep=fake_time.sleep, clock=fake_time.clock)

    job.start()  # never raises: the rest of the audit goes on first
    with pytest.raises(SourceError) as info:
        job.result()

    assert (info.value.operation, info.value.error, info.value.message) == (
        "iam:GenerateCredentialReport",
        "AccessDenied",
        "not authorized",
    )
    assert fake_time.sleeps == []


def test_access_denied_on_download(iam, fake_time: FakeTime):
    client, stubber = iam
    generated(stubber, "COMPLETE")
    stubber.add_client_error("get_credential_report", "AccessDenied", http_status_code=403)

    with pytest.raises(SourceError) as info:
        fetch_credential_report(client, sleep=fake_time.sleep, clock=fake_time.clock)

    assert (info.value.operation, info.value.error) == ("iam:GetCredentialReport", "AccessDenied")
