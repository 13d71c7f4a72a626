"""The audit's vocabulary: severities, statuses, check metadata, findings and the report.

Everything here is a frozen dataclass or an enum so that a finding, once made, cannot be
changed behind a renderer's back; the analyzer derives new findings (muted, raised) with
``dataclasses.replace``. Checks speak in ``Result`` (what they saw about one resource); the
analyzer turns each ``Result`` into a ``Finding`` by adding the check's metadata, the stable
``finding_id``, config overrides and mutes.
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NoReturn


class Severity(enum.Enum):
    """How bad a FAIL is. Ordered: ``CRITICAL`` is the highest rank."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        """4 for critical down to 0 for info, so severities compare by number."""
        return _SEVERITY_RANK[self]

    def raised(self) -> Severity:
        """One level higher, never above critical (the catalog's context rule)."""
        return _BY_RANK[min(self.rank + 1, 4)]

    @classmethod
    def parse(cls, text: str) -> Severity:
        """Case-insensitive lookup by value; ``ValueError`` names the valid values."""
        try:
            return cls(text.strip().lower())
        except ValueError:
            valid = ", ".join(s.value for s in cls)
            raise ValueError(f"unknown severity {text!r}; expected one of {valid}") from None


_SEVERITY_RANK = {
    Severity.CRITICAL: 4,
    Severity.HIGH: 3,
    Severity.MEDIUM: 2,
    Severity.LOW: 1,
    Severity.INFO: 0,
}
_BY_RANK = {rank: sev for sev, rank in _SEVERITY_RANK.items()}


class Status(enum.Enum):
    """A check's verdict on one resource. ``ERROR`` means "could not look", never "fine"."""

    PASS = "PASS"  # noqa: S105 (a status, not a password)
    FAIL = "FAIL"
    ERROR = "ERROR"


class Source(enum.Enum):
    """A unit of collected data; checks declare which sources they need.

    The analyzer turns a failed source into ERROR findings for every check needing it,
    and the collector skips sources that no enabled check needs.
    """

    CREDENTIAL_REPORT = "credential_report"
    AUTHORIZATION_DETAILS = "authorization_details"
    ACCOUNT_SUMMARY = "account_summary"
    PASSWORD_POLICY = "password_policy"  # noqa: S105 (a data source name)
    VIRTUAL_MFA = "virtual_mfa"
    SERVER_CERTIFICATES = "server_certificates"
    SAML_PROVIDERS = "saml_providers"
    OIDC_PROVIDERS = "oidc_providers"
    ACCESS_ANALYZER = "access_analyzer"
    # Optional: the AWS Organization's member accounts, which count as trusted. No check
    # needs it, so its failure never makes a check ERROR (see analyze.OPTIONAL_SOURCES).
    ORGANIZATION = "organization"


class ResourceType(enum.Enum):
    """Resource kinds, named as AWS Security Hub (ASFF) names them."""

    ACCOUNT = "AwsAccount"
    USER = "AwsIamUser"
    ROLE = "AwsIamRole"
    GROUP = "AwsIamGroup"
    POLICY = "AwsIamPolicy"
    ACCESS_KEY = "AwsIamAccessKey"
    SERVER_CERTIFICATE = "AwsIamServerCertificate"
    REGION = "AwsRegion"


@dataclass(frozen=True)
class Compliance:
    """Where a check sits in the frameworks auditors file against."""

    cis_7: tuple[str, ...] = ()
    cis_5: tuple[str, ...] = ()
    fsbp: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, list[str]]:
        """The report JSON's ``compliance`` object: only frameworks that map the check."""
        out: dict[str, list[str]] = {}
        if self.cis_7:
            out["CIS-7.0"] = list(self.cis_7)
        if self.cis_5:
            out["CIS-5.0"] = list(self.cis_5)
        if self.fsbp:
            out["AWS-FSBP"] = list(self.fsbp)
        return out


@dataclass(frozen=True)
class CheckMeta:
    """Everything about a check except its logic; registered by ``@check`` above it."""

    id: str
    slug: str
    title: str
    severity: Severity
    resource_type: ResourceType
    needs: frozenset[Source]
    rationale: str
    remediation: str
    remediation_cli: str
    references: tuple[str, ...] = ()
    compliance: Compliance = field(default_factory=Compliance)


def joined_remediation(remediation: str, remediation_cli: str) -> str:
    """A finding's remediation: the check's console fix, then ``CLI:`` and its command.

    report.json keeps the two apart in its check entry; its readers join them this way too.
    """
    text, cli = remediation.strip(), remediation_cli.strip()
    return f"{text} CLI: {cli}" if cli else text


def configured_reason(check_id: str, severity: Severity) -> str:
    """The ``severity_reason`` of a finding whose severity ``[checks.ID] severity`` set."""
    return f"set to {severity.value} by [checks.{check_id}] in the configuration"


