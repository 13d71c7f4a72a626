"""auditor.report.cis: the control catalog, the status rule, and the CSV/HTML export
parsed back and compared with report.json."""

from __future__ import annotations

import base64
import hashlib
import io
import re
from collections.abc import Iterable, Sequence
from html import unescape
from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from report_samples import ACCOUNT, HOSTILE, Page, make_finding, make_report
from report_versions import read_back

from auditor.checks import all_checks
from auditor.model import CheckMeta, Finding, Report, Status
from auditor.report import Format, RenderOptions, as_bytes, render
from auditor.report.cis import (
    CSV_COLUMNS,
    MAX_RESOURCES,
    Assessment,
    ControlStatus,
    benchmark,
    benchmarks,
    capped,
    control_status,
    covering_checks,
    evaluate,
    parse_compliance,
    render_cis_csv,
    render_cis_html,
)

REGISTRY: list[CheckMeta] = [c.meta for c in all_checks()]
KEYS = ("cis-7.0", "cis-5.0")

# Every recommendation of the IAM section, as the benchmarks number them.
EXPECTED_IDS = {
    "cis-7.0": [f"2.1.{n}" for n in range(1, 7)] + [f"2.{n}" for n in range(2, 22)],
    "cis-5.0": [f"1.{n}" for n in range(1, 22)],
}
# Controls the benchmarks assess automatically (the rest are manual).
EXPECTED_AUTOMATED = {
    "cis-7.0": {f"2.{n}" for n in (4, 5, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18)},
    "cis-5.0": {f"1.{n}" for n in (3, 4, 7, 8, 9, 11, 12, 13, 14, 15, 16, 17, 18, 19)},
}
EXPECTED_LEVEL_2 = {
    "cis-7.0": {f"2.1.{n}" for n in range(1, 7)} | {"2.6", "2.16", "2.19"},
    "cis-5.0": {"1.5", "1.17", "1.20"},
}


def read_csv(content: bytes) -> pd.DataFrame:
    assert content.startswith(b"\xef\xbb\xbf")
    assert b"\r\n" in content
    return pd.read_csv(io.BytesIO(content), encoding="utf-8-sig", dtype=str, keep_default_na=False)


def finding_of(meta: CheckMeta, status: Status, name: str, *, muted: bool = False) -> Finding:
    """A finding of the real check ``meta``, carrying its compliance as the analyzer does."""
    return make_finding(
        meta.id,
        status,
        meta.severity,
        name,
        compliance=meta.compliance,
        muted=muted,
        mute_reason="accepted" if muted else None,
        evidence={"operation": "iam:GetAccountSummary"} if status is Status.ERROR else None,
    )


# --- the catalog ---------------------------------------------------------------------------


@pytest.mark.parametrize("key", KEYS)
def test_catalog_lists_every_control_of_the_iam_section(key: str) -> None:
    bench = benchmark(key)
    ids = [c.id for c in bench.controls]
    assert ids == EXPECTED_IDS[key]
    automated = {c.id for c in bench.controls if c.assessment is Assessment.AUTOMATED}
    assert automated == EXPECTED_AUTOMATED[key]
    assert {c.id for c in bench.controls if c.level == 2} == EXPECTED_LEVEL_2[key]
    assert {c.level for c in bench.controls} == {1, 2}
    assert all(c.title.strip() for c in bench.controls)
    assert "Identity and Access Management" in bench.section


def test_catalog_titles_of_controls_the_checks_name() -> None:
    titles = {c.id: c.title for c in benchmark("cis-7.0").controls}
    assert "root" in titles["2.4"] and "access key" in titles["2.4"]
    assert "rotated every 90 days" in titles["2.12"]
    assert "AWSCloudShellFullAccess" in titles["2.20"]
    titles5 = {c.id: c.title for c in benchmark("cis-5.0").controls}
    assert "only one active access key" in titles5["1.12"]
    assert "initial setup" in titles5["1.10"]


@pytest.mark.parametrize("key", KEYS)
def test_every_control_a_check_maps_to_is_in_the_catalog(key: str) -> None:
    bench = benchmark(key)
    known = {c.id for c in bench.controls}
    mapped = {cid for m in REGISTRY for cid in m.compliance.as_dict().get(bench.framework, ())}
    assert mapped, f"no check maps to {key}"
    assert mapped <= known, f"mapped but not in the catalog: {sorted(mapped - known)}"


@pytest.mark.parametrize("key", KEYS)
def test_every_control_no_check_covers_says_what_to_attest(key: str) -> None:
    bench = benchmark(key)
    covering = covering_checks(bench, REGISTRY)
    uncovered = [c for c in bench.controls if not covering[c.id]]
    assert uncovered, "expected some manual-only controls"
    for control in uncovered:
        assert len(control.attest) > 40, control.id


