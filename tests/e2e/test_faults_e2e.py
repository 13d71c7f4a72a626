"""Acceptance: the installed CLI audits through a fault-injecting proxy and still tells the truth.

The proxy (``testkit.faults``) sits in front of the moto server and the Access
Analyzer stub. With a fifth of the requests throttled, failed with 500/503, dropped or
slowed (three fixed seeds), the findings equal those of the fault-free run of the same
account. One operation failing every time (denied, or throttled past every retry) turns
exactly its checks into ERROR and the exit code into 3; Access Analyzer answering 500 in
every region costs three attempts a region, not eleven. An endpoint that throttles
everything ends the run by the deadline - exit 2 when not even the account can be
identified, exit 3 with DeadlineExceeded gaps otherwise - and never hangs.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from testkit.faults import FaultKind, FaultPlan, FaultProxy, FaultRule, fault_proxy
from testkit.server import AccessAnalyzerStub, MotoServer

from .audit_helpers import AuditRun, RunCli, audit
from .test_checks_e2e import build_weak_account

SEEDS = (101, 202, 303)
RATE = 0.2
PASSWORD_POLICY_CHECKS = {f"PWD-00{n}" for n in range(1, 6)}
# The integration tests' own numbers, printed with -s for the README's reliability section.
RESULTS: list[dict[str, Any]] = []


@pytest.fixture
def proxy(server: MotoServer, aa_stub: AccessAnalyzerStub) -> Iterator[FaultProxy]:
    """A fault proxy in front of this test's moto server and Access Analyzer stub."""
    with fault_proxy(server.endpoint, routes={"access-analyzer": aa_stub.endpoint}) as px:
        yield px


def through(proxy: FaultProxy, **extra: str) -> dict[str, str]:
    """CLI environment overrides that send every AWS call through ``proxy``."""
    return {
        "AWS_ENDPOINT_URL": proxy.endpoint,
        "AWS_ENDPOINT_URL_ACCESSANALYZER": proxy.endpoint,
        **extra,
    }


def comparable(run: AuditRun) -> list[str]:
    """The report's findings as sorted JSON lines: ids, statuses, severities, details."""
    return sorted(json.dumps(f, sort_keys=True) for f in run.findings)


def by_check(run: AuditRun) -> dict[str, list[str]]:
    """Comparable findings grouped by check id."""
    out: dict[str, list[str]] = {}
    for finding in run.findings:
        out.setdefault(finding["check_id"], []).append(json.dumps(finding, sort_keys=True))
    return {check: sorted(lines) for check, lines in out.items()}


@pytest.fixture
def weak_account(aws_client: Any, aa_stub: AccessAnalyzerStub) -> None:
    """The e2e catalog's account with most FAILs and their PASSes, and analyzers."""
    build_weak_account(aws_client("iam"), aa_stub)


def test_a_fifth_of_requests_faulted_changes_no_finding(
    weak_account: None, proxy: FaultProxy, run_cli: RunCli, tmp_path: Path
) -> None:
    baseline = audit(run_cli, tmp_path / "clean", env=through(proxy))
    assert baseline.report is not None, baseline.proc.stderr
    # Every source read: the comparison below covers all of them.
    assert baseline.report["gaps"] == [], baseline.report["gaps"]
    assert proxy.stats.summary()["faulted"] == 0
    clean_requests = proxy.stats.summary()["requests"]
    expected = comparable(baseline)

    for seed in SEEDS:
        proxy.set_plan(FaultPlan(rate=RATE, seed=seed, delay=0.2))
        began = time.monotonic()
        run = audit(run_cli, tmp_path / f"seed-{seed}", env=through(proxy))
        stats = proxy.stats.summary()
        identical = comparable(run) == expected
        RESULTS.append(
            {
                "seed": seed,
                "requests": stats["requests"],
                "requests_fault_free": clean_requests,
                "faulted": stats["faulted"],
                "faults": stats["faults"],
                "retries": stats["retries"],
                "identical": identical,
                "exit": run.proc.returncode,
                "seconds": round(time.monotonic() - began, 1),
            }
        )
        print(json.dumps(RESULTS[-1]))
        assert run.proc.returncode == baseline.proc.returncode, run.proc.stderr
        assert identical, f"seed {seed}: findings differ from the fault-free run"
        # The faults really happened, and were survived by retrying: every error answer
        # and dropped connection costs the client exactly one more attempt.
        assert stats["faulted"] >= 0.1 * stats["requests"], stats
        failed = stats["faulted"] - stats["faults"].get(FaultKind.SLOW.value, 0)
        assert stats["retries"] == failed, stats


