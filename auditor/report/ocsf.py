"""The SIEM format: ``report.ocsf.json``, a JSON array of OCSF Detection Findings.

A SIEM deduplicates on ``finding_info.uid``, the stable ``finding_id``; what the Detection
Finding class has no attribute for goes under ``unmapped``. The field mapping is in
docs/architecture.md.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from auditor.model import Finding, Report, Severity
from auditor.report.asff import finding_types
from auditor.report.common import ordered_findings, plain, stream_json_array, utc_timestamp

OCSF_VERSION = "1.5.0"
CLASS_UID = 2004
CLASS_NAME = "Detection Finding"
CATEGORY_UID = 2
CATEGORY_NAME = "Findings"
ACTIVITY_ID = 1
ACTIVITY_NAME = "Create"
TYPE_UID = CLASS_UID * 100 + ACTIVITY_ID
TYPE_NAME = f"{CLASS_NAME}: {ACTIVITY_NAME}"
PRODUCT_NAME = "iam-auditor"
VENDOR_NAME = "iam-auditor"
ACCOUNT_TYPE_ID = 10  # OCSF account type: AWS Account

STATUS_NEW = (1, "New")
STATUS_SUPPRESSED = (3, "Suppressed")

SEVERITY_IDS: Mapping[Severity, tuple[int, str]] = {
    Severity.INFO: (1, "Informational"),
    Severity.LOW: (2, "Low"),
    Severity.MEDIUM: (3, "Medium"),
    Severity.HIGH: (4, "High"),
    Severity.CRITICAL: (5, "Critical"),
}


def epoch_millis(report: Report) -> int:
    """The report's time as OCSF's ``timestamp_t``: milliseconds since the epoch, UTC."""
    return int(report.generated_at.timestamp() * 1000)


def finding_to_ocsf(report: Report, finding: Finding, *, region: str) -> dict[str, Any]:
    """One finding as an OCSF Detection Finding (a JSON-native dict)."""
    severity_id, severity = SEVERITY_IDS[finding.severity]
    status_id, status = STATUS_SUPPRESSED if finding.muted else STATUS_NEW
    when = epoch_millis(report)
    when_text = utc_timestamp(report.generated_at)
    unmapped: dict[str, Any] = {
        "check_id": finding.check_id,
        "slug": finding.slug,
        "compliance": finding.compliance.as_dict(),
        "evidence": plain(finding.evidence),
        "base_severity": finding.base_severity.value,
    }
    if finding.severity_reason:
        unmapped["severity_reason"] = finding.severity_reason
    return {
        "activity_id": ACTIVITY_ID,
        "activity_name": ACTIVITY_NAME,
        "category_uid": CATEGORY_UID,
        "category_name": CATEGORY_NAME,
        "class_uid": CLASS_UID,
        "class_name": CLASS_NAME,
        "type_uid": TYPE_UID,
        "type_name": TYPE_NAME,
        "time": when,
        "time_dt": when_text,
        "severity_id": severity_id,
        "severity": severity,
        "status_id": status_id,
        "status": status,
        "status_code": finding.status.value,
        "status_detail": (finding.mute_reason if finding.muted else None) or finding.detail,
        "message": finding.detail,
        "finding_info": {
            "uid": finding.finding_id,
            "title": finding.title,
            "desc": finding.detail,
            "types": finding_types(finding),
            "created_time": when,
        },
        "resources": [
            {
                "uid": finding.resource_arn,
                "type": finding.resource_type.value,
                "name": finding.resource_name,
                "cloud_partition": report.partition,
                "region": region,
            }
        ],
        "cloud": {
            "provider": "AWS",
            "region": region,
            "account": {
                "uid": report.account_id,
                "name": report.account_id,
                "type": "AWS Account",
                "type_id": ACCOUNT_TYPE_ID,
            },
        },
        "metadata": {
            "version": OCSF_VERSION,
            "uid": finding.finding_id,
            "event_code": finding.check_id,
            "profiles": ["cloud"],
            "product": {
                "name": PRODUCT_NAME,
                "vendor_name": VENDOR_NAME,
                "version": report.tool.version,
            },
        },
        "remediation": {"desc": finding.remediation},
        "unmapped": unmapped,
    }


def ocsf_findings(report: Report, *, region: str) -> Iterator[dict[str, Any]]:
    """Every finding of ``report``, in report order, as OCSF, one at a time."""
    for finding in ordered_findings(report.findings):
        yield finding_to_ocsf(report, finding, region=region)


def report_to_ocsf(report: Report, *, region: str) -> list[dict[str, Any]]:
    """Every finding of ``report``, in report order, as OCSF."""
    return list(ocsf_findings(report, region=region))


def stream_ocsf(report: Report, *, region: str) -> Iterator[bytes]:
    """``report.ocsf.json``: a JSON array, one event per line, UTF-8, ending in a newline.

    Yielded a few hundred events at a time (``common.stream_json_array``): an event is
    built only when its chunk is, so the file is never whole in memory.
    """
    return stream_json_array(ocsf_findings(report, region=region))


def render_ocsf(report: Report, *, region: str) -> bytes:
    """``report.ocsf.json`` whole, as bytes (see ``stream_ocsf``)."""
    return b"".join(stream_ocsf(report, region=region))