def test_parse_compliance() -> None:
    assert parse_compliance("cis-7.0") == ("cis-7.0",)
    assert parse_compliance(" CIS-5.0 , cis-7.0,cis-5.0") == ("cis-5.0", "cis-7.0")
    assert list(benchmarks()) == ["cis-7.0", "cis-5.0"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("cis-6.0", r"unknown compliance benchmark 'cis-6.0'; expected one of cis-7.0, cis-5.0"),
        ("", r"no compliance benchmark given"),
        ("cis-7.0,,cis-5.0", r"empty compliance benchmark"),
    ],
)
def test_parse_compliance_rejects(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_compliance(text)


# --- the status rule -----------------------------------------------------------------------

OUTCOMES = ("pass", "fail", "muted_fail", "error", "not_run", "empty")


def outcome_findings(meta: CheckMeta, outcome: str) -> list[Finding]:
    """Findings of ``meta`` for one outcome; "empty" ran and found nothing to judge."""
    name = f"user-{meta.id.lower()}"
    if outcome == "pass":
        return [finding_of(meta, Status.PASS, name)]
    if outcome == "fail":
        return [finding_of(meta, Status.PASS, "ok"), finding_of(meta, Status.FAIL, name)]
    if outcome == "muted_fail":
        return [finding_of(meta, Status.FAIL, name, muted=True)]
    if outcome == "error":
        return [finding_of(meta, Status.ERROR, ACCOUNT)]
    return []


def outcome_report(outcomes: dict[str, str]) -> Report:
    """Every registry check with its outcome; "not_run" checks are missing from the report."""
    metas = [m for m in REGISTRY if outcomes[m.id] != "not_run"]
    findings = [f for m in metas for f in outcome_findings(m, outcomes[m.id])]
    return make_report(findings, checks=metas)


def expected_status(covering: Sequence[str], outcomes: dict[str, str]) -> str:
    """The rule, written out independently of the implementation."""
    if not covering:
        return "MANUAL"
    seen = {outcomes[c] for c in covering}
    if "fail" in seen:
        return "FAIL"
    if "error" in seen:
        return "ERROR"
    if "not_run" in seen:
        return "NOT RUN"
    return "PASS"


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(OUTCOMES), min_size=len(REGISTRY), max_size=len(REGISTRY)))
def test_every_control_status_follows_the_rule(drawn: list[str]) -> None:
    outcomes = {m.id: o for m, o in zip(REGISTRY, drawn, strict=True)}
    report = outcome_report(outcomes)
    for key in KEYS:
        bench = benchmark(key)
        mapped: dict[str, list[str]] = {c.id: [] for c in bench.controls}
        for meta in REGISTRY:
            for cid in meta.compliance.as_dict().get(bench.framework, ()):
                mapped[cid].append(meta.id)
        for result in evaluate(report, bench):
            covering = mapped[result.control.id]
            assert sorted(result.checks) == sorted(covering)
            assert result.status.value == expected_status(covering, outcomes), result.control.id
            assert result.failed == sum(outcomes[c] == "fail" for c in covering)
            assert result.muted == sum(outcomes[c] == "muted_fail" for c in covering)
            assert result.errors == sum(outcomes[c] == "error" for c in covering)
            assert set(result.not_run) == {c for c in covering if outcomes[c] == "not_run"}


def test_status_rule_edge_cases() -> None:
    meta = next(m for m in REGISTRY if m.id == "KEY-002")
    fail = finding_of(meta, Status.FAIL, "bob")
    error = finding_of(meta, Status.ERROR, ACCOUNT)
    muted = finding_of(meta, Status.FAIL, "carol", muted=True)
    assert control_status([], ["KEY-002"], [fail]) is ControlStatus.MANUAL
    assert control_status(["KEY-002"], ["KEY-002"], [error, fail]) is ControlStatus.FAIL
    assert control_status(["KEY-002"], ["KEY-002"], [muted, error]) is ControlStatus.ERROR
    assert control_status(["KEY-002"], ["KEY-002"], [muted]) is ControlStatus.PASS
    assert control_status(["KEY-002"], ["KEY-002"], []) is ControlStatus.PASS
    assert control_status(["KEY-002", "PWD-001"], ["KEY-002"], []) is ControlStatus.NOT_RUN
    # A FAIL stands even when another covering check did not run.
    assert control_status(["KEY-002", "PWD-001"], ["KEY-002"], [fail]) is ControlStatus.FAIL


def test_partly_run_control_is_not_run_and_says_which_check() -> None:
    pwd1 = next(m for m in REGISTRY if m.id == "PWD-001")
    report = make_report([finding_of(pwd1, Status.PASS, ACCOUNT)], checks=[pwd1])
    rows = {r.control.id: r for r in evaluate(report, benchmark("cis-7.0"))}
    assert rows["2.8"].status is ControlStatus.NOT_RUN
    assert rows["2.8"].not_run == ("PWD-002",)
    assert "Not run: PWD-002" in rows["2.8"].notes
    assert rows["2.12"].status is ControlStatus.NOT_RUN


