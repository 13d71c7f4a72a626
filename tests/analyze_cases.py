"""What the analyzer tests share: stand-in checks, their results, a snapshot, a run."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from auditor.analyze import analyze
from auditor.checks import Check, CheckContext
from auditor.config import Settings
from auditor.model import (
    CheckMeta,
    Compliance,
    Finding,
    Gap,
    Report,
    ResourceType,
    Result,
    Severity,
    Source,
    Status,
    Tool,
)
from auditor.snapshot import AuthorizationDetails, Snapshot

ACCOUNT = "123456789012"
ROOT = f"arn:aws:iam::{ACCOUNT}:root"
COLLECTED = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
TOOL = Tool(name="iam-auditor", version="0.0.test")
CR = Source.CREDENTIAL_REPORT
PP = Source.PASSWORD_POLICY
AD = Source.AUTHORIZATION_DETAILS

RunFn = Callable[[Snapshot, CheckContext], Iterable[Result]]


def user(name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:user/{name}"


def make_check(
    check_id: str,
    *,
    slug: str | None = None,
    severity: Severity = Severity.MEDIUM,
    needs: Iterable[Source] = (CR,),
    run: RunFn | None = None,
    resource_type: ResourceType = ResourceType.USER,
) -> Check:
    meta = CheckMeta(
        id=check_id,
        slug=slug or f"slug-{check_id.lower()}",
        title=f"Title of {check_id}",
        severity=severity,
        resource_type=resource_type,
        needs=frozenset(needs),
        rationale="because",
        remediation=f"Fix {check_id}.",
        remediation_cli=f"aws iam fix-{check_id.lower()}",
        compliance=Compliance(cis_7=("2.12",), fsbp=("IAM.3",)),
    )
    return Check(meta=meta, run=run or (lambda snap, ctx: ()))


def results(*items: tuple[Status, str]) -> RunFn:
    """A check body returning one result per (status, user name)."""

    def run(snap: Snapshot, ctx: CheckContext) -> list[Result]:
        return [Result(status=s, resource_arn=user(n), resource_name=n, detail=n) for s, n in items]

    return run


def snapshot(sources: Iterable[Source] = tuple(Source), gaps: Iterable[Gap] = ()) -> Snapshot:
    collected = frozenset(sources)
    return Snapshot(
        account_id=ACCOUNT,
        partition="aws",
        collected_at=COLLECTED,
        sources=collected,
        gaps=tuple(gaps),
        # Collected authorization details with nobody in them: the context rule then
        # finds no privileged principal, rather than noting that it could not look.
        authorization=AuthorizationDetails() if AD in collected else None,
    )


def run(checks: list[Check], settings: Settings | None = None, **kw: object) -> Report:
    snap = kw.pop("snap", None) or snapshot()
    assert isinstance(snap, Snapshot)
    return analyze(snap, settings or Settings(), checks, tool=TOOL, **kw)  # type: ignore[arg-type]


def by_check(report: Report, check_id: str) -> list[Finding]:
    return [f for f in report.findings if f.check_id == check_id]


DENIED = Gap(
    source=PP,
    operation="iam:GetAccountPasswordPolicy",
    error="AccessDenied",
    message="User is not authorized to perform iam:GetAccountPasswordPolicy",
)
