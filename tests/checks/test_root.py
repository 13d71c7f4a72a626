"""ROOT-001..005: the root user's keys, MFA, recent use and signing certificates."""

from __future__ import annotations

import pytest
from factories import (
    ROOT_ARN,
    cert,
    cred_row,
    key,
    only,
    root_row,
    run_check,
    snapshot,
    summary,
    vmfa,
)

from auditor.model import ResourceType, Severity, Status


def test_root_001_passes_without_keys() -> None:
    r = only(run_check("ROOT-001", snapshot(account_summary=summary(keys=0))))
    assert r.status is Status.PASS
    assert r.resource_arn == ROOT_ARN
    assert r.resource_type is ResourceType.ACCOUNT


def test_root_001_fails_on_summary_alone() -> None:
    r = only(run_check("ROOT-001", snapshot(account_summary=summary(keys=1))))
    assert r.status is Status.FAIL
    assert "AccountAccessKeysPresent" in r.detail


def test_root_001_counts_an_inactive_root_key_and_says_so() -> None:
    snap = snapshot(
        account_summary=summary(keys=1),
        credential_report=[root_row(keys=[key(1, active=False, age_days=300)])],
    )
    r = only(run_check("ROOT-001", snap))
    assert r.status is Status.FAIL
    assert "key 1 inactive" in r.detail
    assert r.evidence["keys"][0]["active"] is False


def test_root_001_trusts_the_credential_report_when_the_summary_says_zero() -> None:
    snap = snapshot(
        account_summary=summary(keys=0),
        credential_report=[root_row(keys=[key(2, active=True)])],
    )
    r = only(run_check("ROOT-001", snap))
    assert r.status is Status.FAIL
    assert "key 2 active" in r.detail


@pytest.mark.parametrize(
    ("mfa", "password", "expected"),
    [
        (1, 1, Status.PASS),
        (0, 1, Status.FAIL),
        (0, 0, Status.PASS),  # centrally managed root: no password, nothing to protect
    ],
)
def test_root_002_mfa(mfa: int, password: int, expected: Status) -> None:
    r = only(run_check("ROOT-002", snapshot(account_summary=summary(mfa=mfa, password=password))))
    assert r.status is expected


def test_root_002_missing_password_flag_does_not_excuse_missing_mfa() -> None:
    r = only(run_check("ROOT-002", snapshot(account_summary={"AccountMFAEnabled": 0})))
    assert r.status is Status.FAIL


@pytest.mark.parametrize(
    ("devices", "mfa", "password", "expected"),
    [
        ([], 1, 1, Status.PASS),  # MFA on, no virtual device: hardware or FIDO
        ([vmfa("root-account-mfa-device", user_arn=ROOT_ARN)], 1, 1, Status.FAIL),
        ([vmfa("root-account-mfa-device")], 1, 1, Status.FAIL),  # known by serial alone
        ([vmfa("my-root-phone", user_arn=ROOT_ARN)], 1, 1, Status.FAIL),  # known by ARN alone
        ([vmfa("alice", user_arn="arn:aws:iam::123456789012:user/alice")], 1, 1, Status.PASS),
        ([], 0, 1, Status.FAIL),  # no MFA at all
        ([], 0, 0, Status.PASS),  # no root password
    ],
)
def test_root_003_hardware_mfa(
    devices: list[object], mfa: int, password: int, expected: Status
) -> None:
    snap = snapshot(
        account_summary=summary(mfa=mfa, password=password), virtual_mfa_devices=tuple(devices)
    )
    assert only(run_check("ROOT-003", snap)).status is expected


@pytest.mark.parametrize(
    ("row", "expected", "severity"),
    [
        (root_row(), Status.PASS, None),
        (root_row(password_used_days_ago=200), Status.PASS, None),
        (root_row(password_used_days_ago=90), Status.FAIL, None),
        (root_row(password_used_days_ago=12), Status.FAIL, None),
        (root_row(keys=[key(1, age_days=900, used_days_ago=91)]), Status.PASS, None),
        (root_row(keys=[key(1, age_days=900, used_days_ago=3)]), Status.FAIL, Severity.CRITICAL),
    ],
)
def test_root_004_recent_use(row: object, expected: Status, severity: Severity | None) -> None:
    r = only(run_check("ROOT-004", snapshot(credential_report=[row])))
    assert r.status is expected
    assert r.severity is severity


def test_root_004_names_what_was_used() -> None:
    row = root_row(password_used_days_ago=12, keys=[key(2, age_days=900, used_days_ago=3)])
    r = only(run_check("ROOT-004", snapshot(credential_report=[row])))
    assert "password 12 days ago" in r.detail
    assert "access key 2 3 days ago" in r.detail
    assert r.severity is Severity.CRITICAL


def test_root_004_threshold_comes_from_config() -> None:
    snap = snapshot(credential_report=[root_row(password_used_days_ago=20)])
    assert only(run_check("ROOT-004", snap, root_recent_use_days=14)).status is Status.PASS


@pytest.mark.parametrize("check_id", ["ROOT-004", "ROOT-005"])
def test_missing_root_row_is_error_not_pass(check_id: str) -> None:
    r = only(run_check(check_id, snapshot(credential_report=[cred_row("alice")])))
    assert r.status is Status.ERROR
    assert "<root_account>" in r.detail


@pytest.mark.parametrize(
    ("check_id", "question", "not_theirs"),
    [
        ("ROOT-004", "used in the last 90 days", "signing certificate"),
        ("ROOT-005", "active X.509 signing certificate", "used in the last"),
    ],
)
def test_missing_or_unreadable_root_row_names_each_checks_own_question(
    check_id: str, question: str, not_theirs: str
) -> None:
    missing = snapshot(credential_report=[cred_row("alice")])
    unreadable = snapshot(credential_report=[root_row(problems=["mfa_active: 'maybe'"])])
    for snap in (missing, unreadable):
        detail = only(run_check(check_id, snap)).detail
        assert question in detail
        assert not_theirs not in detail


@pytest.mark.parametrize("check_id", ["ROOT-004", "ROOT-005"])
def test_unreadable_root_row_is_error(check_id: str) -> None:
    snap = snapshot(credential_report=[root_row(problems=["password_last_used: 'garbage'"])])
    r = only(run_check(check_id, snap))
    assert r.status is Status.ERROR
    assert "garbage" in r.detail


@pytest.mark.parametrize(
    ("certs", "expected"),
    [
        ([], Status.PASS),
        ([cert(1, active=False)], Status.PASS),
        ([cert(1, active=False), cert(2, active=True)], Status.FAIL),
    ],
)
def test_root_005_signing_cert(certs: list[object], expected: Status) -> None:
    r = only(run_check("ROOT-005", snapshot(credential_report=[root_row(certs=certs)])))
    assert r.status is expected
