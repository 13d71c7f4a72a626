"""The analyzer: run the selected checks over a snapshot, apply the config, score the result.

It turns each check's ``Result`` into a ``Finding`` (severity after config and per-result
overrides), reports ERROR - never PASS - for a check whose data is missing or that crashed,
applies the context rule and the mutes, and scores the findings (docs/scoring.md). The
flags it reads (``judges_trusted_accounts``, ``weighs_privilege``) come from the registry.
"""

from __future__ import annotations

import dataclasses
import difflib
import logging
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fnmatch import fnmatchcase
from fractions import Fraction
from typing import Any

from auditor.checks import Check, CheckContext, all_checks
from auditor.config import Mute, Settings
from auditor.errors import UsageError
from auditor.model import (
    NO_EVIDENCE,
    Finding,
    Gap,
    Report,
    ResourceType,
    Result,
    Score,
    Severity,
    Source,
    Status,
    Tool,
    configured_reason,
    finding_id,
    joined_remediation,
)
from auditor.policy import IamPrincipal, PrivilegeAnalysis, privilege_analysis
from auditor.policy.graph import AttackGraph, AttackPath, NodeKind, analyses_scope, attack_graph
from auditor.snapshot import Group, Snapshot
from auditor.sources import OPTIONAL_SOURCES

logger = logging.getLogger(__name__)

# How much one check counts towards the score, by its severity. Info checks are advice and
# do not move the score; a critical check outweighs three medium ones.
SEVERITY_WEIGHT: Mapping[Severity, int] = {
    Severity.CRITICAL: 10,
    Severity.HIGH: 6,
    Severity.MEDIUM: 3,
    Severity.LOW: 1,
    Severity.INFO: 0,
}

# AWS serves a cached credential report for up to four hours; older data is stale (the
# collector regenerates such a report once; this is its twin, kept free of boto3).
CREDENTIAL_REPORT_MAX_AGE = timedelta(hours=4)

# (lowest score for the grade, grade), best first.
GRADE_FLOORS: tuple[tuple[float, str], ...] = ((90, "A"), (80, "B"), (70, "C"), (60, "D"))

# The best grade an account can get while it has an unmuted FAIL of this severity.
GRADE_CAPS: Mapping[Severity, str] = {Severity.CRITICAL: "D", Severity.HIGH: "B"}


# --- what runs ---------------------------------------------------------------------------


def selected_checks(
    settings: Settings,
    only: Collection[str] | None = None,
    *,
    available: Sequence[Check] | None = None,
) -> list[Check]:
    """The checks to run, in catalog order: enabled in the config, narrowed by ``only``.

    ``only`` holds check ids (any case) or slugs from ``--checks``; None or empty means
    every enabled check. ``available`` defaults to ``all_checks()``. Raises ``ValueError``
    for a name that is no check, and for a check that ``only`` asks for but the config
    disables: running nothing and reporting a clean audit would be the worse surprise.
    """
    catalog = list(all_checks() if available is None else available)
    enabled = [c for c in catalog if _override_enabled(settings, c.meta.id)]
    if not only:
        return enabled
    wanted: set[str] = set()
    for name in only:
        match = _lookup(catalog, name)
        if match is None:
            raise UsageError(f"unknown check {name.strip()!r} in --checks{_hint(catalog, name)}")
        if not _override_enabled(settings, match.meta.id):
            where = f" in {settings.source}" if settings.source else ""
            raise UsageError(
                f"check {match.meta.id} ({match.meta.slug}) is disabled by "
                f"[checks.{match.meta.id}]{where}; enable it there to run it"
            )
        wanted.add(match.meta.id)
    return [c for c in enabled if c.meta.id in wanted]


def _override_enabled(settings: Settings, check_id: str) -> bool:
    override = settings.checks.get(check_id)
    return override is None or override.enabled


def _lookup(catalog: Sequence[Check], name: str) -> Check | None:
    key = name.strip()
    return next(
        (c for c in catalog if c.meta.id == key.upper() or c.meta.slug == key.lower()), None
    )