@pytest.mark.parametrize(
    "rule",
    [
        FaultRule("iam:GetAccountPasswordPolicy", code="AccessDenied", status=403),
        FaultRule("iam:GetAccountPasswordPolicy", kind=FaultKind.THROTTLE),
    ],
    ids=["denied", "throttled"],
)
def test_one_operation_failing_every_time_errors_only_its_checks(
    weak_account: None, proxy: FaultProxy, run_cli: RunCli, tmp_path: Path, rule: FaultRule
) -> None:
    baseline = audit(run_cli, tmp_path / "clean", env=through(proxy))
    # Every other request is still faulted at random: the failing one must stay the only
    # difference. Three attempts keep "throttled past every retry" short to wait for.
    proxy.set_plan(FaultPlan(rate=RATE, seed=SEEDS[0], rules=(rule,)))
    run = audit(run_cli, tmp_path / "faulted", env=through(proxy, AWS_MAX_ATTEMPTS="3"))

    assert run.proc.returncode == 3, run.proc.stderr
    before, after = by_check(baseline), by_check(run)
    assert set(before) == set(after)
    changed = {check for check in before if before[check] != after[check]}
    assert changed == PASSWORD_POLICY_CHECKS
    code = rule.code if rule.kind is FaultKind.ERROR else "Throttling"
    for finding in run.findings:
        if finding["check_id"] in PASSWORD_POLICY_CHECKS:
            assert finding["status"] == "ERROR", finding
            assert "iam:GetAccountPasswordPolicy" in finding["detail"], finding
            assert code in finding["detail"], finding
    attempts = proxy.stats.requests["iam:GetAccountPasswordPolicy"]
    assert attempts == (1 if rule.kind is FaultKind.ERROR else 3)


def test_access_analyzer_failing_5xx_everywhere_fails_fast_into_regional_errors(
    weak_account: None, proxy: FaultProxy, run_cli: RunCli, tmp_path: Path
) -> None:
    baseline = audit(run_cli, tmp_path / "clean", env=through(proxy))
    # Every ListAnalyzers answers 500 in every region; everything else is left alone.
    failing = FaultRule("access-analyzer:ListAnalyzers", kind=FaultKind.ERROR_500)
    proxy.set_plan(FaultPlan(rules=(failing,)))
    run = audit(run_cli, tmp_path / "faulted", env=through(proxy))

    assert run.proc.returncode == 3, run.proc.stderr
    before, after = by_check(baseline), by_check(run)
    assert {check for check in before if before[check] != after.get(check)} == {"AA-001"}
    findings = [f for f in run.findings if f["check_id"] == "AA-001"]
    regions = sorted(f["resource_name"] for f in findings)
    assert len(regions) > 1
    for finding in findings:
        region = finding["resource_name"]
        assert finding["status"] == "ERROR", finding
        assert finding["detail"] == f"Analyzers in {region} could not be listed: InternalFailure."
    # Each region tried three times (the first attempt and two retries), not eleven.
    assert proxy.stats.in_regions("access-analyzer:ListAnalyzers") == dict.fromkeys(regions, 3)


def test_throttling_everything_ends_with_one_line_and_exit_2(
    proxy: FaultProxy, run_cli: RunCli, tmp_path: Path
) -> None:
    proxy.set_plan(FaultPlan(rate=1.0, kinds={FaultKind.THROTTLE: 1}))
    run = audit(run_cli, tmp_path / "out", "--deadline", "20", env=through(proxy), timeout=120)

    assert run.proc.returncode == 2, run.proc.stderr
    assert run.report is None
    lines = run.proc.stderr.strip().splitlines()
    assert len(lines) == 1, run.proc.stderr
    assert "Throttling" in lines[0]
    assert "identifying the account" in lines[0]
    # Identity is tried a bounded number of times, however long the deadline.
    assert 1 < proxy.stats.requests["sts:GetCallerIdentity"] <= 4


def test_a_deadline_turns_what_is_left_into_errors_instead_of_hanging(
    weak_account: None, proxy: FaultProxy, run_cli: RunCli, tmp_path: Path
) -> None:
    # Everything but the identity call is throttled: without a deadline the retries and
    # the credential report's wait would take minutes.
    everything = FaultRule("*", kind=FaultKind.THROTTLE)
    identity = FaultRule("sts:GetCallerIdentity", kind=FaultKind.SLOW)
    proxy.set_plan(FaultPlan(rules=(identity, everything), delay=0.0))
    run = audit(run_cli, tmp_path / "out", "--deadline", "3", env=through(proxy), timeout=120)

    assert run.proc.returncode == 3, run.proc.stderr
    statuses = {f["status"] for f in run.findings}
    assert statuses == {"ERROR"}, statuses
    details = " ".join(f["detail"] for f in run.findings)
    assert "DeadlineExceeded" in details
    assert run.report is not None
    gaps = run.report["gaps"]
    assert gaps, run.report
    for gap in gaps:
        assert "DeadlineExceeded" in json.dumps(gap), gap
        assert "--deadline" in json.dumps(gap), gap
    # Far fewer attempts than ten retries of every call would make.
    assert proxy.stats.summary()["requests"] < 60, proxy.stats.summary()


@pytest.mark.parametrize("value", ["0", "soon", "100000"])
def test_a_bad_deadline_is_one_line_and_exit_2(run_cli: RunCli, tmp_path: Path, value: str) -> None:
    run = audit(run_cli, tmp_path / "out", f"--deadline={value}")

    assert run.proc.returncode == 2
    assert run.report is None
    (line,) = run.proc.stderr.strip().splitlines()
    assert line.startswith("iam-auditor: error: --deadline"), line
