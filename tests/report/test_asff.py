"""auditor.report.asff: findings valid for BatchImportFindings (botocore's own model) that
say what report.json says, within Security Hub's field limits."""

from __future__ import annotations

import json
from typing import Any

import botocore.session
import pytest
from botocore.validate import ParamValidator
from report_samples import HOSTILE, make_finding, make_report, whole_json_array
from report_versions import read_back

from auditor.model import Compliance, Report, ResourceType, Status
from auditor.report import Format, RenderOptions, as_bytes, render
from auditor.report.asff import (
    DESCRIPTION_MAX,
    RECOMMENDATION_MAX,
    REQUIREMENTS_MAX,
    TITLE_MAX,
    TYPE_BEST_PRACTICES,
    TYPE_CIS,
    asff_findings,
    finding_to_asff,
    render_asff,
    stream_asff,
    truncate,
)
from auditor.report.common import ordered_findings

LABELS = {"critical": "CRITICAL", "high": "HIGH", "medium": "MEDIUM", "low": "LOW"}
LABELS["info"] = "INFORMATIONAL"
COMPLIANCE = {"PASS": "PASSED", "FAIL": "FAILED", "ERROR": "WARNING"}


def asff(report: Report, region: str = "eu-central-1") -> list[dict[str, Any]]:
    parsed = json.loads(render_asff(report, region=region))
    assert isinstance(parsed, list)
    return parsed


def validation_errors(findings: list[dict[str, Any]]) -> str:
    """What botocore's parameter validation says about ``BatchImportFindings(Findings=...)``."""
    model = botocore.session.get_session().get_service_model("securityhub")
    shape = model.operation_model("BatchImportFindings").input_shape
    report = ParamValidator().validate({"Findings": findings}, shape)
    return report.generate_report() if report.has_errors() else ""


@pytest.mark.parametrize("fixture", ["checks_report", "hostile_report"])
def test_findings_pass_botocores_batch_import_validation(
    fixture: str, request: pytest.FixtureRequest
) -> None:
    report: Report = request.getfixturevalue(fixture)
    findings = asff(report)
    assert len(findings) == len(report.findings)
    assert validation_errors(findings) == ""


def test_validation_catches_a_broken_finding(checks_report: Report) -> None:
    # The validator is strict enough to matter: an unknown field and a wrong type fail.
    [finding] = asff(checks_report)[:1]
    broken = dict(finding, Severity={"Label": 5}, Bogus=1)
    errors = validation_errors([broken])
    assert "Bogus" in errors and "Severity.Label" in errors


def test_findings_agree_with_report_json(checks_report: Report) -> None:
    data = read_back(checks_report)
    findings = asff(checks_report, region="eu-central-1")
    account = data["account_id"]
    assert len(findings) == len(data["findings"])
    for item, finding in zip(findings, data["findings"], strict=True):
        assert item["SchemaVersion"] == "2018-10-08"
        assert item["Id"] == f"iam-auditor/{account}/{finding['check_id']}/{finding['finding_id']}"
        assert item["ProductArn"] == (
            f"arn:aws:securityhub:eu-central-1:{account}:product/{account}/default"
        )
        assert item["GeneratorId"] == f"iam-auditor/{finding['check_id']}"
        assert item["AwsAccountId"] == account
        assert item["CreatedAt"] == item["UpdatedAt"] == data["generated_at"]
        assert item["Severity"]["Label"] == LABELS[finding["severity"]]
        assert item["FindingProviderFields"]["Severity"] == item["Severity"]
        assert item["FindingProviderFields"]["Types"] == item["Types"]
        assert item["Compliance"]["Status"] == COMPLIANCE[finding["status"]]
        assert item["Workflow"]["Status"] == ("SUPPRESSED" if finding["muted"] else "NEW")
        assert item["RecordState"] == "ACTIVE"
        assert item["Title"] == finding["title"]
        assert item["Description"] == finding["detail"]
        assert item["Remediation"]["Recommendation"]["Text"] == finding["remediation"]
        [resource] = item["Resources"]
        assert resource["Id"] == finding["resource_arn"]
        assert resource["Partition"] == data["partition"]
        assert resource["Region"] == "eu-central-1"
        assert resource["Type"] == finding["resource_type"]
        assert item["ProductFields"]["iam-auditor/Status"] == finding["status"]
        mapped = [f"{k}:{c}" for k, ids in finding["compliance"].items() for c in ids]
        related = item["Compliance"].get("RelatedRequirements", [])
        assert len(related) == len(mapped)
        cis = any(k.startswith("CIS-") for k in finding["compliance"])
        assert (TYPE_CIS in item["Types"]) is cis
        if not cis:
            assert item["Types"] == [TYPE_BEST_PRACTICES]