def _hint(catalog: Sequence[Check], name: str) -> str:
    names = [c.meta.slug for c in catalog] + [c.meta.id.lower() for c in catalog]
    close = difflib.get_close_matches(name.strip().lower(), names, n=1, cutoff=0.75)
    if close:
        return f" (did you mean {close[0]}?)"
    return "; `iam-auditor checks` lists ids and slugs"


def _flagged(flag: Callable[[Check], bool]) -> frozenset[str]:
    """The ids of the registered checks carrying ``flag``, looked up by id so that a
    stand-in check (a test's) borrowing a registered id behaves as that check."""
    return frozenset(c.meta.id for c in all_checks() if flag(c))


def needed_sources(checks: Iterable[Check]) -> frozenset[Source]:
    """Every source some check needs, plus the Organization for the checks that judge
    trusted accounts and the authorization details for the context rule when a check
    judges principals.

    The Organization is optional: no check lists it in ``needs``, so its failure makes no
    check ERROR; only the configured ids then count as trusted - which can add findings,
    never hide one - and a note says so. The collector fetches these and nothing else.
    """
    trusting = _flagged(lambda c: c.judges_trusted_accounts)
    out: set[Source] = set()
    for c in checks:
        out |= c.meta.needs
        if c.meta.id in trusting:
            out.add(Source.ORGANIZATION)
        # ``raise_for_context`` needs to know who is admin-equivalent, even for a check
        # (KEY-002) that reads only the credential report.
        if c.meta.resource_type in CONTEXT_RESOURCE_TYPES:
            out.add(Source.AUTHORIZATION_DETAILS)
    return frozenset(out)


def trusted_accounts(
    snapshot: Snapshot, settings: Settings, checks: Iterable[Check]
) -> tuple[frozenset[str], list[str]]:
    """The accounts the checks treat as trusted, and notes on where that came from.

    Trusted: ``trusted_account_ids`` from the config and the ACTIVE member accounts of the
    Organization when they were read (the audited account is trusted by the checks
    themselves). The notes, only when a check that judges trusted accounts runs, say how
    many Organization accounts counted, or why none did.
    """
    members = snapshot.organization_account_ids or frozenset()
    notes: list[str] = []
    trusting = _flagged(lambda c: c.judges_trusted_accounts)
    if any(c.meta.id in trusting for c in checks):
        gap = snapshot.gap(Source.ORGANIZATION)
        if gap is not None:
            notes.append(
                f"Organization member accounts not read ({gap.operation} failed with "
                f"{gap.error}): only trusted_account_ids count as trusted"
            )
        elif not snapshot.has(Source.ORGANIZATION):
            notes.append(
                "Organization member accounts not collected in this snapshot: "
                "only trusted_account_ids count as trusted"
            )
        elif members:
            notes.append(
                f"{len(members)} active account(s) of the AWS Organization count as trusted "
                "(organizations:ListAccounts), with trusted_account_ids"
            )
    return settings.trusted_account_ids | members, notes


def _reported_gaps(snapshot: Snapshot) -> tuple[Gap, ...]:
    """The snapshot's gaps but those of optional sources, which the notes explain instead."""
    return tuple(g for g in snapshot.gaps if g.source not in OPTIONAL_SOURCES)


# --- running the checks ------------------------------------------------------------------


