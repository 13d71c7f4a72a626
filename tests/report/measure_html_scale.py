"""Render a 5,000-user account (60,000 findings) and print sizes and render times; then
fold 5,001 attack paths into the HTML report's "Attack paths" view and print how long it took.

Not a test (no timing is asserted anywhere): run it by hand when changing a renderer or
the template, from the repository root:

    .venv/bin/python tests/report/measure_html_scale.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

# tests/report for the samples, tests/ for the factories they build on.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from attack_path_samples import five_thousand_user_paths
from report_samples import make_finding, make_meta, make_report

from auditor.model import CheckMeta, Compliance, Finding, Severity, Status
from auditor.report import Format, as_bytes, render
from auditor.report.attack_paths import attack_paths_view

USERS = 5_000
CHECKS = [
    ("USER-001", Severity.HIGH), ("USER-002", Severity.LOW), ("USER-003", Severity.MEDIUM),
    ("USER-004", Severity.LOW), ("USER-005", Severity.LOW), ("USER-006", Severity.LOW),
    ("USER-007", Severity.LOW), ("USER-008", Severity.INFO), ("KEY-001", Severity.MEDIUM),
    ("KEY-002", Severity.MEDIUM), ("KEY-003", Severity.LOW), ("KEY-004", Severity.LOW),
]  # fmt: skip


def findings() -> list[Finding]:
    out = []
    for u in range(USERS):
        name = f"user-{u:05d}"
        for c, (check_id, severity) in enumerate(CHECKS):
            failing = (u * 7 + c) % 5 == 0  # about 20% FAIL
            out.append(
                make_finding(
                    check_id,
                    Status.FAIL if failing else Status.PASS,
                    severity,
                    resource_name=name,
                    title=f"{check_id}: a check title about as long as the real ones are",
                    detail=(
                        f"Access key 1 (AKIA…{u:04d}) of {name} is 120 days old; limit is 90."
                        if failing
                        else f"{name} complies."
                    ),
                    evidence={"key": 1, "age_days": 120} if failing else {"age_days": 10},
                    remediation="Rotate the key: create a new one, switch, deactivate, delete.",
                    compliance=Compliance(cis_7=("2.12",), fsbp=("IAM.3",)),
                )
            )
    return out


def checks() -> list[CheckMeta]:
    """Metadata about as long as the real catalog's (shown once per check, not per finding)."""
    return [
        make_meta(
            check_id,
            severity,
            title=f"{check_id}: a check title about as long as the real ones are",
            rationale="A sentence or three on the risk the check guards against. " * 3,
            remediation="IAM console > Users > the user > Security credentials > the fix.",
            remediation_cli="aws iam update-access-key --user-name USER_NAME "
            "--access-key-id ACCESS_KEY_ID --status Inactive",
            references=(
                "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html",
                "https://docs.aws.amazon.com/securityhub/latest/userguide/iam-controls.html",
            ),
            compliance=Compliance(cis_7=("2.12",), fsbp=("IAM.3",)),
        )
        for check_id, severity in CHECKS
    ]


def main() -> None:
    report = make_report(findings(), checks=checks())
    print(f"{len(report.findings):,} findings, {report.summary()}")
    for fmt in Format:
        start = time.perf_counter()
        content = as_bytes(render(report, [fmt]))
        elapsed = time.perf_counter() - start
        size = sum(len(v) for v in content.values())
        print(f"{fmt.value:5} {size / 1e6:7.1f} MB  {elapsed:6.2f} s")
    paths = make_report(five_thousand_user_paths())
    start = time.perf_counter()
    attack_paths_view(paths)
    elapsed = time.perf_counter() - start
    print(f"attack-path view of {len(paths.findings):,} paths  {elapsed:6.2f} s")


if __name__ == "__main__":
    main()
