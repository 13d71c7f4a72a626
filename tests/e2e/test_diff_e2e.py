"""Run-to-run diff end to end: two audits of one moto account, a key rotated and MFA enabled.

The account is built so that between the two audits exactly two things change: user
``rotator`` rotates its old access key (a new key is created and the old one deleted) and
console user ``mfa-user`` enables a virtual MFA device. Everything else (root, the missing
password policy, ``rotator`` being a workload user, no federation) stays failing, so the
diff must list exactly the rotated key's and the user's MFA findings as resolved. The
expected sets are computed from the two report.json files alone, independently of the
diff code, and compared with ``iam-auditor diff --json``, with the ``changes`` that
``audit --baseline`` writes into report.json, and with the HTML "Since last run" rows.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from auditor.demo import moto_account

from .audit_helpers import PASSWORD, AuditRun, audit, one_error_line
from .conftest import AwsClient, OperationLog, RunCli

ROTATOR = "rotator"
MFA_USER = "mfa-user"
# The findings the two changes resolve: (check, user). KEY-002 is the rotated key's age;
# USER-001 / USER-002 are the missing MFA of a console user and of any user.
RESOLVED_BY_CHANGES = {("KEY-002", ROTATOR), ("USER-001", MFA_USER), ("USER-002", MFA_USER)}


def build_account(iam: Any) -> str:
    """Root in order, no password policy; returns ``rotator``'s old key id.

    ``rotator`` is a workload user (keys, no password) whose only key is 200 days old but in
    daily use; ``mfa-user`` signs in to the console every day, without MFA.
    """
    moto_account.set_root_state(
        access_keys_present=False, mfa_enabled=True, password_last_used_days_ago=200
    )
    iam.create_user(UserName=ROTATOR)
    old_key = iam.create_access_key(UserName=ROTATOR)["AccessKey"]["AccessKeyId"]
    moto_account.backdate_user(ROTATOR, created_days_ago=400)
    moto_account.backdate_access_key(ROTATOR, 1, created_days_ago=200, last_used_days_ago=1)

    iam.create_user(UserName=MFA_USER)
    iam.create_login_profile(UserName=MFA_USER, Password=PASSWORD)
    moto_account.backdate_user(MFA_USER, created_days_ago=400)
    moto_account.backdate_password(MFA_USER, last_used_days_ago=1)
    return str(old_key)


def rotate_key_and_enable_mfa(iam: Any, old_key: str) -> None:
    """The two changes: rotate ``rotator``'s key (create, delete the old), MFA for ``mfa-user``."""
    new_key = iam.create_access_key(UserName=ROTATOR)["AccessKey"]["AccessKeyId"]
    iam.delete_access_key(UserName=ROTATOR, AccessKeyId=old_key)
    # The workload switched to the new key, so the user stays in use (not dormant).
    moto_account.backdate_access_key(ROTATOR, new_key, last_used_days_ago=0.01)

    moto_account.add_virtual_mfa(iam, MFA_USER)


def open_ids(report: Mapping[str, Any]) -> set[str]:
    """Unmuted FAIL finding ids: what the diff counts as open, computed without it."""
    return {f["finding_id"] for f in report["findings"] if f["status"] == "FAIL" and not f["muted"]}


def ids(entries: list[dict[str, Any]]) -> set[str]:
    return {e["finding_id"] for e in entries}


