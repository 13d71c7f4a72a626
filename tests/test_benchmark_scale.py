"""The scale benchmark's machinery, up to (and with a stand-in for) the CLI it measures."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from benchmarks.scale import (
    Measurement,
    client_counted_calls,
    markdown_table,
    measure,
    pages,
    parse_sizes,
    run_measured,
    unexplained_growth,
)

# Stands in for `iam-auditor audit`: the same environment, arguments and output files.
FAKE_CLI = """
import json, sys
from pathlib import Path
import boto3
args = sys.argv[1:]
assert args[0] == "audit" and "-q" in args, args
out = Path(args[args.index("--output-dir") + 1])
iam = boto3.client("iam")
users = iam.list_users()["Users"]
summary = iam.get_account_summary()["SummaryMap"]
for region in ("us-east-1", "eu-west-1"):
    boto3.client("accessanalyzer", region_name=region).list_analyzers()
out.mkdir(parents=True)
report = {
    "findings": [{"resource_name": u["UserName"]} for u in users],
    "api_calls": {"iam:ListUsers": 1, "iam:GetAccountSummary": 1, "aa": 2},
}
(out / "report.json").write_text(json.dumps(report))
sys.exit(int(sys.argv[-1]) if sys.argv[-1].isdigit() else 1)
"""


def test_parse_sizes() -> None:
    assert parse_sizes("100, 1k,5000") == [100, 1000, 5000]
    for bad in ("0", "", "ten", "-5"):
        with pytest.raises(ValueError):
            parse_sizes(bad)


def test_run_measured_reports_the_childs_own_peak_memory(tmp_path: Path) -> None:
    code = "import sys; block = bytearray(96 * 2**20); print(len(block)); sys.exit(3)"
    stats = run_measured([sys.executable, "-c", code], env=dict(os.environ), cwd=tmp_path)
    assert stats.returncode == 3
    assert stats.stdout.strip() == str(96 * 2**20)
    assert stats.peak_rss_bytes is not None
    assert stats.peak_rss_bytes >= 96 * 2**20
    # Its own figure: neither a running maximum over children nor this (large) process's.
    ballast = bytearray(128 * 2**20)
    small = run_measured([sys.executable, "-c", "pass"], env=dict(os.environ), cwd=tmp_path)
    assert small.peak_rss_bytes is not None
    assert small.peak_rss_bytes < 64 * 2**20 < len(ballast)


def test_run_measured_stops_a_command_that_runs_too_long(tmp_path: Path) -> None:
    with pytest.raises(TimeoutError, match=r"longer than 0\.5 s"):
        run_measured(
            [sys.executable, "-c", "import time; time.sleep(30)"],
            env=dict(os.environ),
            cwd=tmp_path,
            timeout=0.5,
        )


def test_client_counted_calls_reads_report_or_snapshot() -> None:
    assert client_counted_calls({"api_calls": {"a": 2, "b": 3}}, None) == 5
    assert client_counted_calls({"api_calls": 7}, None) == 7
    assert client_counted_calls({}, {"snapshot": {"api_calls": {"iam:X": 4}}}) == 4
    assert client_counted_calls({"findings": []}, None) is None
    assert client_counted_calls(None, None) is None


def test_markdown_table() -> None:
    results = [
        Measurement(
            users=n,
            roles=n // 5,
            api_calls=3,
            calls_by_operation={"iam:GetCredentialReport": 1, "sts:GetCallerIdentity": 2},
            client_counted_calls=None if n == 10 else 3,
            wall_seconds=1.25,
            peak_rss_bytes=150 * 2**20,
            exit_code=1,
            findings=n,
        )
        for n in (10, 20)
    ]
    lines = markdown_table(results).splitlines()
    assert lines[2] == "| 10 | 2 | 3 | 1 | – | 10 | 1.2 | 150 | 1 |"
    assert lines[3] == "| 20 | 4 | 3 | 1 | 3 | 20 | 1.2 | 150 | 1 |"
    assert "| `sts:GetCallerIdentity` | 2 | 2 |" in lines


def test_measure_counts_what_the_cli_asked_for(tmp_path: Path) -> None:
    fake = tmp_path / "fake_cli.py"
    fake.write_text(FAKE_CLI)
    result = measure(50, roles=5, cli=[sys.executable, str(fake)])
    assert result.calls_by_operation == {
        "access-analyzer:ListAnalyzers": 2,
        "iam:GetAccountSummary": 1,
        "iam:ListUsers": 1,
    }
    assert (result.api_calls, result.iam_calls, result.client_counted_calls) == (4, 2, 4)
    assert result.findings == 50  # the CLI saw the bulk-built account
    assert 0 < result.virtual_mfa_devices < 50  # its MFA users' devices, really there
    assert (result.users, result.roles, result.exit_code) == (50, 5, 1)
    assert result.peak_rss_bytes is not None and result.peak_rss_bytes > 0


def test_measure_fails_loudly_when_the_audit_did_not_run(tmp_path: Path) -> None:
    fake = tmp_path / "broken_cli.py"
    fake.write_text("import sys; print('no credentials', file=sys.stderr); sys.exit(2)")
    with pytest.raises(RuntimeError, match="exited 2:\nno credentials"):
        measure(3, cli=[sys.executable, str(fake)])


def _sized(users: int, devices: int, virtual_mfa_calls: int, summary: int = 1) -> Measurement:
    return Measurement(
        users=users,
        roles=0,
        api_calls=0,
        calls_by_operation={
            "access-analyzer:ListAnalyzers": 17,
            "iam:GetAccountSummary": summary,
            "iam:ListVirtualMFADevices": virtual_mfa_calls,
        },
        client_counted_calls=None,
        wall_seconds=1.0,
        peak_rss_bytes=None,
        exit_code=1,
        virtual_mfa_devices=devices,
    )


def test_pages_are_those_moto_answers_at_the_largest_page() -> None:
    assert [pages(n) for n in (0, 17, 999, 1000, 1500)] == [1, 1, 1, 2, 2]


def test_unexplained_growth_names_iam_calls_that_grow_with_the_account() -> None:
    # A second page for 1,700 devices is the size, not a regression.
    assert unexplained_growth([_sized(100, 17, 1), _sized(10000, 1700, 2)]) == []
    # Devices listed 100 a page: 855 of them cost 9 calls.
    assert unexplained_growth([_sized(100, 17, 1), _sized(5000, 855, 9)]) == [
        "iam:ListVirtualMFADevices: 9 calls at 5000 users, 1 expected (855 virtual MFA devices)"
    ]
    grown = unexplained_growth([_sized(5000, 855, 1, summary=5000), _sized(100, 17, 1)])
    assert grown == [
        "iam:GetAccountSummary: 5000 calls at 5000 users, 1 expected (855 virtual MFA devices)"
    ]
    assert unexplained_growth([]) == []