class _NoEvidence(dict[str, Any]):
    """The empty evidence that every result without any shares, instead of a dict each.

    Most results carry no evidence (a PASS per compliant resource), so on a large account
    one shared object replaces tens of thousands of empty dicts. It is a ``dict`` for every
    reader (JSON encoders, renderers, ``== {}``) but refuses to be filled, being shared.
    """

    __slots__ = ()

    def _refuse(self, *args: object, **kwargs: object) -> NoReturn:
        raise TypeError("NO_EVIDENCE is shared by many results and cannot be changed")

    __setitem__ = __delitem__ = __ior__ = _refuse
    setdefault = update = pop = popitem = clear = _refuse


NO_EVIDENCE: Mapping[str, Any] = _NoEvidence()


def _no_evidence() -> Mapping[str, Any]:
    return NO_EVIDENCE


# Results and findings are made by the tens of thousands on a large account (a PASS per
# compliant resource): slots spare each one a ``__dict__``.
@dataclass(frozen=True, slots=True)
class Result:
    """What a check saw about one resource; the analyzer makes it a ``Finding``.

    ``qualifier`` separates several results on one resource (``key1`` / ``key2``, a region)
    and feeds the stable finding id. ``severity`` overrides the check's base severity for
    this one result (ROOT-004 is critical when a root key was used).
    """

    status: Status
    resource_arn: str
    resource_name: str
    detail: str
    evidence: Mapping[str, Any] = field(default_factory=_no_evidence)
    qualifier: str = ""
    resource_type: ResourceType | None = None
    severity: Severity | None = None


@dataclass(frozen=True)
class Gap:
    """A call that failed; the data behind it is missing from the snapshot.

    ``region`` is set for regional calls (Access Analyzer) whose other regions succeeded.
    """

    source: Source
    operation: str
    error: str
    message: str
    region: str | None = None


@dataclass(frozen=True, slots=True)
class Finding:
    """One check's verdict on one resource, with everything a report shows about it."""

    finding_id: str
    check_id: str
    slug: str
    title: str
    severity: Severity
    base_severity: Severity
    status: Status
    resource_type: ResourceType
    resource_arn: str
    resource_name: str
    detail: str
    evidence: Mapping[str, Any]
    remediation: str
    compliance: Compliance
    muted: bool = False
    mute_reason: str | None = None
    severity_reason: str | None = None


def finding_id(account_id: str, check_id: str, resource_arn: str, qualifier: str = "") -> str:
    """Stable across runs, so two reports can be diffed finding by finding."""
    raw = "\x1f".join((account_id, check_id, resource_arn, qualifier))
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:32]


@dataclass(frozen=True)
class Score:
    """The account's score out of 100 and its letter grade."""

    value: float
    grade: str


@dataclass(frozen=True)
class Tool:
    """Which build of iam-auditor wrote the report."""

    name: str
    version: str


@dataclass(frozen=True)
class FindingChange:
    """One finding of a run-to-run diff: what it is, and its state in each of the two runs.

    ``severity`` is the severity of the run in which the finding fails (the later one for
    still-open findings). ``status_before`` / ``status_after`` are ``None`` when the finding
    is absent from that run (its user was deleted, its check was not run); with the
    ``muted_*`` flags they say how a finding came or went: a resolved finding may now
    PASS, be muted or be gone.
    """

    finding_id: str
    check_id: str
    severity: Severity
    resource_arn: str
    resource_name: str
    title: str
    status_before: Status | None
    muted_before: bool
    status_after: Status | None
    muted_after: bool


@dataclass(frozen=True)
class ReportDiff:
    """What changed between a baseline report and a later one of the same account.

    A finding counts as open when it is an unmuted FAIL. ``new`` are open now and were not
    open in the baseline, ``resolved`` the reverse, ``still_open`` open in both;
    ``unverified`` were open in the baseline but their check could not look this time
    (ERROR), so nobody knows whether they were fixed - never counted as resolved. Findings
    are matched by their stable ``finding_id``. Each tuple is ordered by severity (critical
    first), then check id, resource name and finding id.
    """

    account_id: str
    baseline_generated_at: datetime
    generated_at: datetime
    baseline_tool_version: str
    score_before: Score
    score_after: Score
    new: tuple[FindingChange, ...]
    resolved: tuple[FindingChange, ...]
    still_open: tuple[FindingChange, ...]
    unverified: tuple[FindingChange, ...] = ()

    @property
    def score_change(self) -> float:
        """``score_after - score_before``, rounded to one decimal as scores are shown."""
        return round(self.score_after.value - self.score_before.value, 1)

    def counts(self) -> dict[str, int]:
        """``{"new": n, "resolved": n, "still_open": n, "unverified": n}``."""
        return {
            "new": len(self.new),
            "resolved": len(self.resolved),
            "still_open": len(self.still_open),
            "unverified": len(self.unverified),
        }

    def by_severity(self) -> dict[str, dict[Severity, int]]:
        """For each of new / resolved / still_open / unverified: findings of each severity."""
        groups = {
            "new": self.new,
            "resolved": self.resolved,
            "still_open": self.still_open,
            "unverified": self.unverified,
        }
        return {
            name: {sev: sum(c.severity is sev for c in changes) for sev in Severity}
            for name, changes in groups.items()
        }