def test_related_requirements_name_the_standards() -> None:
    finding = make_finding(
        compliance=Compliance(cis_7=("2.12",), cis_5=("1.13",), fsbp=("IAM.3",)),
    )
    [item] = asff(make_report([finding]))
    assert item["Compliance"]["RelatedRequirements"] == [
        "CIS AWS Foundations Benchmark v7.0.0/2.12",
        "CIS AWS Foundations Benchmark v5.0.0/1.13",
        "AWS Foundational Security Best Practices v1.0.0/IAM.3",
    ]
    assert item["Types"] == [TYPE_CIS, TYPE_BEST_PRACTICES]


def test_at_most_32_related_requirements() -> None:
    finding = make_finding(compliance=Compliance(fsbp=tuple(f"IAM.{n}" for n in range(40))))
    [item] = asff(make_report([finding]))
    assert len(item["Compliance"]["RelatedRequirements"]) == REQUIREMENTS_MAX
    assert validation_errors([item]) == ""


def test_long_texts_are_cut_to_security_hubs_limits() -> None:
    finding = make_finding(
        title="T" * 300,
        detail="é🔑" * 700,
        remediation="r" * 600,
    )
    [item] = asff(make_report([finding]))
    assert len(item["Title"]) == TITLE_MAX
    assert len(item["Description"]) == DESCRIPTION_MAX
    assert len(item["Remediation"]["Recommendation"]["Text"]) == RECOMMENDATION_MAX
    assert item["Title"].endswith("…") and item["Description"].endswith("…")
    # Cut between characters: the text is still valid, re-encodable Unicode.
    item["Description"].encode("utf-8")
    assert item["Description"][:-1] == ("é🔑" * 700)[: DESCRIPTION_MAX - 1]
    assert truncate("short", 10) == "short"
    assert truncate("x" * 10, 10) == "x" * 10


def test_error_is_a_warning_and_muted_is_suppressed() -> None:
    error = make_finding("PWD-001", Status.ERROR, resource_type=ResourceType.ACCOUNT)
    muted = make_finding("USER-001", muted=True, mute_reason="break-glass", resource_name="carol")
    by_check = {i["GeneratorId"]: i for i in asff(make_report([error, muted]))}
    assert by_check["iam-auditor/PWD-001"]["Compliance"]["Status"] == "WARNING"
    assert by_check["iam-auditor/USER-001"]["Workflow"]["Status"] == "SUPPRESSED"
    assert by_check["iam-auditor/USER-001"]["ProductFields"]["iam-auditor/MuteReason"] == (
        "break-glass"
    )


@pytest.mark.parametrize(
    ("resource_type", "expected"),
    [
        (ResourceType.USER, "AwsIamUser"),
        (ResourceType.ROLE, "AwsIamRole"),
        (ResourceType.ACCOUNT, "AwsAccount"),
        (ResourceType.POLICY, "AwsIamPolicy"),
        (ResourceType.SERVER_CERTIFICATE, "Other"),
        (ResourceType.REGION, "Other"),
    ],
)
def test_resource_types(resource_type: ResourceType, expected: str) -> None:
    [item] = asff(make_report([make_finding(resource_type=resource_type)]))
    assert item["Resources"][0]["Type"] == expected


def test_partition_reaches_product_arn_and_resources() -> None:
    finding = make_finding(resource_arn="arn:aws-cn:iam::123456789012:user/alice")
    report = make_report([finding])
    report = type(report)(**{**report.__dict__, "partition": "aws-cn"})
    [item] = asff(report, region="cn-north-1")
    assert item["ProductArn"].startswith("arn:aws-cn:securityhub:cn-north-1:")
    assert item["Resources"][0]["Partition"] == "aws-cn"


def test_hostile_strings_stay_data(hostile_report: Report) -> None:
    titles = {i["Title"] for i in asff(hostile_report)}
    assert titles == set(HOSTILE)


def test_render_writes_report_asff_json(checks_report: Report) -> None:
    files = as_bytes(render(checks_report, [Format.ASFF], RenderOptions(region="us-west-2")))
    assert list(files) == ["report.asff.json"]
    regions = {i["Region"] for i in json.loads(files["report.asff.json"])}
    assert regions == {"us-west-2"}
    assert render_asff(make_report([]), region="us-east-1") == b"[]\n"


def test_stream_is_the_whole_array_on_the_demo_report(demo_report: Report) -> None:
    """Byte for byte the array made whole, and the same findings once parsed."""
    expected = [
        finding_to_asff(demo_report, f, region="eu-central-1")
        for f in ordered_findings(demo_report.findings)
    ]
    chunks = list(stream_asff(demo_report, region="eu-central-1"))
    assert len(chunks) > 1
    assert b"".join(chunks) == whole_json_array(expected)
    assert json.loads(b"".join(chunks)) == expected == asff(demo_report)
    assert list(asff_findings(demo_report, region="eu-central-1")) == expected