class ChangeRows(HTMLParser):
    """The "Since last run" section's presence and its rows' ``data-*`` attributes."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.section = False
        self.rows: list[dict[str, str | None]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "section" and found.get("id") == "since-last-run":
            self.section = True
        if tag == "tr" and found.get("class") == "chg":
            assert self.section, "a change row outside the Since last run section"
            self.rows.append(found)

    def finding_ids(self, change: str) -> set[str | None]:
        return {r["data-finding-id"] for r in self.rows if r["data-change"] == change}


def test_rotated_key_and_new_mfa_are_exactly_the_resolved_findings(
    aws_client: AwsClient, run_cli: RunCli, cli_operations: OperationLog, tmp_path: Path
) -> None:
    iam = aws_client("iam")
    old_key = build_account(iam)
    before = audit(run_cli, tmp_path / "before")
    rotate_key_and_enable_mfa(iam, old_key)
    after = audit(run_cli, tmp_path / "after")
    old, new = _report(before), _report(after)
    old_path, new_path = before.output_dir / "report.json", after.output_dir / "report.json"

    # What must come out, from the two files alone.
    resolved = open_ids(old) - open_ids(new)
    appeared = open_ids(new) - open_ids(old)
    still_open = open_ids(old) & open_ids(new)
    by_id = {f["finding_id"]: f for f in old["findings"]}
    assert {(by_id[i]["check_id"], by_id[i]["resource_name"]) for i in resolved} == (
        RESOLVED_BY_CHANGES
    )
    assert len(resolved) == len(RESOLVED_BY_CHANGES)  # one KEY-002: the one key rotated
    # A virtual device is not phishing-resistant: enabling one makes USER-008 fail.
    new_by_id = {f["finding_id"]: f for f in new["findings"]}
    assert {(new_by_id[i]["check_id"], new_by_id[i]["resource_name"]) for i in appeared} == {
        ("USER-008", MFA_USER)
    }
    assert still_open, "the account keeps failing findings that neither change touches"

    proc = run_cli("diff", old_path, new_path, "--json")
    assert proc.returncode == 0, proc.stderr
    changes = json.loads(proc.stdout)
    assert ids(changes["resolved"]) == resolved
    assert ids(changes["new"]) == appeared
    assert ids(changes["still_open"]) == still_open
    assert changes["counts"] == {
        "new": len(appeared),
        "resolved": len(resolved),
        "still_open": len(still_open),
        "unverified": 0,
    }
    assert {(c["check_id"], c["resource_name"]) for c in changes["resolved"]} == (
        RESOLVED_BY_CHANGES
    )
    assert {c["status_after"] for c in changes["resolved"]} == {"PASS"}
    assert changes["baseline"] == {
        "account_id": old["account_id"],
        "generated_at": old["generated_at"],
        "tool_version": old["tool"]["version"],
    }
    score = changes["score"]
    assert score["before"] == old["score"] and score["after"] == new["score"]
    assert score["change"] == round(new["score"]["value"] - old["score"]["value"], 1)
    assert score["change"] > 0  # three FAILs fixed, one info FAIL added

    text = run_cli("diff", old_path, new_path)
    assert text.returncode == 0, text.stderr
    assert f"{len(appeared)} new, {len(resolved)} resolved, {len(still_open)} still open" in (
        text.stdout
    )
    resolved_lines = text.stdout.split("Resolved findings")[1].strip().splitlines()[1:]
    assert sorted(line.split()[1] for line in resolved_lines) == ["KEY-002", "USER-001", "USER-002"]

    # audit --baseline: the same account again, compared with the first report.
    against = audit(run_cli, tmp_path / "against", "--baseline", old_path)
    assert against.proc.returncode == after.proc.returncode, against.proc.stderr
    assert _report(against)["changes"] == changes
    page = ChangeRows((against.output_dir / "report.html").read_text(encoding="utf-8"))
    assert page.section
    assert page.finding_ids("resolved") == resolved
    assert page.finding_ids("new") == appeared
    # The run without a baseline has no changes in either report.
    assert "changes" not in new
    plain = ChangeRows((after.output_dir / "report.html").read_text(encoding="utf-8"))
    assert not plain.section and not plain.rows


def test_bad_baseline_is_exit_2_before_any_aws_call(
    aws_client: AwsClient, run_cli: RunCli, cli_operations: OperationLog, tmp_path: Path
) -> None:
    aws_client("iam").create_user(UserName="someone")
    bad = tmp_path / "old.json"
    bad.write_text(json.dumps({"schema_version": 3, "findings": []}), encoding="utf-8")

    for baseline, says in ((bad, "schema_version 3"), (tmp_path / "missing.json", "cannot read")):
        proc = run_cli("audit", "--output-dir", tmp_path / "out", "--baseline", baseline)
        line = one_error_line(proc)
        assert "--baseline" in line and says in line, line
        assert cli_operations.runs[-1] == {}  # nothing reached AWS
        assert not (tmp_path / "out").exists()


def _report(run: AuditRun) -> dict[str, Any]:
    assert run.report is not None, run.proc.stderr
    return run.report
