"""auditor.report.ocsf: every event parses into py-ocsf-models' DetectionFinding, loses
nothing doing so, and says what report.json says."""

from __future__ import annotations

import json
from typing import Any

import pytest
from py_ocsf_models import OCSF_VERSION as LIBRARY_OCSF_VERSION
from py_ocsf_models.events.findings.detection_finding import DetectionFinding
from report_samples import HOSTILE, make_report, whole_json_array
from report_versions import read_back

from auditor.model import Report, Severity
from auditor.report import FILENAMES, Format, RenderOptions, as_bytes, render
from auditor.report.common import ordered_findings
from auditor.report.ocsf import OCSF_VERSION, finding_to_ocsf, render_ocsf, stream_ocsf

SEVERITY_IDS = {"info": 1, "low": 2, "medium": 3, "high": 4, "critical": 5}


def events(report: Report, region: str = "eu-west-1") -> list[dict[str, Any]]:
    content = render_ocsf(report, region=region)
    assert content.endswith(b"\n")
    parsed = json.loads(content)
    assert isinstance(parsed, list)
    return parsed


def key_paths(value: Any, prefix: str = "") -> set[str]:
    """Every ``a.b.c`` path to a non-null value, lists flattened (``a[].b``)."""
    if isinstance(value, dict):
        out: set[str] = set()
        for key, item in value.items():
            if item is not None:
                out |= {f"{prefix}{key}"} | key_paths(item, f"{prefix}{key}.")
        return out
    if isinstance(value, list):
        return set().union(*(key_paths(item, prefix[:-1] + "[].") for item in value))
    return set()


def test_schema_version_is_the_librarys() -> None:
    assert OCSF_VERSION == LIBRARY_OCSF_VERSION


@pytest.mark.parametrize("fixture", ["checks_report", "hostile_report"])
def test_every_event_is_a_valid_detection_finding(
    fixture: str, request: pytest.FixtureRequest
) -> None:
    report: Report = request.getfixturevalue(fixture)
    items = events(report)
    assert len(items) == len(report.findings)
    for item in items:
        model = DetectionFinding.model_validate(item)
        assert model.class_uid == 2004
        assert model.category_uid == 2
        assert int(model.activity_id) == 1
        assert int(model.type_uid) == 200401
        # Nothing was silently dropped as unknown: the model gives every field back.
        dumped = model.model_dump(mode="json", exclude_none=True)
        missing = key_paths(item) - key_paths(dumped)
        assert not missing, f"fields DetectionFinding does not know: {sorted(missing)}"


def test_events_agree_with_report_json(checks_report: Report) -> None:
    data = read_back(checks_report)
    items = events(checks_report, region="eu-west-1")
    assert [e["finding_info"]["uid"] for e in items] == [f["finding_id"] for f in data["findings"]]
    for event, finding in zip(items, data["findings"], strict=True):
        assert event["status_code"] == finding["status"]
        assert event["severity_id"] == SEVERITY_IDS[finding["severity"]]
        assert event["severity"].lower().startswith(finding["severity"])
        assert (event["status_id"], event["status"]) == (
            (3, "Suppressed") if finding["muted"] else (1, "New")
        )
        if finding["muted"]:
            assert event["status_detail"] == finding["mute_reason"]
        else:
            assert event["status_detail"] == finding["detail"]
        assert event["finding_info"]["title"] == finding["title"]
        assert event["finding_info"]["desc"] == finding["detail"]
        [resource] = event["resources"]
        assert resource["uid"] == finding["resource_arn"]
        assert resource["name"] == finding["resource_name"]
        assert resource["type"] == finding["resource_type"]
        assert resource["cloud_partition"] == data["partition"]
        assert event["cloud"]["account"]["uid"] == data["account_id"]
        assert event["cloud"] | {"account": None} == {
            "provider": "AWS",
            "region": "eu-west-1",
            "account": None,
        }
        assert event["metadata"]["product"] == {
            "name": "iam-auditor",
            "vendor_name": "iam-auditor",
            "version": data["tool"]["version"],
        }
        assert event["metadata"]["event_code"] == finding["check_id"]
        assert event["remediation"]["desc"] == finding["remediation"]
        assert event["unmapped"]["compliance"] == finding["compliance"]
        assert event["unmapped"]["evidence"] == finding["evidence"]
        assert event["unmapped"]["check_id"] == finding["check_id"]
        assert event["time_dt"] == data["generated_at"]


def test_time_is_epoch_milliseconds(make_report: Any, make_finding: Any) -> None:
    report = make_report([make_finding()])
    [event] = events(report)
    assert event["time"] == int(report.generated_at.timestamp()) * 1000
    assert event["finding_info"]["created_time"] == event["time"]


def test_raised_severity_keeps_its_base_and_reason(checks_report: Report) -> None:
    raised = next(f for f in checks_report.findings if f.severity is not f.base_severity)
    event = next(e for e in events(checks_report) if e["finding_info"]["uid"] == raised.finding_id)
    assert event["severity"] == "High"
    assert event["unmapped"]["base_severity"] == Severity.MEDIUM.value
    assert event["unmapped"]["severity_reason"] == raised.severity_reason


def test_hostile_strings_are_data(hostile_report: Report) -> None:
    items = events(hostile_report)
    names = {e["resources"][0]["name"] for e in items}
    assert names == set(HOSTILE)


def test_empty_report_is_an_empty_array() -> None:
    assert render_ocsf(make_report([]), region="us-east-1") == b"[]\n"


def test_render_uses_the_options_region(checks_report: Report) -> None:
    files = as_bytes(render(checks_report, [Format.OCSF], RenderOptions(region="ap-south-1")))
    assert list(files) == [FILENAMES[Format.OCSF]] == ["report.ocsf.json"]
    assert {e["cloud"]["region"] for e in json.loads(files["report.ocsf.json"])} == {"ap-south-1"}


def test_stream_is_the_whole_array_on_the_demo_report(demo_report: Report) -> None:
    """Byte for byte the array made whole, and the same events once parsed."""
    expected = [
        finding_to_ocsf(demo_report, f, region="eu-west-1")
        for f in ordered_findings(demo_report.findings)
    ]
    chunks = list(stream_ocsf(demo_report, region="eu-west-1"))
    assert len(chunks) > 1
    assert b"".join(chunks) == whole_json_array(expected)
    assert json.loads(b"".join(chunks)) == expected == events(demo_report)
