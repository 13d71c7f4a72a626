"""The organization benchmark's machinery on a tiny Organization: 3 accounts of 2 users.

It checks what the benchmark reports (every account audited, the same calls for every
account at every worker count, requests reconciled with the auditor's own count), never
how long anything took.
"""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest

from auditor.demo import moto_account
from benchmarks.org import (
    Member,
    OrgRun,
    add_request_latency,
    markdown_table,
    measure,
    organization,
)
from testkit.server import AccessAnalyzerStub, MotoServer

Org = tuple[MotoServer, AccessAnalyzerStub, list[Member]]


@pytest.fixture(scope="module")
def org() -> Iterator[Org]:
    with organization(accounts=3, users=2) as built:
        yield built


def test_the_organization_has_its_members_users_and_roles(org: Org) -> None:
    _, _, members = org
    assert len(members) == 3
    assert [m.account_id for m in members] == sorted(m.account_id for m in members)
    assert moto_account.DEFAULT_ACCOUNT_ID not in {m.account_id for m in members}
    for member in members:
        backend = moto_account.iam_backend(member.account_id)
        assert len(backend.users) == 2
        assert all(len(u.access_keys) == 1 for u in backend.users.values())
        assert "OrganizationAccountAccessRole" in {r.name for r in backend.roles.values()}


def test_every_account_costs_the_same_calls_at_any_worker_count(org: Org) -> None:
    server, stub, members = org
    runs = [measure(server, stub, members, workers=n) for n in (1, 2)]
    ids = {m.account_id for m in members}
    per_account = set()
    for run in runs:
        assert (run.accounts, run.audited, run.complete, dict(run.errors)) == (3, 3, 3, {})
        assert run.reports == 3 * 3  # report.json, .csv and .html for every account
        assert set(run.per_account_calls) == ids
        per_account |= set(run.per_account_calls.values())
        # The servers saw exactly what the auditor says it asked: nothing retried.
        assert run.api_calls == run.client_calls
        assert run.retried == 0
        assert run.calls_by_operation["sts:AssumeRole"] == 3
        assert run.calls_by_operation["access-analyzer:ListAnalyzers"] % 3 == 0
        # A fresh credential report each run: started, then found complete, then read.
        assert run.calls_by_operation["iam:GenerateCredentialReport"] == 2 * 3
        assert run.peak_rss_bytes is not None and run.peak_rss_bytes > 0
    assert len(per_account) == 1, per_account
    (calls,) = per_account
    assert calls > 10
    assert runs[0].calls_by_operation == runs[1].calls_by_operation
    assert runs[0].calls_per_account == runs[1].calls_per_account == (calls, calls)


def test_latency_is_added_to_sessions_made_after_it(org: Org) -> None:
    server, _, _ = org
    slept: list[float] = []

    def client() -> object:
        session = boto3.Session(
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            region_name="us-east-1",
        )
        return session.client("sts", endpoint_url=server.endpoint)

    before = client()
    undo = add_request_latency(0.05, sleep=slept.append)
    try:
        during = client()
        during.get_caller_identity()  # type: ignore[attr-defined]
        before.get_caller_identity()  # type: ignore[attr-defined]
    finally:
        undo()
    assert slept == [0.05]
    after = client()
    after.get_caller_identity()  # type: ignore[attr-defined]
    assert slept == [0.05]


def _run(workers: int, latency: float, calls: dict[str, int], **extra: object) -> OrgRun:
    fields: dict[str, object] = {
        "workers": workers,
        "latency_ms": latency,
        "accounts": 2,
        "audited": 2,
        "complete": 2,
        "wall_seconds": 3.0,
        "cpu_seconds": 2.25,
        "calls_by_operation": calls,
        "client_calls": sum(calls.values()),
        "per_account_calls": {"111111111111": 30, "222222222222": 30},
        "peak_rss_bytes": 150 * 2**20,
        "errors": {},
    }
    fields.update(extra)
    return OrgRun(**fields)  # type: ignore[arg-type]


def test_markdown_table() -> None:
    calls = {"iam:GetAccountSummary": 60, "sts:AssumeRole": 2}
    runs = [
        _run(1, 0, calls),
        _run(8, 50, calls | {"sts:AssumeRole": 3}, audited=1, complete=0, client_calls=62),
        _run(8, 50, {}, per_account_calls={"1": 30, "2": 31}, peak_rss_bytes=None),
    ]
    lines = markdown_table(runs).splitlines()
    assert lines[2] == "| 0 | 1 | 2 | 2 | 3.0 | 2.2 | 40 | 62 | 30 | 0 | 150 |"
    assert lines[3] == "| 50 | 8 | 2 | 1 (0 full) | 3.0 | 2.2 | 20 | 63 | 30 | 1 | 150 |"
    assert lines[4] == "| 50 | 8 | 2 | 2 | 3.0 | 2.2 | 40 | 0 | 30–31 | 0 | – |"
    assert "| `sts:AssumeRole` | 2 | 3 | 0 |" in lines
    assert lines[6] == "| operation | 0 ms × 1 | 50 ms × 8 | 50 ms × 8 |"
