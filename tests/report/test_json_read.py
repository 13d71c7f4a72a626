"""auditor.report.json_read: one reader for report.json of schema_version 1 and 2.

A version-2 file expands to the complete findings version 1 wrote (test_json_report holds
the equality on real analyses); here: version 1 passes through, reading is idempotent,
report order comes back, and every malformed file is one line naming it and the problem.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from report_samples import make_finding, make_meta, make_report
from report_versions import rich_report, v1_dict

from auditor.model import ResourceType, Severity, Status
from auditor.report.json_read import READABLE_VERSIONS, ReportError, read_report
from auditor.report.json_report import render_json


def _v2() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(render_json(rich_report()))
    return data


def test_a_version_1_report_comes_back_as_it_was() -> None:
    v1 = v1_dict(rich_report())
    read = read_report(v1, "old.json")
    assert read == v1
    assert read["findings"][0] is v1["findings"][0]  # not copied


def test_reading_is_idempotent_and_says_version_1() -> None:
    once = read_report(_v2(), "new.json")
    assert once["schema_version"] == 1
    assert read_report(once, "again") == once


def test_report_order_comes_back_across_checks() -> None:
    # The file groups findings by check; read back, every unmuted FAIL comes first, by
    # severity, whatever its check, then ERROR, muted and PASS: version 1's order.
    findings = read_report(_v2(), "r")["findings"]
    assert findings == v1_dict(rich_report())["findings"]
    fails = [f for f in findings if f["status"] == "FAIL" and not f["muted"]]
    assert findings[: len(fails)] == fails
    ranks = [Severity(f["severity"]).rank for f in fails]
    assert ranks == sorted(ranks, reverse=True) and len(set(ranks)) > 1
    assert [f["check_id"] for f in findings if f["status"] == "ERROR"] == ["PWD-001", "AA-001"]


def test_a_version_2_check_entry_reads_as_version_1_wrote_it() -> None:
    checks = {c["id"]: c for c in read_report(_v2(), "r")["checks"]}
    assert checks["KEY-002"]["severity"] == "medium"  # the catalog's, as version 1 said
    assert "catalog_severity" not in checks["KEY-002"]
    assert "severity_reason" not in checks["KEY-002"]


@pytest.mark.parametrize("version", [0, 3, 7, "2", 2.5, True, None])
def test_an_unknown_version_is_refused_naming_the_readable_ones(version: Any) -> None:
    data = {**_v2(), "schema_version": version}
    with pytest.raises(ReportError) as caught:
        read_report(data, "x.json")
    message = str(caught.value)
    if version is None:
        assert message == "x.json: not a report.json (no schema_version)"
    else:
        assert message == (
            f"x.json: report schema_version {version!r} is not supported "
            "(this iam-auditor reads schema_version 1 and 2)"
        )
    assert READABLE_VERSIONS == (1, 2)


def _broken(change: Any) -> dict[str, Any]:
    data = copy.deepcopy(_v2())
    change(data)
    return data


def _first(data: dict[str, Any], check: str = "KEY-002") -> dict[str, Any]:
    finding: dict[str, Any] = data["findings"][check][0]
    return finding


def _set(key: str, value: Any, check: str = "KEY-002") -> Any:
    return lambda d: _first(d, check).__setitem__(key, value)


def _drop(key: str, check: str = "KEY-002") -> Any:
    return lambda d: _first(d, check).pop(key)


def _entry(data: dict[str, Any], check: str = "KEY-002") -> dict[str, Any]:
    entry: dict[str, Any] = next(c for c in data["checks"] if c["id"] == check)
    return entry


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (lambda d: d.pop("checks"), "checks is missing or not a list"),
        (lambda d: d.__setitem__("checks", [1]), "checks[0] is not a JSON object"),
        (lambda d: _entry(d).pop("title"), "checks[2].title is invalid (missing)"),
        (lambda d: _entry(d).__setitem__("severity", "severe"), ".severity is invalid ('severe')"),
        (lambda d: _entry(d).__setitem__("severity", ["high"]), ".severity is invalid (['high'])"),
        (
            lambda d: _entry(d).__setitem__("catalog_severity", 1),
            "checks[2].catalog_severity is invalid (1)",
        ),
        (lambda d: _entry(d).__setitem__("compliance", {"CIS": "1"}), ".compliance is invalid"),
        (lambda d: d["checks"].append(d["checks"][0]), "check PWD-001 appears more than once"),
        (lambda d: d.__setitem__("findings", []), "findings is missing or not an object"),
        (lambda d: d["findings"].__setitem__("KEY-002", {}), "findings.KEY-002 is not a list"),
        (lambda d: d["findings"]["KEY-002"].append(7), "findings.KEY-002[4] is not a JSON object"),
        (_drop("id"), "findings.KEY-002[0].id is invalid (missing)"),
        (_set("status", "OK"), "findings.KEY-002[0].status is invalid ('OK')"),
        (_set("status", ["FAIL"]), "findings.KEY-002[0].status is invalid (['FAIL'])"),
        (_drop("arn"), "findings.KEY-002[0].arn is invalid (missing)"),
        (_set("arn", None), "findings.KEY-002[0].arn is invalid (None)"),
        (_drop("detail"), "findings.KEY-002[0].detail is invalid (missing)"),
        (_set("name", 5), "findings.KEY-002[0].name is invalid (5)"),
        (_set("type", False), "findings.KEY-002[0].type is invalid (False)"),
        (_set("severity", "severe"), "findings.KEY-002[0].severity is invalid ('severe')"),
        (_set("severity_reason", 1), "findings.KEY-002[0].severity_reason is invalid (1)"),
        (_set("muted", "yes"), "findings.KEY-002[0].muted is invalid ('yes')"),
        (_set("mute_reason", []), "findings.KEY-002[0].mute_reason is invalid ([])"),
        (_set("evidence", []), "findings.KEY-002[0].evidence is invalid ([])"),
        (_set("compliance", {"CIS": [1]}), "findings.KEY-002[0].compliance is invalid"),
        (
            lambda d: d["findings"].__setitem__("NEW-001", [{"id": "x", "status": "PASS"}]),
            "findings.NEW-001[0] has no slug and check NEW-001 has no entry in checks",
        ),
        (
            lambda d: d["findings"].__setitem__("<b>\x1b[31m", [1]),
            "findings.<b>?[31m[0] is not a JSON object",
        ),
        (lambda d: d.__setitem__("account_id", ""), "account_id is missing or not a string"),
        (lambda d: d.__setitem__("generated_at", "soon"), "generated_at 'soon' is not a timestamp"),
        (lambda d: d.__setitem__("score", {"value": True}), "score.value is missing"),
        (lambda d: d.pop("tool"), "tool.version is missing or not a string"),
    ],
)
def test_a_broken_version_2_report_is_named_in_one_line(change: Any, says: str) -> None:
    with pytest.raises(ReportError) as caught:
        read_report(_broken(change), "s3://bucket/report.json")
    message = str(caught.value)
    assert message.startswith("s3://bucket/report.json: ")
    assert says in message
    assert "\n" not in message and "\x1b" not in message


def test_the_top_level_must_be_an_object() -> None:
    with pytest.raises(ReportError, match=r"^r\.json: not a report\.json \(the top level"):
        read_report([], "r.json")
    for findings, says in (
        ("x", "findings is missing or not a list"),
        ([3], r"findings\[0\] is not"),
    ):
        with pytest.raises(ReportError, match=says):
            read_report({**v1_dict(rich_report()), "findings": findings}, "old.json")


def test_a_check_without_an_entry_reads_from_its_findings() -> None:
    finding = make_finding(
        "NEW-001",
        Status.FAIL,
        Severity.HIGH,
        "alice",
        base_severity=Severity.LOW,
        resource_type=ResourceType.ROLE,
        severity_reason="why",
    )
    report = make_report([finding], checks=[make_meta("USER-001")])
    (row,) = read_report(json.loads(render_json(report)), "r")["findings"]
    assert row == v1_dict(report)["findings"][0]
    assert (row["severity"], row["base_severity"], row["resource_type"]) == (
        "high",
        "low",
        "AwsIamRole",
    )
