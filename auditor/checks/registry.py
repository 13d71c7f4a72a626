"""The check registry: ``@check(...)`` right above a plain function registers it.

A check is a pure function ``(Snapshot, CheckContext) -> Iterable[Result]``; it never
imports boto3 and never does I/O. Its metadata (id, slug, title, severity, what data it
needs, remediation, references, framework mappings) sits in the decorator, in one place,
so the catalog, the CLI's ``checks`` command, the permissions policy and the reports all
read the same facts.
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
    """A registered check: its metadata and the function that evaluates it."""

    meta: CheckMeta
    run: CheckFn


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
        REGISTRY[id] = Check(meta=meta, run=fn)
        return fn

    return register
