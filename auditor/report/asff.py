"""Security Hub's format: ``report.asff.json``, findings ready for ``BatchImportFindings``.

Each finding's ``Id`` comes from the stable ``finding_id``, so a later run updates the same
Security Hub finding (a fixed one turns ``PASSED``), which is why PASS findings are exported
too. The field mapping and Security Hub's length limits are in docs/architecture.md.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from auditor.model import Finding, Report, ResourceType, Severity, Status
from auditor.report.common import ordered_findings, stream_json_array, utc_timestamp

SCHEMA_VERSION = "2018-10-08"
PRODUCT_NAME = "iam-auditor"
COMPANY_NAME = "iam-auditor"

TITLE_MAX = 256
DESCRIPTION_MAX = 1024
RECOMMENDATION_MAX = 512
REQUIREMENTS_MAX = 32
PRODUCT_FIELD_MAX = 2048

TYPE_CIS = (
    "Software and Configuration Checks/Industry and Regulatory Standards/"
    "CIS AWS Foundations Benchmark"
)
TYPE_BEST_PRACTICES = "Software and Configuration Checks/AWS Security Best Practices"

SEVERITY_LABELS: Mapping[Severity, str] = {
    Severity.CRITICAL: "CRITICAL",
    Severity.HIGH: "HIGH",
    Severity.MEDIUM: "MEDIUM",
    Severity.LOW: "LOW",
    Severity.INFO: "INFORMATIONAL",
}

COMPLIANCE_STATUS: Mapping[Status, str] = {
    Status.PASS: "PASSED",
    Status.FAIL: "FAILED",
    Status.ERROR: "WARNING",
}

# Framework keys of the report's compliance mappings -> the standard's name as Security
# Hub spells requirements ("CIS AWS Foundations Benchmark v5.0.0/1.14").
STANDARDS: Mapping[str, str] = {
    "CIS-7.0": "CIS AWS Foundations Benchmark v7.0.0",
    "CIS-5.0": "CIS AWS Foundations Benchmark v5.0.0",
    "AWS-FSBP": "AWS Foundational Security Best Practices v1.0.0",
}

# ASFF has a resource type for these; anything else is "Other".
_ASFF_TYPES = frozenset(
    {
        ResourceType.ACCOUNT,
        ResourceType.USER,
        ResourceType.ROLE,
        ResourceType.GROUP,
        ResourceType.POLICY,
        ResourceType.ACCESS_KEY,
    }
)


def product_arn(partition: str, region: str, account_id: str) -> str:
    """The account's own custom-integration product, which BatchImportFindings accepts."""
    return f"arn:{partition}:securityhub:{region}:{account_id}:product/{account_id}/default"


def asff_id(account_id: str, finding: Finding) -> str:
    """The Security Hub ``Id``: stable across runs because ``finding_id`` is."""
    return f"{PRODUCT_NAME}/{account_id}/{finding.check_id}/{finding.finding_id}"


def finding_types(finding: Finding) -> list[str]:
    """ASFF ``Types`` (shared with OCSF's ``finding_info.types``)."""
    mappings = finding.compliance.as_dict()
    types = []
    if "CIS-7.0" in mappings or "CIS-5.0" in mappings:
        types.append(TYPE_CIS)
    if "AWS-FSBP" in mappings or not types:
        types.append(TYPE_BEST_PRACTICES)
    return types


def related_requirements(finding: Finding) -> list[str]:
    """``<standard>/<control>`` for each mapping, at most ``REQUIREMENTS_MAX``."""
    out = [
        f"{STANDARDS.get(framework, framework)}/{control}"
        for framework, controls in finding.compliance.as_dict().items()
        for control in controls
    ]
    return out[:REQUIREMENTS_MAX]


