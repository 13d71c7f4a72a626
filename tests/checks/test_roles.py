"""ROLE-015 (unused roles) and ROLE-016 (support role)."""

from __future__ import annotations

import pytest
from factories import ROOT_ARN, by_name, only, policy, role, run_check, snapshot

from auditor.model import ResourceType, Status
from auditor.snapshot import Role

SUPPORT = policy("AWSSupportAccess", aws_managed=True)
READ = policy("ReadS3")


@pytest.mark.parametrize(
    ("r", "expected"),
    [
        (role("r", age_days=10), Status.PASS),  # young, never used
        (role("r", age_days=90), Status.PASS),
        (role("r", age_days=91), Status.FAIL),  # old, no recorded use
        (role("r", age_days=400, used_days_ago=90), Status.PASS),
        (role("r", age_days=400, used_days_ago=91), Status.FAIL),
    ],
)
def test_role_015_unused_role(r: Role, expected: Status) -> None:
    result = only(run_check("ROLE-015", snapshot(roles=[r])))
    assert result.status is expected
    assert result.resource_type is ResourceType.ROLE


def test_role_015_detail_says_no_recorded_use() -> None:
    r = only(run_check("ROLE-015", snapshot(roles=[role("old", age_days=500)])))
    assert "no recorded use in the 400 days IAM tracks" in r.detail
    assert r.evidence["last_used"] is None


def test_role_015_service_linked_roles_are_judged_and_labelled() -> None:
    slr = role(
        "AWSServiceRoleForSupport", age_days=500, path="/aws-service-role/support.amazonaws.com/"
    )
    r = only(run_check("ROLE-015", snapshot(roles=[slr])))
    assert r.status is Status.FAIL
    assert "service-linked" in r.detail
    assert r.evidence["service_linked"] is True


def test_role_015_threshold_comes_from_config() -> None:
    snap = snapshot(roles=[role("r", age_days=400, used_days_ago=40)])
    assert only(run_check("ROLE-015", snap, role_unused_days=30)).status is Status.FAIL


@pytest.mark.parametrize(
    ("roles", "expected"),
    [
        ([], Status.FAIL),
        ([role("app", policies=[READ])], Status.FAIL),
        ([role("app", policies=[READ]), role("support", policies=[SUPPORT])], Status.PASS),
    ],
)
def test_role_016_support_role(roles: list[Role], expected: Status) -> None:
    r = only(run_check("ROLE-016", snapshot(roles=roles, policies=[SUPPORT, READ])))
    assert r.status is expected
    assert r.resource_arn == ROOT_ARN


def test_role_016_names_the_support_roles() -> None:
    snap = snapshot(
        roles=[role("b-support", policies=[SUPPORT]), role("a-support", policies=[SUPPORT])]
    )
    r = only(run_check("ROLE-016", snap))
    assert r.evidence == {"support_roles": ["a-support", "b-support"]}


def test_role_015_one_result_per_role() -> None:
    snap = snapshot(roles=[role("a", age_days=5), role("b", age_days=500)])
    assert {n: r.status for n, r in by_name(run_check("ROLE-015", snap)).items()} == {
        "a": Status.PASS,
        "b": Status.FAIL,
    }