def test_manual_control_checked_by_a_check_says_so() -> None:
    root3 = next(m for m in REGISTRY if m.id == "ROOT-003")
    report = make_report([finding_of(root3, Status.PASS, ACCOUNT)], checks=[root3])
    row = {r.control.id: r for r in evaluate(report, benchmark("cis-7.0"))}["2.6"]
    assert row.control.assessment is Assessment.MANUAL
    assert row.status is ControlStatus.PASS
    assert "checks it with ROOT-003" in row.notes


# --- the CSV, parsed back ------------------------------------------------------------------


def mixed_report() -> Report:
    """Real checks' metadata, a mix of outcomes, some checks not run, one ERROR."""
    by_id = {m.id: m for m in REGISTRY}
    outcomes = {m.id: "pass" for m in REGISTRY}
    outcomes.update(
        {"KEY-002": "fail", "USER-001": "muted_fail", "PWD-002": "error", "AA-001": "not_run"}
    )
    report = outcome_report(outcomes)
    # More failing users than the export names in a cell.
    extra = [finding_of(by_id["KEY-002"], Status.FAIL, f"u{i:02d}") for i in range(12)]
    return make_report([*report.findings, *extra], checks=report.checks)


def json_controls(report_json: dict[str, Any], framework: str) -> dict[str, dict[str, Any]]:
    """Per control: counts and failing resource names, straight from report.json."""
    out: dict[str, dict[str, Any]] = {}
    for f in report_json["findings"]:
        for cid in f["compliance"].get(framework, []):
            row = out.setdefault(cid, {"PASS": 0, "FAIL": 0, "ERROR": 0, "muted": 0, "names": []})
            if f["muted"]:
                row["muted"] += 1
                continue
            row[f["status"]] += 1
            if f["status"] == "FAIL" and f["resource_name"] not in row["names"]:
                row["names"].append(f["resource_name"])
    return out


@pytest.mark.parametrize("key", KEYS)
def test_csv_parsed_back_agrees_with_report_json(key: str) -> None:
    report = mixed_report()
    data = read_back(report)
    frame = read_csv(render_cis_csv(report, key))
    bench = benchmark(key)
    assert list(frame.columns) == list(CSV_COLUMNS)
    assert list(frame["control_id"]) == [c.id for c in bench.controls]
    per_control = json_controls(data, bench.framework)
    run = {c["id"] for c in data["checks"]}
    for row in frame.to_dict("records"):
        counts = per_control.get(row["control_id"])
        checks = row["checks"].split("; ") if row["checks"] else []
        if counts is None:
            assert row["failed"] == row["passed"] == row["errors"] == "0"
        else:
            assert int(row["passed"]) == counts["PASS"]
            assert int(row["failed"]) == counts["FAIL"]
            assert int(row["errors"]) == counts["ERROR"]
            assert int(row["muted"]) == counts["muted"]
            assert row["failing_resources"] == capped(counts["names"])
        expected = (
            "MANUAL"
            if not checks
            else "FAIL"
            if counts and counts["FAIL"]
            else "ERROR"
            if counts and counts["ERROR"]
            else "NOT RUN"
            if not set(checks) <= run
            else "PASS"
        )
        assert row["status"] == expected, row["control_id"]
        assert row["benchmark"] == f"{bench.name} v{bench.version}"
        assert row["account_id"] == data["account_id"]
        assert row["generated_at"] == data["generated_at"]
        assert row["tool_version"] == data["tool"]["version"]
        assert row["audit_complete"] == str(data["complete"]).lower()
    assert set(frame["status"]) >= {"FAIL", "ERROR", "NOT RUN", "MANUAL", "PASS"}


def test_csv_caps_failing_resources() -> None:
    frame = read_csv(render_cis_csv(mixed_report(), "cis-7.0"))
    cell = frame.set_index("control_id").loc["2.12", "failing_resources"]
    names = cell.split(" and ")[0].split(", ")
    assert len(names) == MAX_RESOURCES
    # user-key-002 plus u00..u11: 13 failing resources, 10 named.
    assert cell.endswith(" and 3 more")
    assert capped(["a", "b"], 5) == "a, b"
    assert capped([f"n{i}" for i in range(7)], 5) == "n0, n1, n2, n3, n4 and 2 more"