def truncate(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, ending in an ellipsis when cut.

    Python strings index by code point, so the cut never splits a character; Security
    Hub counts characters too.
    """
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + "…"


def _resource_type(resource_type: ResourceType) -> str:
    return resource_type.value if resource_type in _ASFF_TYPES else "Other"


def _product_fields(finding: Finding) -> dict[str, str]:
    fields = {
        f"{PRODUCT_NAME}/CheckId": finding.check_id,
        f"{PRODUCT_NAME}/Slug": finding.slug,
        f"{PRODUCT_NAME}/Status": finding.status.value,
        f"{PRODUCT_NAME}/FindingId": finding.finding_id,
        f"{PRODUCT_NAME}/ResourceName": finding.resource_name,
        f"{PRODUCT_NAME}/ResourceType": finding.resource_type.value,
    }
    if finding.muted and finding.mute_reason:
        fields[f"{PRODUCT_NAME}/MuteReason"] = finding.mute_reason
    if finding.severity is not finding.base_severity:
        fields[f"{PRODUCT_NAME}/BaseSeverity"] = finding.base_severity.value
        if finding.severity_reason:
            fields[f"{PRODUCT_NAME}/SeverityReason"] = finding.severity_reason
    return {key: truncate(value, PRODUCT_FIELD_MAX) for key, value in fields.items() if value}


def finding_to_asff(
    report: Report, finding: Finding, *, region: str, version: str | None = None
) -> dict[str, Any]:
    """One finding as an ASFF finding for ``BatchImportFindings``."""
    when = utc_timestamp(report.generated_at)
    severity = {
        "Label": SEVERITY_LABELS[finding.severity],
        "Original": finding.severity.value,
    }
    types = finding_types(finding)
    compliance: dict[str, Any] = {"Status": COMPLIANCE_STATUS[finding.status]}
    requirements = related_requirements(finding)
    if requirements:
        compliance["RelatedRequirements"] = requirements
    return {
        "SchemaVersion": SCHEMA_VERSION,
        "Id": asff_id(report.account_id, finding),
        "ProductArn": product_arn(report.partition, region, report.account_id),
        "ProductName": PRODUCT_NAME,
        "CompanyName": COMPANY_NAME,
        "Region": region,
        "GeneratorId": f"{PRODUCT_NAME}/{finding.check_id}",
        "AwsAccountId": report.account_id,
        "Types": types,
        "CreatedAt": when,
        "UpdatedAt": when,
        "Severity": severity,
        "Title": truncate(finding.title, TITLE_MAX),
        "Description": truncate(finding.detail or finding.title, DESCRIPTION_MAX),
        "Remediation": {
            "Recommendation": {"Text": truncate(finding.remediation, RECOMMENDATION_MAX)}
        },
        "ProductFields": {
            **_product_fields(finding),
            f"{PRODUCT_NAME}/ToolVersion": version or report.tool.version,
        },
        "Resources": [
            {
                "Type": _resource_type(finding.resource_type),
                "Id": finding.resource_arn,
                "Partition": report.partition,
                "Region": region,
            }
        ],
        "Compliance": compliance,
        "Workflow": {"Status": "SUPPRESSED" if finding.muted else "NEW"},
        "RecordState": "ACTIVE",
        "FindingProviderFields": {"Severity": dict(severity), "Types": list(types)},
    }


def asff_findings(report: Report, *, region: str) -> Iterator[dict[str, Any]]:
    """Every finding of ``report``, in report order, as ASFF, one at a time.

    What ``auditor.securityhub`` sends, a batch at a time, and ``stream_asff`` writes.
    """
    for finding in ordered_findings(report.findings):
        yield finding_to_asff(report, finding, region=region)


def report_to_asff(report: Report, *, region: str) -> list[dict[str, Any]]:
    """Every finding of ``report``, in report order, as ASFF."""
    return list(asff_findings(report, region=region))


def stream_asff(report: Report, *, region: str) -> Iterator[bytes]:
    """``report.asff.json``: a JSON array, one finding per line, UTF-8, ending in a newline.

    Yielded a few hundred findings at a time (``common.stream_json_array``): a finding is
    built only when its chunk is, so the file is never whole in memory.
    """
    return stream_json_array(asff_findings(report, region=region))


def render_asff(report: Report, *, region: str) -> bytes:
    """``report.asff.json`` whole, as bytes (see ``stream_asff``)."""
    return b"".join(stream_asff(report, region=region))
