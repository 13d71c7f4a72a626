"""Builders of hand-made findings and reports for the renderer tests (no analyzer).

Imported by ``conftest.py`` (fixtures) and by tests that parametrise over ``HOSTILE``;
``Page`` is a small HTML parser the HTML tests inspect rendered pages with.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any

from auditor.model import (
    CheckMeta,
    Compliance,
    Finding,
    Gap,
    Report,
    ResourceType,
    Score,
    Severity,
    Source,
    Status,
    Tool,
    finding_id,
)

ACCOUNT = "123456789012"
ROOT_ARN = f"arn:aws:iam::{ACCOUNT}:root"

# Strings an attacker can put into IAM names, tags, descriptions and policies.
HOSTILE = (
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "{{7*7}}",
    "{% raw %}x",
    '=HYPERLINK("javascript:alert(1)")',
    "javascript:alert(1)",
)

SCORE = Score(72.5, "C")
TOOL = Tool("iam-auditor", "9.8.7")

MakeFinding = Callable[..., Finding]
MakeReport = Callable[..., Report]


def make_finding(
    check_id: str = "KEY-002",
    status: Status = Status.FAIL,
    severity: Severity = Severity.MEDIUM,
    resource_name: str = "alice",
    *,
    base_severity: Severity | None = None,
    resource_arn: str | None = None,
    resource_type: ResourceType = ResourceType.USER,
    slug: str | None = None,
    title: str | None = None,
    detail: str | None = None,
    evidence: Mapping[str, Any] | None = None,
    remediation: str | None = None,
    compliance: Compliance | None = None,
    muted: bool = False,
    mute_reason: str | None = None,
    severity_reason: str | None = None,
    qualifier: str = "",
) -> Finding:
    arn = resource_arn or f"arn:aws:iam::{ACCOUNT}:user/{resource_name}"
    return Finding(
        finding_id=finding_id(ACCOUNT, check_id, arn, qualifier),
        check_id=check_id,
        slug=slug or f"slug-{check_id.lower()}",
        title=title or f"Title of {check_id}",
        severity=severity,
        base_severity=base_severity or severity,
        status=status,
        resource_type=resource_type,
        resource_arn=arn,
        resource_name=resource_name,
        detail=detail or f"{check_id} {status.value} on {resource_name}",
        evidence={} if evidence is None else evidence,
        remediation=remediation or f"Fix {check_id}.",
        compliance=compliance or Compliance(),
        muted=muted,
        mute_reason=mute_reason,
        severity_reason=severity_reason,
    )


def make_report(
    findings: Iterable[Finding],
    *,
    gaps: Iterable[Gap] = (),
    notes: Iterable[str] = (),
    account_id: str = ACCOUNT,
    generated_at: datetime = datetime(2026, 11, 23, 10, 0, 0, tzinfo=UTC),
    credential_report_generated_at: datetime | None = datetime(2026, 11, 23, 9, 58, 12, tzinfo=UTC),
    score: Score = SCORE,
    tool: Tool = TOOL,
    checks: Iterable[CheckMeta] = (),
) -> Report:
    return Report(
        tool=tool,
        account_id=account_id,
        partition="aws",
        generated_at=generated_at,
        credential_report_generated_at=credential_report_generated_at,
        score=score,
        findings=tuple(findings),
        gaps=tuple(gaps),
        notes=tuple(notes),
        checks=tuple(checks),
    )


def make_meta(
    check_id: str = "KEY-002",
    severity: Severity = Severity.MEDIUM,
    *,
    slug: str | None = None,
    title: str | None = None,
    resource_type: ResourceType = ResourceType.USER,
    rationale: str | None = None,
    remediation: str | None = None,
    remediation_cli: str | None = None,
    references: Iterable[str] | None = None,
    compliance: Compliance | None = None,
) -> CheckMeta:
    """Metadata for ``check_id``; ``make_finding``'s defaults agree with it (slug, title)."""
    return CheckMeta(
        id=check_id,
        slug=slug or f"slug-{check_id.lower()}",
        title=title or f"Title of {check_id}",
        severity=severity,
        resource_type=resource_type,
        needs=frozenset({Source.CREDENTIAL_REPORT}),
        rationale=f"Why {check_id} matters." if rationale is None else rationale,
        remediation=f"Console fix for {check_id}." if remediation is None else remediation,
        remediation_cli=(
            f"aws iam fix-{check_id.lower()} --user-name USER_NAME"
            if remediation_cli is None
            else remediation_cli
        ),
        references=(
            (f"https://docs.aws.amazon.com/IAM/latest/UserGuide/{check_id.lower()}.html",)
            if references is None
            else tuple(references)
        ),
        compliance=compliance or Compliance(),
    )


