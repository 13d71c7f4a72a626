"""auditor.diff: classifying findings across two reports, validation, text, and the CLI.

Reports are written here as plain report.json dicts of schema_version 1 (what a file of an
earlier release holds), so the diff is tested against the documented shape rather than
through the renderer; further tests check that ``diff_against`` (a live Report) agrees
with diffing the rendered JSON, and that any mix of version 1 and version 2 files gives
the same diff as two version-1 files.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import factories
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from report_versions import v1_dict

from auditor import cli
from auditor.analyze import analyze, selected_checks
from auditor.config import Settings
from auditor.diff import (
    DiffError,
    diff_against,
    diff_reports,
    diff_text,
    load_report,
    state_label,
    validate_report,
)
from auditor.model import Gap, Severity, Source, Status, Tool
from auditor.report.json_read import read_report
from auditor.report.json_report import changes_to_dict, render_json
from auditor.snapshot import dumps

ACCOUNT = "123456789012"
OTHER_ACCOUNT = "210987654321"


def finding(
    name: str,
    status: str = "FAIL",
    *,
    check: str = "KEY-002",
    severity: str = "medium",
    muted: bool = False,
    title: str | None = None,
) -> dict[str, Any]:
    """A report.json finding; its id depends only on check and resource, as in real runs."""
    return {
        "finding_id": f"{check}/{name}",
        "check_id": check,
        "slug": "slug",
        "title": title or f"Title of {check}",
        "severity": severity,
        "status": status,
        "muted": muted,
        "mute_reason": "accepted" if muted else None,
        "resource_type": "AwsIamUser",
        "resource_arn": f"arn:aws:iam::{ACCOUNT}:user/{name}",
        "resource_name": name,
        "detail": f"{check} {status} on {name}",
        "evidence": {},
        "remediation": "Fix it.",
        "compliance": {},
    }


def report(
    findings: Iterable[dict[str, Any]],
    *,
    account: str = ACCOUNT,
    score: float = 70.0,
    grade: str = "C",
    generated_at: str = "2026-11-23T10:00:00Z",
    version: str = "1.0.0",
) -> dict[str, Any]:
    """A report.json document with the keys the diff reads (and a few it ignores)."""
    return {
        "schema_version": 1,
        "tool": {"name": "iam-auditor", "version": version},
        "account_id": account,
        "partition": "aws",
        "generated_at": generated_at,
        "credential_report_generated_at": None,
        "complete": True,
        "score": {"value": score, "grade": grade},
        "summary": {},
        "gaps": [],
        "findings": list(findings),
    }


def fids(changes: Iterable[Any]) -> list[str]:
    return [c.finding_id for c in changes]


# --- classification ---------------------------------------------------------------------


def test_fail_to_pass_disappeared_appeared_and_still_open() -> None:
    old = report(
        [
            finding("fixed"),
            finding("deleted"),
            finding("kept"),
            finding("was-fine", "PASS"),
            finding("fine", "PASS"),
        ]
    )
    new = report(
        [
            finding("fixed", "PASS"),
            finding("kept"),
            finding("was-fine"),
            finding("fine", "PASS"),
            finding("appeared"),
        ]
    )
    diff = diff_reports(old, new)

    assert fids(diff.resolved) == ["KEY-002/deleted", "KEY-002/fixed"]
    assert fids(diff.new) == ["KEY-002/appeared", "KEY-002/was-fine"]
    assert fids(diff.still_open) == ["KEY-002/kept"]
    states = {
        c.resource_name: (c.status_before, c.status_after)
        for c in (*diff.new, *diff.resolved, *diff.still_open)
    }
    assert states == {
        "fixed": (Status.FAIL, Status.PASS),
        "deleted": (Status.FAIL, None),
        "appeared": (None, Status.FAIL),
        "was-fine": (Status.PASS, Status.FAIL),
        "kept": (Status.FAIL, Status.FAIL),
    }
    assert diff.counts() == {"new": 2, "resolved": 2, "still_open": 1, "unverified": 0}


def test_muting_resolves_and_unmuting_reopens() -> None:
    old = report(
        [
            finding("now-muted"),
            finding("unmuted", muted=True),
            finding("muted-both", muted=True),
            finding("muted-pass", "PASS", muted=True),
        ]
    )
    new = report(
        [
            finding("now-muted", muted=True),
            finding("unmuted"),
            finding("muted-both", muted=True),
            finding("muted-pass", muted=True),
        ]
    )
    diff = diff_reports(old, new)

    (resolved,) = diff.resolved
    assert (resolved.resource_name, resolved.status_after, resolved.muted_after) == (
        "now-muted",
        Status.FAIL,
        True,
    )
    assert resolved.muted_before is False
    (new_one,) = diff.new
    assert (new_one.resource_name, new_one.status_before, new_one.muted_before) == (
        "unmuted",
        Status.FAIL,
        True,
    )
    assert diff.still_open == ()
    assert state_label(resolved.status_after, resolved.muted_after) == "muted"
    assert state_label(None, False) == "absent"
    assert state_label(Status.PASS, False) == "PASS"


def test_error_after_is_unverified_never_resolved() -> None:
    diff = diff_reports(report([finding("alice")]), report([finding("alice", "ERROR")]))
    assert diff.resolved == ()
    (change,) = diff.unverified
    assert change.status_after is Status.ERROR
    text = diff_text(diff)
    assert "0 new, 0 resolved, 0 still open, 1 unverified" in text
    assert "its check could not look this time: not known to be fixed" in text


def test_a_finding_gone_because_its_check_errored_is_unverified() -> None:
    # Per-user findings vanish when their check reports one account-level ERROR instead.
    old = report([finding("alice"), finding("bob", check="USER-002")])
    new = report([finding("account", "ERROR"), finding("carol", "PASS", check="USER-002")])
    diff = diff_reports(old, new)
    assert fids(diff.unverified) == ["KEY-002/alice"]
    assert fids(diff.resolved) == ["USER-002/bob"]


def test_severity_comes_from_the_run_where_the_finding_fails_and_orders_the_lists() -> None:
    old = report(
        [
            finding("a", check="USER-002", severity="low"),
            finding("b", check="ROOT-001", severity="critical"),
            finding("c", check="KEY-002", severity="medium"),
            finding("raised", check="KEY-002", severity="medium"),
            finding("c", check="KEY-001", severity="medium"),
        ]
    )
    new = report([finding("raised", check="KEY-002", severity="high")])
    diff = diff_reports(old, new)

    assert [(c.severity, c.check_id) for c in diff.resolved] == [
        (Severity.CRITICAL, "ROOT-001"),
        (Severity.MEDIUM, "KEY-001"),
        (Severity.MEDIUM, "KEY-002"),
        (Severity.LOW, "USER-002"),
    ]
    (still,) = diff.still_open
    assert still.severity is Severity.HIGH
    by = diff.by_severity()
    assert by["resolved"][Severity.MEDIUM] == 2
    assert by["resolved"][Severity.CRITICAL] == 1
    assert by["still_open"] == {s: int(s is Severity.HIGH) for s in Severity}
    assert sum(by["new"].values()) == 0


def test_score_change_and_baseline_details() -> None:
    old = report([], score=60.1, grade="D", generated_at="2026-11-20T08:00:00Z", version="0.9")
    new = report([], score=72.3, grade="C", generated_at="2026-11-23T10:00:00Z")
    diff = diff_reports(old, new)

    assert (diff.score_before.value, diff.score_before.grade) == (60.1, "D")
    assert (diff.score_after.value, diff.score_after.grade) == (72.3, "C")
    assert diff.score_change == 12.2  # rounded: 72.3 - 60.1 is 12.199999... in floats
    assert diff.baseline_generated_at == datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
    assert diff.baseline_tool_version == "0.9"
    worse = diff_reports(new, old)
    assert worse.score_change == -12.2
    assert "Score: 72.3 (C) -> 60.1 (D), change -12.2" in diff_text(worse)


def test_empty_reports_compare_to_nothing() -> None:
    diff = diff_reports(report([]), report([]))
    assert (diff.new, diff.resolved, diff.still_open) == ((), (), ())
    assert "0 new, 0 resolved, 0 still open" in diff_text(diff)


@settings(max_examples=60, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from([f"u{i}" for i in range(12)]),
        st.tuples(
            st.sampled_from(["FAIL", "PASS", "ERROR", None]),
            st.booleans(),
            st.sampled_from(["FAIL", "PASS", "ERROR", None]),
            st.booleans(),
        ),
    )
)
def test_classification_matches_set_arithmetic(
    states: dict[str, tuple[str | None, bool, str | None, bool]],
) -> None:
    old = [finding(n, s, muted=m) for n, (s, m, _, _) in states.items() if s is not None]
    new = [finding(n, s, muted=m) for n, (_, _, s, m) in states.items() if s is not None]
    open_old = {f["finding_id"] for f in old if f["status"] == "FAIL" and not f["muted"]}
    open_new = {f["finding_id"] for f in new if f["status"] == "FAIL" and not f["muted"]}
    # Every finding here is of one check: any ERROR now leaves the vanished ones unverified.
    error_new = {f["finding_id"] for f in new if f["status"] == "ERROR"}
    present_new = {f["finding_id"] for f in new}
    unverified = {
        fid
        for fid in open_old - open_new
        if fid in error_new or (error_new and fid not in present_new)
    }

    diff = diff_reports(report(old), report(new))

    assert set(fids(diff.new)) == open_new - open_old
    assert set(fids(diff.unverified)) == unverified
    assert set(fids(diff.resolved)) == open_old - open_new - unverified
    assert set(fids(diff.still_open)) == open_old & open_new
    assert len(fids(diff.new)) == len(set(fids(diff.new)))


# --- text -----------------------------------------------------------------------------------


def test_text_lists_new_and_resolved_one_per_line_with_their_state() -> None:
    old = report([finding("bob"), finding("gone"), finding("carol", muted=True)], score=50)
    new = report([finding("bob", "PASS"), finding("carol"), finding("dave")], score=55)
    text = diff_text(diff_reports(old, new))
    lines = text.splitlines()

    assert lines[0] == (
        f"Account {ACCOUNT}: changes from 2026-11-23T10:00:00Z (baseline) to 2026-11-23T10:00:00Z"
    )
    assert lines[1] == "Score: 50.0 (C) -> 55.0 (C), change +5.0"
    assert lines[2] == "2 new, 2 resolved, 0 still open"
    new_at, resolved_at = lines.index("New findings (2):"), lines.index("Resolved findings (2):")
    assert [line.split()[2] for line in lines[new_at + 1 : resolved_at]] == ["carol", "dave"]
    assert lines[new_at + 1].endswith("(was muted)")
    assert lines[new_at + 2].endswith("(not in the baseline)")
    assert lines[resolved_at + 1].split()[2] == "bob"
    assert lines[resolved_at + 1].endswith("(now PASS)")
    assert lines[resolved_at + 2].endswith("(gone from the report)")


def test_text_makes_control_characters_visible() -> None:
    hostile = "\x1b[2Jevil\u202e"
    text = diff_text(diff_reports(report([]), report([finding("x", title=hostile)])))
    assert "\x1b" not in text and "\u202e" not in text
    assert "?[2Jevil?" in text


# --- validation -----------------------------------------------------------------------------


def test_reports_of_different_accounts_are_refused() -> None:
    with pytest.raises(DiffError) as caught:
        diff_reports(
            report([finding("a")]),
            report([finding("a")], account=OTHER_ACCOUNT),
            labels=("old.json", "new.json"),
        )
    message = str(caught.value)
    assert "different accounts" in message
    assert f"old.json is of account {ACCOUNT}" in message
    assert f"new.json of account {OTHER_ACCOUNT}" in message


def _without(data: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k != key}


def _bad_finding(**changes: Any) -> dict[str, Any]:
    return report([finding("ok"), {**finding("bad"), **changes}])


@pytest.mark.parametrize(
    ("data", "says"),
    [
        ([], "top level is not a JSON object"),
        (_without(report([]), "schema_version"), "no schema_version"),
        ({**report([]), "schema_version": 3}, "schema_version 3 is not supported"),
        ({**report([]), "schema_version": "1"}, "schema_version '1' is not supported"),
        ({**report([]), "schema_version": True}, "schema_version True is not supported"),
        (_without(report([]), "account_id"), "account_id is missing"),
        ({**report([]), "generated_at": "yesterday"}, "generated_at 'yesterday' is not"),
        (_without(report([]), "generated_at"), "generated_at is missing"),
        ({**report([]), "score": {"value": "high", "grade": "A"}}, "score.value"),
        ({**report([]), "score": {"value": 1.0}}, "score.grade"),
        (_without(report([]), "score"), "score is missing"),
        (_without(report([]), "tool"), "tool.version"),
        (_without(report([]), "findings"), "findings is missing or not a list"),
        ({**report([]), "findings": [1]}, "findings[0] is not a JSON object"),
        (report([_without(finding("a"), "finding_id")]), "findings[0].finding_id is invalid"),
        (_bad_finding(severity="severe"), "findings[1].severity is invalid ('severe')"),
        (_bad_finding(status="OK"), "findings[1].status is invalid ('OK')"),
        (_bad_finding(muted="no"), "findings[1].muted is invalid ('no')"),
        (report([_without(finding("a"), "muted")]), "findings[0].muted is invalid (missing)"),
        (_bad_finding(resource_name=None), "findings[1].resource_name is invalid (None)"),
        (_bad_finding(check_id=7), "findings[1].check_id is invalid (7)"),
        (_bad_finding(muted=1), "findings[1].muted is invalid (1)"),
        (report([finding("a"), finding("a")]), "finding_id KEY-002/a appears more than once"),
    ],
)
def test_invalid_reports_are_named_in_one_line(data: Any, says: str) -> None:
    with pytest.raises(DiffError) as caught:
        validate_report(data, "old.json")
    message = str(caught.value)
    assert message.startswith("old.json: ")
    assert says in message
    assert "\n" not in message
    with pytest.raises(DiffError):
        diff_reports(report([]), data)


def test_load_report_reads_validates_and_names_the_file(tmp_path: Path) -> None:
    good = tmp_path / "good.json"
    good.write_text(json.dumps(report([finding("a")])), encoding="utf-8")
    assert load_report(good)["findings"][0]["finding_id"] == "KEY-002/a"

    cases = {
        "missing.json": (None, "cannot read report"),
        "broken.json": (b'{"schema_version": 1,', "invalid JSON at line 1"),
        "binary.json": (b"\xff\xfe\x00", "not UTF-8"),
        "v3.json": (json.dumps({**report([]), "schema_version": 3}).encode(), "schema_version 3"),
    }
    for name, (content, says) in cases.items():
        path = tmp_path / name
        if content is not None:
            path.write_bytes(content)
        with pytest.raises(DiffError) as caught:
            load_report(path)
        assert str(path) in str(caught.value) and says in str(caught.value), name


# --- a live Report ------------------------------------------------------------------------


def _analyzed(snapshot: Any) -> Any:
    checks = selected_checks(Settings(), None)
    return analyze(snapshot, Settings(), checks, tool=Tool("iam-auditor", "1.2.3"))


def test_diff_against_a_report_equals_diffing_its_rendered_json() -> None:
    before = _analyzed(factories.snapshot(password_policy=None))
    after = _analyzed(
        factories.snapshot(
            password_policy=None,
            credential_report=[factories.cred_row("alice", password=True, mfa=False)],
        )
    )
    baseline = json.loads(render_json(before))

    live = diff_against(baseline, after)
    rendered = diff_reports(baseline, json.loads(render_json(after)))

    assert live == rendered
    assert live.new, "alice's missing MFA is new"
    assert {c.resource_name for c in live.new} == {"alice"}
    assert live.still_open  # the missing password policy


# --- the CLI --------------------------------------------------------------------------------


def _write(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_cli_diff_prints_text_or_the_changes_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = _write(tmp_path / "old.json", report([finding("bob"), finding("kept")], score=40))
    new = _write(tmp_path / "new.json", report([finding("kept"), finding("erin")], score=42))

    assert cli.main(["diff", str(old), str(new)]) == 0
    out = capsys.readouterr().out
    assert "1 new, 1 resolved, 1 still open" in out
    assert "change +2.0" in out

    assert cli.main(["diff", str(old), str(new), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == changes_to_dict(
        diff_reports(json.loads(old.read_text()), json.loads(new.read_text()))
    )
    assert [c["resource_name"] for c in printed["resolved"]] == ["bob"]
    assert [c["resource_name"] for c in printed["new"]] == ["erin"]


@pytest.mark.parametrize(
    ("new_report", "says"),
    [
        (report([], account=OTHER_ACCOUNT), "different accounts"),
        ({**report([]), "schema_version": 7}, "schema_version 7 is not supported"),
        (None, "cannot read report"),
    ],
)
def test_cli_diff_bad_input_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], new_report: Any, says: str
) -> None:
    old = _write(tmp_path / "old.json", report([]))
    new = tmp_path / "new.json"
    if new_report is not None:
        _write(new, new_report)

    assert cli.main(["diff", str(old), str(new)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    (line,) = captured.err.strip().splitlines()
    assert line.startswith("iam-auditor: error: ") and says in line


def test_cli_audit_baseline_writes_changes_and_refuses_another_account(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    snap = tmp_path / "snapshot.json"
    snap.write_text(dumps(factories.snapshot(password_policy=None)), encoding="utf-8")
    common = ["audit", "--from-snapshot", str(snap), "-q", "--format", "json,html"]

    cli.main([*common, "--output-dir", str(tmp_path / "first")])
    written = json.loads((tmp_path / "first" / "report.json").read_text(encoding="utf-8"))
    assert "changes" not in written
    first = read_report(written, "first")
    cli.main(
        [
            *common,
            "--output-dir",
            str(tmp_path / "second"),
            "--baseline",
            str(tmp_path / "first" / "report.json"),
        ]
    )
    second = json.loads((tmp_path / "second" / "report.json").read_text(encoding="utf-8"))
    open_ids = [f["finding_id"] for f in first["findings"] if f["status"] == "FAIL"]
    assert open_ids
    changes = second["changes"]
    assert (changes["new"], changes["resolved"]) == ([], [])
    assert sorted(c["finding_id"] for c in changes["still_open"]) == sorted(open_ids)
    assert changes["baseline"]["generated_at"] == first["generated_at"]
    assert 'id="since-last-run"' in (tmp_path / "second" / "report.html").read_text("utf-8")
    capsys.readouterr()

    other = _write(tmp_path / "other.json", {**written, "account_id": OTHER_ACCOUNT})
    code = cli.main([*common, "--output-dir", str(tmp_path / "third"), "--baseline", str(other)])
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("iam-auditor: error: --baseline: ")
    assert "different accounts" in err and OTHER_ACCOUNT in err
    assert not (tmp_path / "third").exists()


def test_report_changes_are_what_the_json_renders(tmp_path: Path) -> None:
    diff = diff_reports(report([finding("bob")]), report([finding("erin")]))
    base = _analyzed(factories.snapshot(password_policy=None))
    rendered = json.loads(render_json(replace(base, changes=diff)))
    assert rendered["changes"] == changes_to_dict(diff)


# --- versions 1 and 2 ------------------------------------------------------------------------


def _two_runs() -> tuple[Any, Any]:
    """Two analyses of one account with something new, resolved, still open and unverified."""
    old_key = [factories.key(1, age_days=200, used_days_ago=1)]
    before = _analyzed(
        factories.snapshot(
            password_policy=None,
            credential_report=[
                factories.cred_row("alice", password=True, password_used_days_ago=1),
                factories.cred_row("bob", keys=old_key),
                factories.cred_row("carol", keys=old_key),
            ],
        )
    )
    gap = Gap(Source.PASSWORD_POLICY, "iam:GetAccountPasswordPolicy", "AccessDenied", "no")
    after = _analyzed(
        factories.snapshot(
            gaps=[gap],
            credential_report=[
                factories.cred_row("alice", password=True, password_used_days_ago=1, mfa=True),
                factories.cred_row("bob", keys=old_key),
                factories.cred_row("dave", password=True, password_used_days_ago=1),
            ],
        )
    )
    return before, after


def test_version_1_and_version_2_files_diff_alike(tmp_path: Path) -> None:
    before, after = _two_runs()
    files = {
        (version, name): _write(tmp_path / f"{name}-v{version}.json", data)
        for name, run in (("before", before), ("after", after))
        for version, data in ((1, v1_dict(run)), (2, json.loads(render_json(run))))
    }
    reference = diff_reports(v1_dict(before), v1_dict(after))
    counts = reference.counts()
    assert all(counts[k] for k in ("new", "resolved", "still_open", "unverified")), counts
    for old_version in (1, 2):
        for new_version in (1, 2):
            old = load_report(files[old_version, "before"])
            new = load_report(files[new_version, "after"])
            assert diff_reports(old, new) == reference, (old_version, new_version)
            raw_old = json.loads(files[old_version, "before"].read_text(encoding="utf-8"))
            raw_new = json.loads(files[new_version, "after"].read_text(encoding="utf-8"))
            assert diff_reports(raw_old, raw_new) == reference, (old_version, new_version)
        # audit --baseline FILE: the live report against either version of the baseline.
        baseline = load_report(files[old_version, "before"])
        assert diff_against(baseline, after) == reference


def test_cli_diff_of_a_version_1_baseline_and_a_version_2_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before, after = _two_runs()
    old = _write(tmp_path / "old.json", v1_dict(before))
    new = tmp_path / "new.json"
    new.write_bytes(render_json(after))
    assert cli.main(["diff", str(old), str(new), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == changes_to_dict(diff_reports(v1_dict(before), v1_dict(after)))
    assert printed["counts"]["new"] > 0