def test_csv_manual_rows_say_what_to_attest() -> None:
    frame = read_csv(render_cis_csv(mixed_report(), "cis-7.0")).set_index("control_id")
    assert frame.loc["2.3", "status"] == "MANUAL"
    assert "Alternate contacts" in frame.loc["2.3", "notes"]
    assert frame.loc["2.18", "status"] == "NOT RUN"
    assert "AA-001" in frame.loc["2.18", "notes"]
    assert "muted FAIL" in frame.loc["2.10", "notes"]
    assert frame.loc["2.8", "status"] == "ERROR"
    assert "iam:GetAccountSummary" in frame.loc["2.8", "notes"]


@pytest.mark.parametrize("payload", HOSTILE)
def test_csv_neutralises_hostile_resource_names(payload: str) -> None:
    meta = next(m for m in REGISTRY if m.id == "KEY-002")
    report = make_report([finding_of(meta, Status.FAIL, payload)], checks=[meta])
    frame = read_csv(render_cis_csv(report, "cis-7.0")).set_index("control_id")
    cell = frame.loc["2.12", "failing_resources"]
    if payload.startswith("="):
        assert cell == "'" + payload
    else:
        assert cell == payload


# --- the HTML -------------------------------------------------------------------------------


def control_rows(page: Page) -> list[dict[str, str]]:
    rows = []
    for tr in page.all("tr", "control"):
        cells = [
            e for e in page.elements if e.tag == "td" and e.ancestors and e.ancestors[-1] is tr
        ]
        rows.append(
            {
                "id": tr.attrs["data-control"] or "",
                "status": tr.attrs["data-status"] or "",
                "cells": "|".join(c.full_text() for c in cells),
            }
        )
    return rows


@pytest.mark.parametrize("key", KEYS)
def test_html_agrees_with_the_csv(key: str) -> None:
    report = mixed_report()
    frame = read_csv(render_cis_csv(report, key))
    html = render_cis_html(report, key).decode("utf-8")
    page = Page(html)
    rows = control_rows(page)
    assert [r["id"] for r in rows] == list(frame["control_id"])
    assert [r["status"] for r in rows] == list(frame["status"])
    assert (page.by_id("account") or pytest.fail("no account")).full_text() == ACCOUNT
    assert (page.by_id("complete") or pytest.fail("no status")).full_text() == "incomplete"
    assert (page.by_id("tool") or pytest.fail("no tool")).full_text() == "iam-auditor 9.8.7"
    counts = {
        e.attrs["data-status"]: int(e.full_text())
        for e in page.all("td")
        if "data-status" in e.attrs
    }
    assert set(counts) == {s.value for s in ControlStatus}
    assert counts == {status: int((frame["status"] == status).sum()) for status in counts}
    rotation = "2.12" if key == "cis-7.0" else "1.13"
    assert "and 3 more" in next(r["cells"] for r in rows if r["id"] == rotation)


def test_html_is_self_contained_and_escapes_hostile_names() -> None:
    meta = next(m for m in REGISTRY if m.id == "KEY-002")
    report = make_report([finding_of(meta, Status.FAIL, p) for p in HOSTILE], checks=[meta])
    html = render_cis_html(report, "cis-7.0").decode("utf-8")
    assert "<script" not in html
    assert "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html)
    assert csp is not None
    policy = unescape(csp.group(1))
    assert "default-src 'none'" in policy
    assert "script-src 'none'" in policy
    style = Page(html).all("style")[0].full_text()
    digest = base64.b64encode(hashlib.sha256(style.encode("utf-8")).digest()).decode("ascii")
    assert f"style-src 'sha256-{digest}'" in policy
    assert "http://" not in html and "https://" not in html
    row = next(r for r in control_rows(Page(html)) if r["id"] == "2.12")
    assert all(p in row["cells"] for p in HOSTILE)


def test_render_writes_two_files_per_benchmark() -> None:
    report = mixed_report()
    files = as_bytes(render(report, [Format.CIS], RenderOptions(compliance=("cis-5.0", "cis-7.0"))))
    assert list(files) == ["cis-5.0.csv", "cis-5.0.html", "cis-7.0.csv", "cis-7.0.html"]
    assert files["cis-7.0.csv"] == render_cis_csv(report, "cis-7.0")
    assert list(render(report, [Format.CIS])) == ["cis-7.0.csv", "cis-7.0.html"]


def _ids(results: Iterable[Any]) -> list[str]:
    return [r.control.id for r in results]


def test_report_without_metadata_still_maps_findings() -> None:
    meta = next(m for m in REGISTRY if m.id == "KEY-002")
    report = make_report([finding_of(meta, Status.FAIL, "bob")])
    rows = {r.control.id: r for r in evaluate(report, benchmark("cis-5.0"))}
    assert rows["1.13"].status is ControlStatus.FAIL
    assert rows["1.13"].failing_resources == ("bob",)
    assert _ids(rows.values()) == EXPECTED_IDS["cis-5.0"]