PWD_GAP = Gap(
    source=Source.PASSWORD_POLICY,
    operation="iam:GetAccountPasswordPolicy",
    error="AccessDenied",
    message="User is not authorized to perform iam:GetAccountPasswordPolicy",
)


def sample_findings() -> list[Finding]:
    """A mixed account, deliberately out of report order."""
    return [
        make_finding(
            "KEY-002", Status.PASS, resource_name="alice", evidence={"key": 1, "age_days": 10}
        ),
        make_finding(
            "KEY-002",
            resource_name="bob",
            detail="Access key 1 (AKIA…WXYZ) is 120 days old; limit is 90.",
            evidence={"key": 1, "age_days": 120},
            compliance=Compliance(cis_7=("2.12",), cis_5=("1.13",), fsbp=("IAM.3",)),
            qualifier="key1",
        ),
        make_finding(
            "ROOT-001",
            severity=Severity.CRITICAL,
            resource_name="<root_account>",
            resource_arn=ROOT_ARN,
            resource_type=ResourceType.ACCOUNT,
        ),
        make_finding(
            "PWD-001",
            Status.ERROR,
            resource_name=ACCOUNT,
            resource_arn=ROOT_ARN,
            resource_type=ResourceType.ACCOUNT,
            evidence={"operation": PWD_GAP.operation, "error": PWD_GAP.error},
        ),
        make_finding(
            "USER-001",
            severity=Severity.HIGH,
            resource_name="carol",
            muted=True,
            mute_reason="Break-glass user; ticket SEC-123",
        ),
        make_finding(
            "KEY-002",
            severity=Severity.HIGH,
            base_severity=Severity.MEDIUM,
            resource_name="dave",
            severity_reason="dave is admin-equivalent (PERM-002)",
        ),
        make_finding("USER-002", severity=Severity.LOW, resource_name="erin"),
        make_finding("USER-001", Status.PASS, severity=Severity.HIGH, resource_name="alice"),
        make_finding(
            "PWD-005",
            severity=Severity.INFO,
            resource_name=ACCOUNT,
            resource_arn=ROOT_ARN,
            resource_type=ResourceType.ACCOUNT,
        ),
        make_finding(
            "USER-002",
            Status.PASS,
            severity=Severity.LOW,
            resource_name="frank",
            muted=True,
            mute_reason="Service account",
        ),
        make_finding(
            "ROLE-001",
            severity=Severity.CRITICAL,
            resource_name="open-role",
            resource_arn=f"arn:aws:iam::{ACCOUNT}:role/open-role",
            resource_type=ResourceType.ROLE,
        ),
    ]


def sample_report() -> Report:
    """Incomplete (one ERROR), with a gap, a note, muted, raised and PASS findings."""
    return make_report(
        sample_findings(),
        gaps=[PWD_GAP],
        notes=["Mute of KEY-002 on arn:aws:iam::*:user/legacy-* expired on 2026-01-01."],
    )


