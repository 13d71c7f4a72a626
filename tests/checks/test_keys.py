"""KEY-001..004: access keys, judged per slot from the credential report."""

from __future__ import annotations

import dataclasses

import pytest
from factories import (
    ago,
    arn,
    cred_row,
    key,
    only,
    run_check,
    snapshot,
    statuses,
)

from auditor.model import ResourceType, Status
from auditor.snapshot import AccessKeyState, CredentialRow

KEY_CHECKS = ["KEY-001", "KEY-002", "KEY-003", "KEY-004"]


def judge(check_id: str, *rows: CredentialRow, **thresholds: int) -> dict[tuple[str, str], Status]:
    return statuses(run_check(check_id, snapshot(credential_report=list(rows)), **thresholds))


@pytest.mark.parametrize(
    ("k", "expected"),
    [
        (key(1, age_days=300, used_days_ago=1), Status.PASS),
        (key(1, age_days=300, used_days_ago=45), Status.PASS),
        (key(1, age_days=300, used_days_ago=46), Status.FAIL),
        (key(1, age_days=10), Status.PASS),  # never used, created 10 days ago
        (key(1, age_days=46), Status.FAIL),  # never used, created 46 days ago
    ],
)
def test_key_001_unused_active_key(k: AccessKeyState, expected: Status) -> None:
    assert judge("KEY-001", cred_row("alice", keys=[k])) == {("alice", "key1"): expected}


def test_key_001_inactive_keys_are_not_judged() -> None:
    row = cred_row("alice", keys=[key(1, active=False, age_days=500), key(2, age_days=5)])
    assert judge("KEY-001", row) == {("alice", "key2"): Status.PASS}


def test_key_001_detail_for_a_never_used_key() -> None:
    r = only(
        run_check(
            "KEY-001", snapshot(credential_report=[cred_row("a", keys=[key(2, age_days=60)])])
        )
    )
    assert (
        r.detail == "Access key 2 has never been used and was created 60 days ago; the limit is 45."
    )
    assert r.qualifier == "key2"
    assert r.evidence["key"] == 2


@pytest.mark.parametrize(
    ("age", "expected"),
    [
        (10, Status.PASS),
        (89, Status.PASS),
        (90, Status.PASS),
        (91, Status.FAIL),
        (400, Status.FAIL),
    ],
)
def test_key_002_rotation_boundary(age: int, expected: Status) -> None:
    row = cred_row("alice", keys=[key(1, age_days=age, used_days_ago=1)])
    assert judge("KEY-002", row) == {("alice", "key1"): expected}


def test_key_002_counts_whole_days() -> None:
    # 90 days and 23 hours is still 90 whole days: at the limit, not over it.
    row = cred_row("alice", keys=[key(1, created=ago(90, seconds=23 * 3600))])
    r = only(run_check("KEY-002", snapshot(credential_report=[row])))
    assert (r.status, r.evidence["age_days"]) == (Status.PASS, 90)


def test_key_002_detail_and_evidence() -> None:
    row = cred_row("alice", keys=[key(1, age_days=120, used_days_ago=1)])
    r = only(run_check("KEY-002", snapshot(credential_report=[row])))
    assert r.detail == "Access key 1 is 120 days old; the limit is 90."
    assert r.evidence == {
        "key": 1,
        "age_days": 120,
        "limit_days": 90,
        "last_rotated": ago(120).isoformat(),
    }
    assert r.resource_arn == arn("user", "alice")
    assert r.resource_type is ResourceType.USER


def test_key_002_inactive_old_key_is_not_a_rotation_failure() -> None:
    row = cred_row("alice", keys=[key(1, active=False, age_days=900)])
    assert judge("KEY-002", row) == {("alice", ""): Status.PASS}


def test_key_002_judges_each_slot() -> None:
    row = cred_row("alice", keys=[key(1, age_days=200), key(2, age_days=3)])
    assert judge("KEY-002", row) == {("alice", "key1"): Status.FAIL, ("alice", "key2"): Status.PASS}


def test_key_002_threshold_comes_from_config() -> None:
    row = cred_row("alice", keys=[key(1, age_days=40)])
    assert judge("KEY-002", row, key_rotation_days=30) == {("alice", "key1"): Status.FAIL}


def test_key_002_active_key_without_date_is_error() -> None:
    row = cred_row(
        "alice", keys=[AccessKeyState(slot=1, active=True, last_rotated=None, last_used=None)]
    )
    assert judge("KEY-002", row) == {("alice", "key1"): Status.ERROR}


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        ([], Status.PASS),
        ([key(1)], Status.PASS),
        ([key(1), key(2, active=False)], Status.PASS),
        ([key(1), key(2)], Status.FAIL),
    ],
)
def test_key_003_two_active_keys(keys: list[AccessKeyState], expected: Status) -> None:
    assert judge("KEY-003", cred_row("alice", keys=keys)) == {("alice", ""): expected}


def _setup_key(seconds_after: float, *, used: bool = False, active: bool = True) -> AccessKeyState:
    # The user is created 200 days ago; the key this many seconds later.
    return key(
        1,
        created=ago(200, seconds=-seconds_after),
        used_days_ago=5 if used else None,
        active=active,
    )


@pytest.mark.parametrize(
    ("password", "k", "expected"),
    [
        (True, _setup_key(3), Status.FAIL),
        (True, _setup_key(10), Status.FAIL),  # at the window's edge
        (True, _setup_key(11), Status.PASS),
        (True, _setup_key(86400 * 30), Status.PASS),  # created a month later
        (True, _setup_key(3, used=True), Status.PASS),  # used: someone wanted it
    ],
)
def test_key_004_key_created_at_setup(password: bool, k: AccessKeyState, expected: Status) -> None:
    row = cred_row("alice", age_days=200, password=password, keys=[k])
    assert judge("KEY-004", row) == {("alice", "key1"): expected}


def test_key_004_unused_key_without_creation_date_is_error_not_pass() -> None:
    # The credential report may leave a key's creation date unreadable (N/A): an unused key
    # of a console user might then be the setup key, so the answer is unknown.
    undated = dataclasses.replace(_setup_key(3), last_rotated=None)
    row = cred_row("alice", age_days=200, password=True, keys=[undated])
    assert judge("KEY-004", row) == {("alice", "key1"): Status.ERROR}
    # A used key needs no date: someone wanted it.
    used = dataclasses.replace(_setup_key(3, used=True), last_rotated=None)
    row = cred_row("alice", age_days=200, password=True, keys=[used])
    assert judge("KEY-004", row) == {("alice", "key1"): Status.PASS}


@pytest.mark.parametrize(
    ("password", "k"),
    [
        (False, _setup_key(3)),  # not a console user: USER-007's business
        (True, _setup_key(3, active=False)),  # inactive
    ],
)
def test_key_004_judges_only_active_keys_of_console_users(
    password: bool, k: AccessKeyState
) -> None:
    row = cred_row("alice", age_days=200, password=password, keys=[k])
    assert judge("KEY-004", row) == {("alice", ""): Status.PASS}


@pytest.mark.parametrize("check_id", KEY_CHECKS)
def test_row_with_problems_is_error_for_that_user_only(check_id: str) -> None:
    broken = cred_row("bob", problems=["access_key_1_last_rotated: 'soon'"])
    fine = cred_row("alice")
    results = judge(check_id, broken, fine)
    assert results == {("bob", ""): Status.ERROR, ("alice", ""): Status.PASS}