def analyze(
    snapshot: Snapshot,
    settings: Settings,
    checks: Sequence[Check],
    *,
    tool: Tool,
    today: date | None = None,
) -> Report:
    """Judge ``snapshot`` with ``checks`` under ``settings``; never raises for a check's sake.

    A check whose data failed to collect, was never collected, or that raised, yields one
    ERROR finding on the account root instead of results. ``today`` decides which mutes
    have expired; it defaults to the day (UTC) the snapshot was collected, so that
    re-auditing a saved snapshot gives the same report. ``generated_at`` is the collection
    time for the same reason: the findings describe the account as it was then. The
    report's ``checks`` are the metadata of ``checks`` in the order given (catalog order
    when they come from ``selected_checks``), findings or not. Gaps of optional sources
    (the Organization's accounts) are left out of the report's gaps: no check depends on
    them, and a note says what their absence means (``trusted_accounts``).
    """
    trusted, trust_notes = trusted_accounts(snapshot, settings, checks)
    context = CheckContext(thresholds=settings.thresholds, trusted_account_ids=trusted)
    findings: list[Finding] = []
    # The checks and the context rule share one privilege analysis, trust analysis and
    # attack graph; the scope drops them once the findings are made.
    with analyses_scope(snapshot.authorization):
        for chk in checks:
            findings.extend(_run_check(chk, snapshot, settings, context))
        findings, context_notes = raise_for_context(findings, snapshot)
    if today is None:
        today = _utc_date(snapshot)
    findings, mute_notes = apply_mutes(findings, settings.mutes, today)
    credential_report = snapshot.credential_report
    report_notes = credential_report_notes(snapshot)
    return Report(
        tool=tool,
        account_id=snapshot.account_id,
        partition=snapshot.partition,
        generated_at=snapshot.collected_at,
        credential_report_generated_at=(
            credential_report.generated_at if credential_report is not None else None
        ),
        score=score(findings),
        findings=tuple(findings),
        gaps=_reported_gaps(snapshot),
        notes=(*trust_notes, *context_notes, *mute_notes, *report_notes),
        checks=tuple(chk.meta for chk in checks),
        configured={
            chk.meta.id: severity
            for chk in checks
            if (severity := _configured_severity(chk, settings)) not in (None, chk.meta.severity)
        },
    )