# The checks "run" for ``checks_report``, in catalog order: the sample's checks plus
# CERT-002, which found nothing to judge.
CATALOG_SAMPLE = (
    make_meta("ROOT-001", Severity.CRITICAL, resource_type=ResourceType.ACCOUNT),
    make_meta("PWD-001", resource_type=ResourceType.ACCOUNT),
    make_meta("PWD-005", Severity.INFO, resource_type=ResourceType.ACCOUNT),
    make_meta("USER-001", Severity.HIGH),
    make_meta("USER-002", Severity.LOW),
    make_meta(
        "KEY-002",
        compliance=Compliance(cis_7=("2.12",), cis_5=("1.13",), fsbp=("IAM.3",)),
        references=(
            "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html",
            "CIS AWS Foundations Benchmark v7.0, 2.12",
        ),
    ),
    make_meta("ROLE-001", Severity.CRITICAL, resource_type=ResourceType.ROLE),
    make_meta(
        "CERT-002",
        Severity.LOW,
        resource_type=ResourceType.SERVER_CERTIFICATE,
        rationale="An expiring certificate takes its site down when it lapses.",
        remediation="Renew the certificate in ACM, switch the load balancer, delete the old.",
        remediation_cli="aws iam delete-server-certificate --server-certificate-name CERT_NAME",
        references=(
            "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_server-certs.html",
        ),
    ),
)


def checks_report() -> Report:
    """The sample report with the metadata of the checks run, one without findings."""
    return make_report(
        sample_findings(), gaps=[PWD_GAP], notes=sample_report().notes, checks=CATALOG_SAMPLE
    )


def complete_report() -> Report:
    """The sample without the ERROR and the gap: a complete audit."""
    findings = [f for f in sample_findings() if f.status is not Status.ERROR]
    return make_report(findings)


def hostile_finding(payload: str, status: Status = Status.FAIL) -> Finding:
    """A finding whose every free-text field carries ``payload``."""
    return make_finding(
        check_id="ROLE-003",
        status=status,
        slug=payload,
        title=payload,
        resource_name=payload,
        resource_arn=payload,
        detail=payload,
        evidence={"name": payload, payload: [payload]},
        remediation=payload,
        compliance=Compliance(cis_7=(payload,)),
        muted=status is Status.PASS,
        mute_reason=payload if status is Status.PASS else None,
        severity_reason=payload,
        base_severity=Severity.LOW,
        qualifier=status.value,
    )


def hostile_meta(payload: str) -> CheckMeta:
    """Check metadata whose every free-text field carries ``payload``."""
    return make_meta(
        "ROLE-003",
        slug=payload,
        title=payload,
        rationale=payload,
        remediation=payload,
        remediation_cli=payload,
        references=(payload, f"https://example.com/{payload}"),
        compliance=Compliance(cis_7=(payload,), cis_5=(payload,), fsbp=(payload,)),
    )


def hostile_report() -> Report:
    """Every hostile string in every text field, as FAIL and as muted PASS findings."""
    findings = [hostile_finding(p) for p in HOSTILE]
    findings += [hostile_finding(p, Status.PASS) for p in HOSTILE]
    return make_report(findings, notes=list(HOSTILE), account_id=HOSTILE[0])


VOID = {"meta", "input", "br", "img", "link", "hr", "source", "wbr", "area", "base", "col"}


@dataclass
class Element:
    tag: str
    attrs: dict[str, str | None]
    ancestors: list[Element]
    text: list[str] = field(default_factory=list)

    @property
    def classes(self) -> list[str]:
        return (self.attrs.get("class") or "").split()

    def full_text(self) -> str:
        return "".join(self.text)


class Page(HTMLParser):
    """Every element with its attributes, its ancestors and all the text inside it."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self.stack: list[Element] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, dict(attrs), list(self.stack))
        self.elements.append(element)
        if tag not in VOID:
            self.stack.append(element)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack[-1].tag == tag, f"unbalanced </{tag}>"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        for element in self.stack:
            element.text.append(data)

    def all(self, tag: str, cls: str | None = None) -> list[Element]:
        return [e for e in self.elements if e.tag == tag and (cls is None or cls in e.classes)]

    def by_id(self, ident: str) -> Element | None:
        return next((e for e in self.elements if e.attrs.get("id") == ident), None)

    def rows(self) -> list[Element]:
        return self.all("tr", "f")


def whole_json_array(items: Iterable[Mapping[str, Any]]) -> bytes:
    """A JSON array one item a line, made whole: how OCSF and ASFF were written before they
    streamed, the reference their streams are held to."""
    body = ",\n".join(json.dumps(item, ensure_ascii=False, allow_nan=False) for item in items)
    return f"[\n{body}\n]\n".encode() if body else b"[]\n"
