"""The one core every entry point calls: settings in, an analyzed report (and its snapshot) out.

``run_audit`` picks the enabled checks, collects exactly the data they need (or takes a saved
snapshot) and analyzes it. While it runs, the cyclic garbage collector runs less often
(``relaxed_gc``): an audit builds a large heap of long-lived objects and next to no cycles.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
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

# Collecting and analyzing an account of thousands of users makes a few hundred thousand
# objects that live to the end of the audit (the snapshot, then a finding per resource and
# check) and almost no reference cycles: everything an audit drops is freed at once by
# reference counting. Python's default thresholds (700, 10, 10) meanwhile keep triggering
# full collections as that heap grows, each walking all of it, for nothing: a tenth of
# the audit's time at 3,000 users. While audits run, the youngest generation is collected
# after 10,000 allocations instead of 700, and each older one after 20 collections of the
# one below it instead of 10.
AUDIT_GC_THRESHOLDS = (10_000, 20, 20)


class _RelaxedGc:
    """Raises the collector's thresholds while at least one audit runs, then restores them.

    Counted, because the organization runner audits several accounts at once in threads:
    the first audit to start raises the thresholds and the last to end puts back what was
    there before. Thresholds already higher than ``AUDIT_GC_THRESHOLDS`` are kept.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running = 0
        self._saved: tuple[int, int, int] = gc.get_threshold()

    def enter(self) -> None:
        with self._lock:
            if self._running == 0:
                self._saved = gc.get_threshold()
                gc.set_threshold(
                    *(max(a, b) for a, b in zip(self._saved, AUDIT_GC_THRESHOLDS, strict=True))
                )
            self._running += 1

    def leave(self) -> None:
        with self._lock:
            self._running -= 1
            if self._running == 0:
                gc.set_threshold(*self._saved)


_RELAXED_GC = _RelaxedGc()


@contextmanager
def relaxed_gc() -> Iterator[None]:
    """Run the block with ``AUDIT_GC_THRESHOLDS`` (see there), restoring them after."""
    _RELAXED_GC.enter()
    try:
        yield
    finally:
        _RELAXED_GC.leave()


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
    private_session: bool = False,
) -> AuditResult:
    """Audit one account: from a live ``session``, or offline from a saved ``snapshot``.

    ``only`` narrows the run to some check ids or slugs (``--checks``); data that no
    selected check needs is not collected. ``private_session`` says that no other thread
    uses the session (nor shares its botocore data loader), so the service models read for
    the collection can be freed before the analysis (``collect(drop_service_models=...)``).
    Raises ``CredentialsError`` when the session cannot identify its account,
    ``ValueError`` for an unknown check in ``only``.
    """
    checks = selected_checks(settings, only)
    with relaxed_gc():
        if snapshot is None:
            if session is None:
                raise ValueError("run_audit needs a boto3 session or a snapshot")
            from auditor.collect import collect  # noqa: PLC0415 (boto3 only when collecting)

            snapshot = collect(
                session,
                needed_sources(checks),
                progress=progress,
                deadline=settings.collection_deadline,
                drop_service_models=private_session,
            )
        report = analyze(snapshot, settings, checks, tool=TOOL)
    return AuditResult(report=report, snapshot=snapshot)