def describe_age(age: timedelta) -> str:
    """``2 h 10 min``, ``3 days 4 h``, ``412 days``: an age for people, to the minute."""
    minutes = int(abs(age).total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days >= 30:
        return f"{days} days"
    if days:
        return f"{days} day{'s' if days > 1 else ''}" + (f" {hours} h" if hours else "")
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min" if minutes else "under a minute"


def credential_report_age(generated: datetime | None, audited: datetime) -> str | None:
    """``credential report generated 2026-11-23T09:58Z, 2 h 10 min before this audit``.

    Says how old the credential data is (``generated``: AWS's ``GeneratedTime``;
    ``audited``: when the audit collected); None when there was no report.
    """
    if generated is None:
        return None
    when = generated.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")
    side = "before" if generated <= audited else "after the start of"
    return (
        f"credential report generated {when}, {describe_age(audited - generated)} {side} this audit"
    )


def credential_report_notes(snapshot: Snapshot) -> list[str]:
    """Notes on the credential report's data: stale (over 4 h old), or columns ignored."""
    report = snapshot.credential_report
    if report is None:
        return []
    notes: list[str] = []
    age = credential_report_age(report.generated_at, snapshot.collected_at)
    if (
        age is not None
        and report.generated_at is not None
        and snapshot.collected_at - report.generated_at > CREDENTIAL_REPORT_MAX_AGE
    ):
        notes.append(
            f"The {age}: older than the 4 hours AWS serves a cached report, and no newer "
            "one could be had; credential findings describe the account as it was then."
        )
    if report.ignored_columns:
        notes.append(
            "Credential report columns iam-auditor does not read were ignored: "
            + ", ".join(repr(c) for c in report.ignored_columns)
            + "."
        )
    return notes


def _utc_date(snapshot: Snapshot) -> date:
    return snapshot.collected_at.astimezone(UTC).date()


def _run_check(
    chk: Check, snapshot: Snapshot, settings: Settings, context: CheckContext
) -> list[Finding]:
    """One check's findings, or the single ERROR finding that says why it could not look."""
    meta = chk.meta
    make = _FindingMaker(chk, snapshot, settings)
    # Enum order, so the gap named for a check needing two failed sources is stable.
    for source in (s for s in Source if s in meta.needs):
        gap = snapshot.gap(source)
        if gap is not None:
            evidence: dict[str, Any] = {
                "operation": gap.operation,
                "error": gap.error,
                "message": gap.message,
            }
            detail = f"Could not evaluate: {gap.operation} failed with {gap.error}"
            if gap.error == "Timeout":
                # "Timeout" alone does not say what ran out; the collector's message does.
                detail += f": {gap.message}"
            return [make.error(detail, evidence)]
    for source in (s for s in Source if s in meta.needs):
        if not snapshot.has(source):
            return [
                make.error(
                    f"Could not evaluate: {source.value} data not collected "
                    "(the snapshot was taken without the checks that need it)",
                    {"source": source.value, "error": "NotCollected"},
                )
            ]
    try:
        # list() inside the try: a check that fails halfway must not leave half its verdicts.
        results = list(chk.run(snapshot, context))
        bad = next((r for r in results if not isinstance(r, Result)), None)
        if bad is not None:
            raise TypeError(f"check yielded {type(bad).__name__}, not Result")
    except Exception as exc:
        logger.exception("check %s raised %s; reporting ERROR", meta.id, type(exc).__name__)
        return [
            make.error(
                f"Could not evaluate: the check failed with {type(exc).__name__}: {exc}",
                {"error": type(exc).__name__, "message": str(exc)},
            )
        ]
    return [make.finding(r) for r in results]


def _configured_severity(chk: Check, settings: Settings) -> Severity | None:
    override = settings.checks.get(chk.meta.id)
    return override.severity if override is not None else None


class _FindingMaker:
    """Turns one check's results into findings, sharing what they have in common.

    The remediation text, the configured severity and the severity reasons are the same
    for every finding of a check: made once here, they are one string each instead of one
    per finding, which on an account of thousands of users was most of the findings'
    memory (a remediation is hundreds of characters; there is a PASS per resource).
    """

    __slots__ = ("_account_id", "_configured", "_meta", "_reasons", "_remediation", "_root")

    def __init__(self, chk: Check, snapshot: Snapshot, settings: Settings) -> None:
        self._meta = chk.meta
        self._account_id = snapshot.account_id
        self._root = snapshot.root_arn
        self._configured = _configured_severity(chk, settings)
        self._remediation = joined_remediation(chk.meta.remediation, chk.meta.remediation_cli)
        self._reasons: dict[tuple[Severity, bool], str] = {}

    def _reason(self, severity: Severity, *, by_check: bool) -> str:
        key = (severity, by_check)
        reason = self._reasons.get(key)
        if reason is None:
            reason = (
                f"set to {severity.value} by the check for this resource (see detail)"
                if by_check
                else configured_reason(self._meta.id, severity)
            )
            self._reasons[key] = reason
        return reason

    def finding(self, result: Result) -> Finding:
        """``result`` with the check's metadata, its stable id and its effective severity.

        The check's own per-result severity is the most specific judgement (ROOT-004 is
        critical when a root key was used), then the config's ``[checks.ID] severity``,
        then the catalog.
        """
        meta = self._meta
        reason: str | None = None
        if result.severity is not None:
            severity = result.severity
            if severity is not meta.severity:
                reason = self._reason(severity, by_check=True)
        elif self._configured is not None:
            severity = self._configured
            if severity is not meta.severity:
                reason = self._reason(severity, by_check=False)
        else:
            severity = meta.severity
        evidence = result.evidence
        if not evidence:
            evidence = NO_EVIDENCE
        elif type(evidence) is not dict:
            evidence = dict(evidence)
        return Finding(
            finding_id=finding_id(self._account_id, meta.id, result.resource_arn, result.qualifier),
            check_id=meta.id,
            slug=meta.slug,
            title=meta.title,
            severity=severity,
            base_severity=meta.severity,
            status=result.status,
            resource_type=result.resource_type or meta.resource_type,
            resource_arn=result.resource_arn,
            resource_name=result.resource_name,
            detail=result.detail,
            # A check's results are done with once converted: a plain dict is taken as it
            # is rather than copied, any other mapping becomes one, and empty evidence is
            # the one shared NO_EVIDENCE.
            evidence=evidence,
            remediation=self._remediation,
            compliance=meta.compliance,
            severity_reason=reason,
        )

    def error(self, detail: str, evidence: Mapping[str, Any]) -> Finding:
        """The one ERROR finding, on the account root, for a check that could not look."""
        result = Result(
            status=Status.ERROR,
            resource_arn=self._root,
            resource_name=self._account_id,
            detail=detail,
            evidence=evidence,
            resource_type=ResourceType.ACCOUNT,
        )
        return self.finding(result)


# What the context rule raises: FAIL findings about a user, group, role or access key, but
# not those of a check flagged ``weighs_privilege`` (the same fact would count twice).
CONTEXT_RESOURCE_TYPES: frozenset[ResourceType] = frozenset(
    {ResourceType.USER, ResourceType.ROLE, ResourceType.GROUP, ResourceType.ACCESS_KEY}
)
_CONTEXT_SHOWN = 3


def raise_for_context(
    findings: list[Finding], snapshot: Snapshot
) -> tuple[list[Finding], list[str]]:
    """The context rule (docs/architecture.md): raise privileged principals' FAILs one level.

    A FAIL finding (of any check not flagged ``weighs_privilege``) whose resource is a user,
    group or role that is admin-equivalent or can escalate (``auditor.policy.privilege``),
    or a user or role that can reach admin through other principals (``auditor.policy.graph``)
    gets ``Severity.raised()`` - never above critical - keeps ``base_severity``, and says
    why in ``severity_reason`` (after any reason it had). It runs after config overrides,
    which set the level the rule raises from, and before mutes and scoring, so the raised
    severity counts in the score and in ``--fail-on`` and a muted finding shows it too.
    Without authorization details (failed or not collected) nothing is raised and the
    returned notes say so.
    """
    exempt = _flagged(lambda c: c.weighs_privilege)
    candidates = [i for i, f in enumerate(findings) if _context_applies(f, exempt)]
    if not candidates:
        return findings, []
    details = snapshot.authorization
    if details is None or not snapshot.has(Source.AUTHORIZATION_DETAILS):
        gap = snapshot.gap(Source.AUTHORIZATION_DETAILS)
        missing = (
            f"{gap.operation} failed with {gap.error}"
            if gap is not None
            else "authorization details were not collected"
        )
        return findings, [
            f"Context rule not applied ({missing}): {len(candidates)} FAIL finding(s) on users, "
            "groups or roles keep their checks' severities, unraised for admin-equivalent "
            "or escalating principals"
        ]
    analysis = privilege_analysis(details)
    reach = _Reach(snapshot)
    out = list(findings)
    for i in candidates:
        finding = out[i]
        principal = analysis.principal_by_arn(finding.resource_arn)
        why = _privileged(analysis, principal, reach) if principal is not None else None
        raised = finding.severity.raised()
        if why is None or raised is finding.severity:
            continue
        reason = f"raised from {finding.severity.value}: {why}"
        if finding.severity_reason:
            reason = f"{finding.severity_reason}; then {reason}"
        out[i] = dataclasses.replace(finding, severity=raised, severity_reason=reason)
    return out, []


def _context_applies(finding: Finding, exempt: frozenset[str]) -> bool:
    return (
        finding.status is Status.FAIL
        and finding.check_id not in exempt
        and finding.resource_type in CONTEXT_RESOURCE_TYPES
    )


class _Reach:
    """The attack graph's answer to "can this user or role end up admin?", built only when
    first asked (most candidates are settled by their own policies) and shared, through the
    graph's cache, with PERM-010 and ``iam-auditor paths``."""

    def __init__(self, snapshot: Snapshot) -> None:
        self._snapshot = snapshot
        self._graph: AttackGraph | None = None

    def path(self, principal: IamPrincipal) -> AttackPath | None:
        """The principal's shortest path to admin, or None (groups never act themselves)."""
        if isinstance(principal, Group):
            return None
        if self._graph is None:
            self._graph = attack_graph(self._snapshot)
        return self._graph.path(principal.arn) if self._graph.node(principal.arn) else None


def _privileged(analysis: PrivilegeAnalysis, principal: IamPrincipal, reach: _Reach) -> str | None:
    """Why ``principal`` counts as privileged, for ``severity_reason``; None if it does not.

    Escalating means holding a known method itself, or reaching admin through other
    principals (the attack graph: a role it may assume, a role it may pass, ...).
    """
    admin = analysis.admin_policies(principal)
    if admin:
        names = [p.name + (f" via group {p.via_group}" if p.via_group else "") for p in admin]
        return f"{principal.name} is admin-equivalent ({_first(names)})"
    methods = [m.method for m in analysis.escalation_methods(principal)]
    if methods:
        return f"{principal.name} can escalate its privileges ({_first(methods)})"
    path = reach.path(principal)
    if path is not None:
        via = [n.name for n in path.nodes[1:] if n.kind is not NodeKind.ADMIN]
        through = f" through {_first(via)}" if via else ""
        return f"{principal.name} can reach administrator rights{through} (PERM-010)"
    return None


def _first(items: Sequence[str]) -> str:
    shown = ", ".join(items[:_CONTEXT_SHOWN])
    more = len(items) - _CONTEXT_SHOWN
    return f"{shown} and {more} more" if more > 0 else shown


# --- mutes -------------------------------------------------------------------------------


def apply_mutes(
    findings: Iterable[Finding], mutes: Sequence[Mute], today: date
) -> tuple[list[Finding], list[str]]:
    """Mark FAIL findings matched by a live mute as muted; note every expired mute.

    Only FAIL is mutable: PASS needs no mute, and muting an ERROR would hide that the audit
    is incomplete. A mute matches on the check id and an fnmatch glob over the whole
    resource ARN (case-sensitive). A mute is live through its ``expires`` date; the first
    live mute in config order that matches gives the reason.
    """
    live = [m for m in mutes if m.expires is None or m.expires >= today]
    notes = [
        f"Mute for {m.check} on {m.resource} expired on {m.expires.isoformat()} "
        "and no longer applies"
        for m in mutes
        if m.expires is not None and m.expires < today
    ]
    out: list[Finding] = []
    for f in findings:
        mute = None
        if f.status is Status.FAIL:
            mute = next((m for m in live if mute_matches(m, f)), None)
        out.append(
            f if mute is None else dataclasses.replace(f, muted=True, mute_reason=mute.reason)
        )
    return out, notes


def mute_matches(mute: Mute, finding: Finding) -> bool:
    """True when ``mute`` names the finding's check and its glob matches the resource ARN."""
    return mute.check == finding.check_id and fnmatchcase(finding.resource_arn, mute.resource)


# --- score -------------------------------------------------------------------------------


def score(findings: Iterable[Finding]) -> Score:
    """The account's score (0-100, one decimal) and grade; see docs/scoring.md.

    Per check, the share of its unmuted PASS among its unmuted PASS + FAIL findings,
    weighted by the check's severity (the highest severity among those findings, so config
    overrides count). ERROR and muted findings are not judged. Nothing judged scores 100.
    The grade follows the rounded value, then is capped: no better than D with an unmuted
    critical FAIL, no better than B with an unmuted high FAIL.
    """
    passed: dict[str, int] = {}
    judged: dict[str, int] = {}
    weight: dict[str, int] = {}
    worst_fail: Severity | None = None
    for f in findings:
        if f.muted or f.status is Status.ERROR:
            continue
        judged[f.check_id] = judged.get(f.check_id, 0) + 1
        passed[f.check_id] = passed.get(f.check_id, 0) + (f.status is Status.PASS)
        weight[f.check_id] = max(weight.get(f.check_id, 0), SEVERITY_WEIGHT[f.severity])
        if f.status is Status.FAIL and (worst_fail is None or f.severity.rank > worst_fail.rank):
            worst_fail = f.severity
    total = sum(weight[c] for c in judged)
    if total == 0:
        value = Fraction(100)
    else:
        # Exact fractions until the single rounding, so the doc's arithmetic is the code's.
        earned = sum((Fraction(weight[c] * passed[c], judged[c]) for c in judged), Fraction(0))
        value = 100 * earned / total
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    rounded = float(exact.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))
    return Score(value=rounded, grade=grade(rounded, worst_fail))


def grade(value: float, worst_fail: Severity | None = None) -> str:
    """The letter for ``value``, capped by the most severe unmuted FAIL."""
    letter = next((g for floor, g in GRADE_FLOORS if value >= floor), "F")
    cap = GRADE_CAPS.get(worst_fail) if worst_fail is not None else None
    # Letters sort A < B < ... < F, so the worse grade is the larger letter.
    return max(letter, cap) if cap is not None else letter
