"""The check registry: ``@check(...)`` right above a pure function registers it.

Everything known about a check - its metadata and the flags the analyzer reads - sits in
that one decorator, so the catalog, the analyzer, the permissions policy and the reports
all read the same facts.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from auditor.config import Thresholds
from auditor.model import CheckMeta, Compliance, ResourceType, Result, Severity, Source
from auditor.snapshot import Snapshot


@dataclass(frozen=True)
class CheckContext:
    """What a check may know besides the snapshot: the configured thresholds and trust."""

    thresholds: Thresholds = field(default_factory=Thresholds)
    trusted_account_ids: frozenset[str] = frozenset()


CheckFn = Callable[[Snapshot, CheckContext], Iterable[Result]]


@dataclass(frozen=True)
class Check:
    """A registered check: its metadata, the function that evaluates it, and its flags.

    ``judges_trusted_accounts``: it reads ``CheckContext.trusted_account_ids``, so running it
    also collects the Organization's accounts. ``weighs_privilege``: its verdict already
    counts the principal's privilege, so the context rule leaves its findings alone.
    """

    meta: CheckMeta
    run: CheckFn
    judges_trusted_accounts: bool = False
    weighs_privilege: bool = False


REGISTRY: dict[str, Check] = {}
_ID = re.compile(r"[A-Z]+-[0-9]{3}")


def check(
    *,
    id: str,
    slug: str,
    title: str,
    severity: Severity,
    resource_type: ResourceType,
    needs: Iterable[Source],
    rationale: str,
    remediation: str,
    remediation_cli: str,
    references: Iterable[str] = (),
    cis_7: Iterable[str] = (),
    cis_5: Iterable[str] = (),
    fsbp: Iterable[str] = (),
    judges_trusted_accounts: bool = False,
    weighs_privilege: bool = False,
) -> Callable[[CheckFn], CheckFn]:
    """Register the decorated function as check ``id`` with this metadata."""
    if not _ID.fullmatch(id):
        raise ValueError(f"check id {id!r} is not of the form AREA-NNN")
    meta = CheckMeta(
        id=id,
        slug=slug,
        title=title,
        severity=severity,
        resource_type=resource_type,
        needs=frozenset(needs),
        rationale=rationale,
        remediation=remediation,
        remediation_cli=remediation_cli,
        references=tuple(references),
        compliance=Compliance(cis_7=tuple(cis_7), cis_5=tuple(cis_5), fsbp=tuple(fsbp)),
    )

    def register(fn: CheckFn) -> CheckFn:
        if id in REGISTRY:
            raise ValueError(f"check id {id} registered twice")
        if any(c.meta.slug == slug for c in REGISTRY.values()):
            raise ValueError(f"check slug {slug} registered twice")
        REGISTRY[id] = Check(
            meta=meta,
            run=fn,
            judges_trusted_accounts=judges_trusted_accounts,
            weighs_privilege=weighs_privilege,
        )
        return fn

    return register