@dataclass(frozen=True)
class Report:
    """The analyzed audit of one account: what every renderer renders.

    ``checks`` is the metadata of every check that was run, in catalog order, including
    checks that produced no finding, so a report can explain each one (rationale, fix,
    references, mappings) once, instead of repeating it per finding. ``changes`` is set
    when the run was compared with a baseline (``audit --baseline``, the Lambda's previous
    report): what is new, resolved and still open since then.
    """

    tool: Tool
    account_id: str
    partition: str
    generated_at: datetime
    credential_report_generated_at: datetime | None
    score: Score
    findings: tuple[Finding, ...]
    gaps: tuple[Gap, ...]
    notes: tuple[str, ...] = ()
    checks: tuple[CheckMeta, ...] = ()
    changes: ReportDiff | None = None
    # Check id -> the severity the configuration's [checks.ID] severity gave it, for the
    # checks where that differs from the catalog's (report.json says it once per check).
    configured: Mapping[str, Severity] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Every renderer prints these times as UTC; a naive one would be read as local time.
        for moment in (self.generated_at, self.credential_report_generated_at):
            if moment is not None and moment.utcoffset() is None:
                raise ValueError(f"report times must be timezone-aware, not {moment!r}")

    @property
    def complete(self) -> bool:
        """False when any finding is ERROR: some check could not look."""
        return not any(f.status is Status.ERROR for f in self.findings)

    @property
    def worst(self) -> Severity | None:
        """The highest severity of any unmuted FAIL, or None when nothing fails."""
        return max(
            (f.severity for f in self.findings if f.status is Status.FAIL and not f.muted),
            key=lambda s: s.rank,
            default=None,
        )

    def summary(self) -> dict[str, int]:
        """Counts for the report's ``summary``: unmuted findings by status, plus muted."""
        counts = {s.value: 0 for s in Status}
        muted = 0
        for f in self.findings:
            if f.muted:
                muted += 1
            else:
                counts[f.status.value] += 1
        return {**counts, "muted": muted}

    def gap_checks(self) -> dict[Gap, tuple[str, ...]]:
        """For each gap, the ids of the checks that reported ERROR because of it."""
        out: dict[Gap, tuple[str, ...]] = {}
        for gap in self.gaps:
            ids = sorted(
                {
                    f.check_id
                    for f in self.findings
                    if f.status is Status.ERROR and f.evidence.get("operation") == gap.operation
                }
            )
            out[gap] = tuple(ids)
        return out


# --- Organization runs ---------------------------------------------------------------------


@dataclass(frozen=True)
class CheckTally:
    """One check's unmuted FAIL findings in one account of an organization run.

    ``severity`` is the highest severity among those findings (the context rule can raise
    a finding above its check's catalog severity).
    """

    check_id: str
    title: str
    severity: Severity
    failed: int


@dataclass(frozen=True)
class AccountOutcome:
    """One member account of an organization run: its numbers, or why it was not audited.

    An account that could not be assumed or read has ``error`` set and no score; one that
    was audited carries what the org summary needs from its report (score, completeness,
    counts, gaps, failing checks, where its reports went), not the findings themselves, so
    a large organization's summary stays small and can be rebuilt from each account's
    ``report.json``.
    """

    account_id: str
    name: str
    error: str | None = None
    score: Score | None = None
    complete: bool = False
    summary: Mapping[str, int] = field(default_factory=dict)
    gaps: tuple[Gap, ...] = ()
    failing: tuple[CheckTally, ...] = ()
    reports: tuple[str, ...] = ()

    @property
    def audited(self) -> bool:
        """True when the account was assumed and audited (possibly incompletely)."""
        return self.error is None

    @property
    def worst(self) -> Severity | None:
        """The highest severity of any unmuted FAIL, or None when nothing fails."""
        return max((t.severity for t in self.failing), key=lambda s: s.rank, default=None)


@dataclass(frozen=True)
class OrgReport:
    """An organization run: every selected member account's outcome.

    ``runner_account_id`` is the account whose credentials listed the Organization (the
    management or a delegated administrator account).
    """

    tool: Tool
    runner_account_id: str
    generated_at: datetime
    accounts: tuple[AccountOutcome, ...]

    @property
    def complete(self) -> bool:
        """False when any account was not audited or its audit is incomplete."""
        return all(a.audited and a.complete for a in self.accounts)

    @property
    def worst(self) -> Severity | None:
        """The highest severity of any unmuted FAIL in any account, or None."""
        return max(
            (w for a in self.accounts if (w := a.worst) is not None),
            key=lambda s: s.rank,
            default=None,
        )
