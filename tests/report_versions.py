"""``report.json`` as schema_version 1 wrote it, and a report that needs all of version 2.

Earlier releases of iam-auditor wrote every finding complete (``finding_to_dict``) in one
list, each check entry with its catalog severity (``check_to_dict`` without defaults).
Readers must keep reading such files, and a version-2 file must expand to exactly these
findings, so the tests build both from one ``Report``. ``render_v1`` is the old file's
layout, byte for byte (the size comparison uses it). ``rich_report`` is a real analysis
whose findings use every omission rule of version 2 and each exception to it.
"""

from __future__ import annotations

import json
from typing import Any

import factories

from auditor.audit import run_audit
from auditor.config import CheckOverride, Mute, Settings
from auditor.model import Gap, Report, Severity, Source
from auditor.report.common import ordered_findings
from auditor.report.json_read import read_report
from auditor.report.json_report import (
    check_to_dict,
    finding_to_dict,
    render_json,
    report_to_dict,
)


def v1_dict(report: Report) -> dict[str, Any]:
    """``report`` as a parsed schema_version 1 report.json."""
    data = report_to_dict(report, findings=False)
    data["schema_version"] = 1
    data["checks"] = [check_to_dict(meta) for meta in report.checks]
    data["findings"] = [finding_to_dict(f) for f in ordered_findings(report.findings)]
    return data


def read_back(report: Report) -> dict[str, Any]:
    """``report``'s report.json rendered, read back as version 1, in the report's own order.

    A real run lists findings check by check in catalog order, which a version-2 file
    keeps; a hand-made report may interleave checks, which a file grouped by check cannot
    say. Tests that pair report.json's findings with another format's by position read it
    back through this, the expanded findings put in ``ordered_findings`` order.
    """
    data = read_report(json.loads(render_json(report)), "report.json")
    position = {f.finding_id: i for i, f in enumerate(ordered_findings(report.findings))}
    data["findings"].sort(key=lambda f: position[f["finding_id"]])
    return data


def render_v1(report: Report) -> bytes:
    """The text of ``report``'s schema_version 1 report.json, as the version-1 writer laid it.

    Indented top level, one entry of ``checks`` and of ``findings`` a line with JSON's
    default separators (``changes`` indented whole: no test of size uses it).
    """
    data = v1_dict(report)
    findings = data.pop("findings")
    checks = data.pop("checks")
    head = _dumps(data, indent=2)[:-2]
    lines = [head, ',\n  "checks": ' + _list(checks), ',\n  "findings": ' + _list(findings)]
    return ("".join(lines) + "\n}\n").encode("utf-8")


def _list(items: list[Any]) -> str:
    if not items:
        return "[]"
    body = ",\n    ".join(_dumps(item) for item in items)
    return f"[\n    {body}\n  ]"


def _dumps(value: Any, indent: int | None = None) -> str:
    return json.dumps(value, indent=indent, ensure_ascii=False, allow_nan=False)


# --- a report that needs every rule of version 2 ------------------------------------------

_ADMIN = factories.policy("AdministratorAccess", factories.ADMIN_DOC, aws_managed=True)
ODD_USER = "ops.bot+ci=1,x@example.com"  # every character IAM allows beyond [A-Za-z0-9_-]
PATH_ROLE = "deploy"
RICH_CHECKS = ("PWD-001", "USER-001", "KEY-002", "PERM-011", "ROLE-015", "AA-001")
RICH_SETTINGS = Settings(
    checks={
        "KEY-002": CheckOverride(severity=Severity.HIGH),
        "PERM-011": CheckOverride(severity=Severity.LOW),
    },
    mutes=(Mute(check="KEY-002", resource="arn:aws:iam::*:user/carol", reason="vendor; SEC-1"),),
)


def rich_report() -> Report:
    """A real analysis with PASS, FAIL and ERROR; a mute; a context raise on top of a
    configured severity; a check's own severity (PERM-011 on a user) equal to the configured
    one but for another reason; resource types other than the check's; a role on a path and
    a user whose name has every odd character IAM allows; account findings named by id."""
    old_key = [factories.key(1, age_days=200, used_days_ago=1)]
    snap = factories.snapshot(
        credential_report=[
            factories.cred_row("alice", password=True, password_used_days_ago=1, keys=old_key),
            factories.cred_row("bob", keys=old_key),
            factories.cred_row("carol", keys=old_key),
            factories.cred_row(ODD_USER, password=True, password_used_days_ago=2, mfa=True),
        ],
        users=[
            factories.user("alice", groups=["admins"]),
            factories.user("bob"),
            factories.user("carol"),
            factories.user(ODD_USER),
        ],
        groups=[factories.group("admins", policies=[_ADMIN])],
        roles=[
            factories.role("app", policies=[_ADMIN], used_days_ago=3),
            factories.role(PATH_ROLE, path="/service-role/ci/", age_days=500),
        ],
        policies=[_ADMIN],
        gaps=[
            Gap(
                Source.PASSWORD_POLICY,
                "iam:GetAccountPasswordPolicy",
                "AccessDenied",
                "not authorized",
            )
        ],
    )
    return run_audit(RICH_SETTINGS, snapshot=snap, only=list(RICH_CHECKS)).report
