"""AA-001 (Access Analyzer), CERT-001/002 (server certificates), FED-001 (federation)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from factories import (
    ROOT_ARN,
    access_analyzer,
    analyzer,
    analyzer_gap,
    by_name,
    cred_row,
    oidc,
    only,
    run_check,
    saml,
    server_cert,
    snapshot,
)

from auditor.model import Gap, ResourceType, Status
from auditor.snapshot import Analyzer, Snapshot

# --- AA-001 ------------------------------------------------------------------------------


def aa_snapshot(
    regions: list[str], analyzers: list[Analyzer], gaps: Sequence[Gap] = ()
) -> Snapshot:
    return snapshot(
        access_analyzer=access_analyzer(regions, *analyzers),
        gaps=gaps,
    )


def test_aa_001_pass_fail_per_region() -> None:
    snap = aa_snapshot(
        ["eu-west-1", "us-east-1", "us-west-2"],
        [
            analyzer("us-east-1"),
            analyzer("us-west-2", name="unused", kind="ACCOUNT_UNUSED_ACCESS"),
            analyzer("eu-west-1", name="org", kind="ORGANIZATION"),
        ],
    )
    results = by_name(run_check("AA-001", snap))
    assert {n: r.status for n, r in results.items()} == {
        "eu-west-1": Status.PASS,
        "us-east-1": Status.PASS,
        "us-west-2": Status.FAIL,
    }
    west = results["us-west-2"]
    assert west.qualifier == "us-west-2"
    assert west.resource_type is ResourceType.REGION
    assert west.resource_arn == "arn:aws:access-analyzer:us-west-2:123456789012:*"
    assert "unused (ACCOUNT_UNUSED_ACCESS, ACTIVE)" in west.detail


def test_aa_001_inactive_analyzer_fails() -> None:
    snap = aa_snapshot(["us-east-1"], [analyzer("us-east-1", status="DISABLED")])
    assert only(run_check("AA-001", snap)).status is Status.FAIL


def test_aa_001_failed_region_is_error_and_others_are_judged() -> None:
    snap = aa_snapshot(["us-east-1"], [analyzer("us-east-1")], [analyzer_gap("ap-south-1")])
    results = by_name(run_check("AA-001", snap))
    assert results["us-east-1"].status is Status.PASS
    err = results["ap-south-1"]
    assert err.status is Status.ERROR
    assert err.qualifier == "ap-south-1"
    assert err.evidence == {
        "region": "ap-south-1",
        "operation": "access-analyzer:ListAnalyzers",
        "error": "AccessDeniedException",
        "message": "not authorized",
    }


def test_aa_001_no_regions_is_error_not_silence() -> None:
    assert only(run_check("AA-001", aa_snapshot([], []))).status is Status.ERROR


# --- CERT-001 / CERT-002 -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "cert_001", "cert_002"),
    [
        (-10, Status.FAIL, None),  # expired: CERT-001's, not judged again by CERT-002
        (5, Status.PASS, Status.FAIL),
        (30, Status.PASS, Status.FAIL),
        (31, Status.PASS, Status.PASS),
        (400, Status.PASS, Status.PASS),
    ],
)
def test_cert_expiry(days: int, cert_001: Status, cert_002: Status | None) -> None:
    snap = snapshot(server_certificates=(server_cert("web", expires_in_days=days),))
    assert only(run_check("CERT-001", snap)).status is cert_001
    results = run_check("CERT-002", snap)
    if cert_002 is None:
        assert only(results).resource_arn == ROOT_ARN  # "nothing unexpired" PASS
    else:
        assert only(results).status is cert_002
        assert only(results).resource_type is ResourceType.SERVER_CERTIFICATE


def test_cert_001_detail() -> None:
    snap = snapshot(server_certificates=(server_cert("web", expires_in_days=-10),))
    r = only(run_check("CERT-001", snap))
    assert r.detail == "Server certificate web expired on 2026-11-13 (10 days ago)."


@pytest.mark.parametrize("check_id", ["CERT-001", "CERT-002"])
def test_no_certificates_is_one_account_pass(check_id: str) -> None:
    r = only(run_check(check_id, snapshot(server_certificates=())))
    assert (r.status, r.resource_arn) == (Status.PASS, ROOT_ARN)


def test_cert_002_warning_window_from_config() -> None:
    snap = snapshot(server_certificates=(server_cert("web", expires_in_days=45),))
    assert only(run_check("CERT-002", snap, cert_expiry_warning_days=60)).status is Status.FAIL


# --- FED-001 -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("saml_providers", "oidc_providers", "rows", "expected"),
    [
        ([saml("Okta")], [], [cred_row("alice", password=True)], Status.PASS),
        ([], [oidc("example.okta.com")], [cred_row("alice", password=True)], Status.PASS),
        ([], [], [cred_row("alice", password=True)], Status.FAIL),
        # CI/CD and EKS issuers federate workloads, not people
        (
            [],
            [oidc("token.actions.githubusercontent.com")],
            [cred_row("a", password=True)],
            Status.FAIL,
        ),
        (
            [],
            [oidc("oidc.eks.eu-west-1.amazonaws.com/id/ABCDEF")],
            [cred_row("a", password=True)],
            Status.FAIL,
        ),
        ([], [], [cred_row("ci-bot")], Status.PASS),  # nobody signs in with a password
    ],
)
def test_fed_001(
    saml_providers: list[object], oidc_providers: list[object], rows: list[object], expected: Status
) -> None:
    snap = snapshot(
        saml_providers=tuple(saml_providers),
        oidc_providers=tuple(oidc_providers),
        credential_report=rows,
    )
    r = only(run_check("FED-001", snap))
    assert r.status is expected
    assert r.resource_arn == ROOT_ARN


def test_fed_001_names_the_password_users() -> None:
    rows = [cred_row("bob", password=True), cred_row("alice", password=True), cred_row("bot")]
    snap = snapshot(saml_providers=(), oidc_providers=(), credential_report=rows)
    r = only(run_check("FED-001", snap))
    assert "2 IAM users sign in with a password (alice, bob)" in r.detail
    assert r.evidence["console_users"] == ["alice", "bob"]
