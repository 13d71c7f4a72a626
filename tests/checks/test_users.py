"""USER-001..008: per-user credential checks from the credential report."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from factories import (
    ago,
    arn,
    by_name,
    cert,
    cred_row,
    key,
    only,
    root_row,
    run_check,
    snapshot,
    vmfa,
)

from auditor.model import ResourceType, Status
from auditor.snapshot import CredentialRow, dumps, loads

USER_CHECKS = [f"USER-00{n}" for n in range(1, 9)]


def judge(check_id: str, *rows: CredentialRow, **thresholds: int) -> dict[str, Status]:
    snap = snapshot(credential_report=list(rows), virtual_mfa_devices=())
    return {name: r.status for name, r in by_name(run_check(check_id, snap, **thresholds)).items()}


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (cred_row("alice", password=True, mfa=True), Status.PASS),
        (cred_row("alice", password=True, mfa=False), Status.FAIL),
        (cred_row("alice", password=False, mfa=False), Status.PASS),  # no console password
    ],
)
def test_user_001_console_user_without_mfa(row: CredentialRow, expected: Status) -> None:
    assert judge("USER-001", row) == {"alice": expected}


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (cred_row("alice", mfa=True), Status.PASS),
        (cred_row("alice", mfa=False), Status.FAIL),
        (cred_row("alice", password=True, mfa=False), Status.FAIL),
    ],
)
def test_user_002_every_user_has_mfa(row: CredentialRow, expected: Status) -> None:
    assert judge("USER-002", row) == {"alice": expected}


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (cred_row("alice", password=True, password_used_days_ago=3), Status.PASS),
        (cred_row("alice", password=True, password_used_days_ago=45), Status.PASS),
        (cred_row("alice", password=True, password_used_days_ago=46), Status.FAIL),
        # never used: counts from when the password was set
        (cred_row("alice", age_days=10, password=True), Status.PASS),
        (cred_row("alice", age_days=400, password=True), Status.FAIL),
        (
            cred_row("alice", age_days=400, password=True, password_changed_days_ago=5),
            Status.PASS,
        ),
        (cred_row("alice", age_days=400, password=False), Status.PASS),  # no password
    ],
)
def test_user_003_console_password_unused(row: CredentialRow, expected: Status) -> None:
    assert judge("USER-003", row) == {"alice": expected}


def test_user_003_detail_for_never_used_password() -> None:
    snap = snapshot(credential_report=[cred_row("alice", age_days=60, password=True)])
    r = only(run_check("USER-003", snap))
    assert r.detail == (
        "alice's console password has never been used and was set 60 days ago; the limit is 45."
    )
    assert r.evidence["never_used"] is True


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (cred_row("alice", age_days=10), Status.PASS),  # new user, nothing used yet
        (cred_row("alice", age_days=400), Status.FAIL),  # old and never used anything
        (cred_row("alice", age_days=400, password=True, password_used_days_ago=30), Status.PASS),
        (
            cred_row("alice", age_days=400, keys=[key(1, age_days=300, used_days_ago=2)]),
            Status.PASS,
        ),
        # an inactive key's past use still counts as the user being alive
        (
            cred_row("alice", keys=[key(1, active=False, age_days=300, used_days_ago=20)]),
            Status.PASS,
        ),
        (cred_row("alice", keys=[key(1, age_days=300, used_days_ago=120)]), Status.FAIL),
    ],
)
def test_user_004_dormant_user(row: CredentialRow, expected: Status) -> None:
    assert judge("USER-004", row) == {"alice": expected}


def test_user_004_says_when_last_used() -> None:
    row = cred_row("alice", password=True, password_used_days_ago=120)
    r = only(run_check("USER-004", snapshot(credential_report=[row])))
    assert (
        r.detail == "alice has used no password or access key in 90 days (last use: 120 days ago)."
    )


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (cred_row("alice"), Status.PASS),
        (cred_row("alice", certs=[cert(1, active=False)]), Status.PASS),
        (cred_row("alice", certs=[cert(2, active=True)]), Status.FAIL),
    ],
)
def test_user_005_signing_cert(row: CredentialRow, expected: Status) -> None:
    assert judge("USER-005", row) == {"alice": expected}


@pytest.mark.parametrize(
    ("row", "user_006", "user_007"),
    [
        (cred_row("alice", password=True), Status.PASS, Status.PASS),
        (cred_row("alice", password=True, keys=[key(1)]), Status.FAIL, Status.PASS),
        (cred_row("alice", password=False, keys=[key(1)]), Status.PASS, Status.FAIL),
        (cred_row("alice", password=False, keys=[key(1, active=False)]), Status.PASS, Status.PASS),
        (cred_row("alice", password=True, keys=[key(1, active=False)]), Status.PASS, Status.PASS),
    ],
)
def test_user_006_and_007_keys_on_console_and_workload_users(
    row: CredentialRow, user_006: Status, user_007: Status
) -> None:
    assert judge("USER-006", row) == {"alice": user_006}
    assert judge("USER-007", row) == {"alice": user_007}


def test_user_007_detail_names_the_keys_and_the_alternative() -> None:
    row = cred_row("ci-bot", keys=[key(1), key(2)])
    r = only(run_check("USER-007", snapshot(credential_report=[row])))
    assert "active access keys 1 and 2" in r.detail
    assert "role" in r.detail


def test_user_008_virtual_mfa_fails_and_hardware_passes() -> None:
    alice = cred_row("alice", password=True, mfa=True)
    bob = cred_row("bob", password=True, mfa=True)
    carol = cred_row("carol", password=True, mfa=False)
    devices = (
        vmfa("alice-phone", user_arn=arn("user", "alice"), user_name="alice"),
        vmfa("unassigned"),
    )
    snap = snapshot(credential_report=[alice, bob, carol], virtual_mfa_devices=devices)
    results = by_name(run_check("USER-008", snap))
    assert results["alice"].status is Status.FAIL
    assert results["alice"].evidence["virtual_mfa_devices"] == [devices[0].serial_number]
    assert results["bob"].status is Status.PASS
    assert "carol" not in results  # no MFA at all is USER-002's finding


def test_root_row_is_not_judged_as_a_user() -> None:
    snap = snapshot(credential_report=[root_row(mfa=False), cred_row("alice", mfa=True)])
    assert set(by_name(run_check("USER-002", snap))) == {"alice"}


@pytest.mark.parametrize("check_id", USER_CHECKS)
def test_row_with_problems_is_error_for_that_user_only(check_id: str) -> None:
    broken = cred_row("bob", mfa=True, problems=["mfa_active: 'maybe'"])
    fine = cred_row("alice", password=True, mfa=True, password_used_days_ago=1)
    snap = snapshot(credential_report=[broken, fine], virtual_mfa_devices=())
    results = by_name(run_check(check_id, snap))
    assert results["bob"].status is Status.ERROR
    assert "mfa_active: 'maybe'" in results["bob"].detail
    assert results["alice"].status is Status.PASS


@pytest.mark.parametrize("check_id", USER_CHECKS)
def test_results_are_about_the_user(check_id: str) -> None:
    row = cred_row("alice", password=True, mfa=True, password_used_days_ago=1)
    r = only(run_check(check_id, snapshot(credential_report=[row], virtual_mfa_devices=())))
    assert r.resource_arn == arn("user", "alice")
    assert r.resource_type is ResourceType.USER


def test_naive_dates_in_a_snapshot_file_are_read_as_utc() -> None:
    # A snapshot written by another tool may carry naive UTC datetimes: still whole days.
    created = datetime(2026, 10, 1, 10, 0, tzinfo=UTC)
    row = cred_row("alice", created=created, password=True)
    text = dumps(snapshot(credential_report=[row]))
    assert created.isoformat() in text
    snap = loads(text.replace(created.isoformat(), "2026-10-01T10:00:00"))
    assert snap.credential_report is not None
    assert snap.credential_report.rows[0].user_creation_time == created
    assert snap.credential_report.rows[0].user_creation_time.tzinfo is UTC
    r = only(run_check("USER-003", snap))
    assert r.evidence["days_since_use"] == (ago(0) - created).days
