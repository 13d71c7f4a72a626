"""PWD-001..005: the account password policy, including "no policy at all"."""

from __future__ import annotations

import dataclasses

import pytest
from factories import ROOT_ARN, only, run_check, snapshot

from auditor.model import Status
from auditor.snapshot import PasswordPolicy

STRONG = PasswordPolicy(
    minimum_password_length=14,
    require_symbols=True,
    require_numbers=True,
    require_uppercase_characters=True,
    require_lowercase_characters=True,
    allow_users_to_change_password=True,
    expire_passwords=True,
    max_password_age=90,
    password_reuse_prevention=24,
)


@pytest.mark.parametrize("check_id", ["PWD-001", "PWD-002", "PWD-003", "PWD-004", "PWD-005"])
def test_strong_policy_passes_everything(check_id: str) -> None:
    r = only(run_check(check_id, snapshot(password_policy=STRONG)))
    assert r.status is Status.PASS
    assert r.resource_arn == ROOT_ARN


@pytest.mark.parametrize("check_id", ["PWD-001", "PWD-002", "PWD-003", "PWD-004", "PWD-005"])
def test_no_policy_fails_everything(check_id: str) -> None:
    r = only(run_check(check_id, snapshot(password_policy=None)))
    assert r.status is Status.FAIL


@pytest.mark.parametrize("check_id", ["PWD-002", "PWD-003", "PWD-004", "PWD-005"])
def test_no_policy_says_defaults_apply(check_id: str) -> None:
    r = only(run_check(check_id, snapshot(password_policy=None)))
    assert "AWS's defaults apply" in r.detail
    assert r.evidence["default_policy"] is True


def test_no_policy_min_length_is_aws_default_of_8() -> None:
    r = only(run_check("PWD-002", snapshot(password_policy=None)))
    assert r.evidence["minimum_password_length"] == 8
    assert "is 8" in r.detail


@pytest.mark.parametrize(
    ("changes", "check_id", "expected"),
    [
        ({"minimum_password_length": 13}, "PWD-002", Status.FAIL),
        ({"minimum_password_length": 14}, "PWD-002", Status.PASS),
        ({"minimum_password_length": 32}, "PWD-002", Status.PASS),
        ({"password_reuse_prevention": 23}, "PWD-003", Status.FAIL),
        ({"password_reuse_prevention": None}, "PWD-003", Status.FAIL),
        ({"require_symbols": False}, "PWD-004", Status.FAIL),
        ({"require_lowercase_characters": False}, "PWD-004", Status.FAIL),
        ({"max_password_age": 91}, "PWD-005", Status.FAIL),
        ({"max_password_age": 30}, "PWD-005", Status.PASS),
        ({"max_password_age": None, "expire_passwords": False}, "PWD-005", Status.FAIL),
    ],
)
def test_single_weak_setting(changes: dict[str, object], check_id: str, expected: Status) -> None:
    weak = dataclasses.replace(STRONG, **changes)
    assert only(run_check(check_id, snapshot(password_policy=weak))).status is expected


def test_complexity_names_the_missing_classes() -> None:
    weak = dataclasses.replace(STRONG, require_symbols=False, require_numbers=False)
    r = only(run_check("PWD-004", snapshot(password_policy=weak)))
    assert r.detail == "Passwords need not contain numbers or symbols."
    assert r.evidence["not_required"] == ["numbers", "symbols"]


def test_no_policy_names_all_four_classes() -> None:
    r = only(run_check("PWD-004", snapshot(password_policy=None)))
    assert r.detail == (
        "No password policy is set, so AWS's defaults apply: passwords need not contain "
        "uppercase letters, lowercase letters, numbers or symbols."
    )


def test_thresholds_come_from_config() -> None:
    policy = dataclasses.replace(STRONG, minimum_password_length=12)
    snap = snapshot(password_policy=policy)
    assert only(run_check("PWD-002", snap)).status is Status.FAIL
    assert only(run_check("PWD-002", snap, password_min_length=12)).status is Status.PASS
