"""The one core every entry point calls: settings in, an analyzed report (and its snapshot) out.

The CLI, the demo, the Lambda handler and the organization runner differ only in where the
credentials come from and where the reports go; all of them call ``run_audit``. It picks
the checks the settings enable, collects exactly the data those checks need (or takes a
saved snapshot), runs the analyzer and returns both the report and the snapshot it judged.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING

from auditor import __version__
from auditor.analyze import analyze, needed_sources, selected_checks
from auditor.config import Settings
from auditor.model import Report, Tool
from auditor.snapshot import Snapshot

if TYPE_CHECKING:
    import boto3

TOOL = Tool(name="iam-auditor", version=__version__)


@dataclass(frozen=True)
class AuditResult:
    """The analyzed report and the snapshot it was made from."""

    report: Report
    snapshot: Snapshot


def run_audit(
    settings: Settings,
    *,
    session: boto3.Session | None = None,
    snapshot: Snapshot | None = None,
    only: Collection[str] | None = None,
    progress: Callable[[str], None] | None = None,
) -> AuditResult:
    """Audit one account: from a live ``session``, or offline from a saved ``snapshot``.

    ``only`` narrows the run to some check ids or slugs (``--checks``); data that no
    selected check needs is not collected. Raises ``CredentialsError`` when the session
    cannot identify its account, ``ValueError`` for an unknown check in ``only``.
    """
    checks = selected_checks(settings, only)
    if snapshot is None:
        if session is None:
            raise ValueError("run_audit needs a boto3 session or a snapshot")
        from auditor.collect import collect  # noqa: PLC0415 (boto3 only when collecting)

        snapshot = collect(
            session,
            needed_sources(checks),
            progress=progress,
            deadline=settings.collection_deadline,
        )
    report = analyze(snapshot, settings, checks, tool=TOOL)
    return AuditResult(report=report, snapshot=snapshot)
