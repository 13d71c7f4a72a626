"""The analysis benchmark's machinery: the snapshot it builds, its timing and its table."""

from __future__ import annotations

import itertools
import json

from auditor.checks import all_checks
from auditor.model import Source
from auditor.snapshot import Snapshot, dumps, loads
from benchmarks.analysis import (
    GRAPH_CHECKS,
    ISSUE_3_CHECKS,
    Shape,
    Timing,
    aws_managed_policy_count,
    build_snapshot,
    issue_2_checks,
    markdown_table,
    time_analyze,
    trust_documents,
)

SMALL = Shape(roles=40, customer_policies=30, users=12, groups=3)


def test_the_snapshot_has_the_requested_shape() -> None:
    snap = build_snapshot(SMALL)
    details = snap.authorization
    assert details is not None
    assert len(details.roles) == 40
    assert len(details.users) == 12
    assert len(details.groups) == 3
    customer = [p for p in details.policies if not p.aws_managed]
    aws = [p for p in details.policies if p.aws_managed]
    assert len(customer) == 30
    assert len(aws) == aws_managed_policy_count() > 1000
    assert {"AdministratorAccess", "ReadOnlyAccess"} <= {p.name for p in aws}
    # Every trust shape is used, and attachment counts match the attachments made.
    shapes = {json.dumps(d, sort_keys=True) for d in trust_documents()}
    assert {json.dumps(r.trust_policy, sort_keys=True) for r in details.roles} == shapes
    entities = (*details.roles, *details.users, *details.groups)
    attached = [a.arn for e in entities for a in e.attached_policies]
    for policy in details.policies:
        assert policy.attachment_count == attached.count(policy.arn), policy.name
    assert snap.credential_report is not None
    assert len(snap.credential_report.users) == 12
    assert snap.sources == frozenset(Source)


def test_the_snapshot_is_reproducible_and_round_trips() -> None:
    snap = build_snapshot(SMALL)
    assert build_snapshot(SMALL) == snap
    assert build_snapshot(Shape(roles=40, customer_policies=30, users=12, groups=3, seed=1)) != snap
    assert loads(dumps(snap)) == snap


def test_the_baseline_leaves_out_exactly_the_trust_and_privilege_checks() -> None:
    baseline = {c.meta.id for c in issue_2_checks()}
    everything = {c.meta.id for c in all_checks()}
    assert baseline == everything - ISSUE_3_CHECKS - GRAPH_CHECKS
    assert not baseline & ISSUE_3_CHECKS
    assert len(ISSUE_3_CHECKS) == 20


def test_timing_and_table() -> None:
    ticks = itertools.count()
    built: list[Snapshot] = []

    def build() -> Snapshot:
        built.append(build_snapshot(SMALL))
        return built[-1]

    timing = time_analyze("all", all_checks(), build, repeat=2, clock=lambda: float(next(ticks)))
    # Each repetition has its own snapshot, and the clock is read around analyze alone.
    assert len(built) == 2 and built[0] is not built[1]
    assert timing.seconds == (1.0, 1.0)
    assert timing.findings > 0
    baseline = Timing("issue 2", checks=3, findings=10, seconds=(0.5, 0.25, 0.75))
    full = Timing("all", checks=5, findings=14, seconds=(1.5, 1.0, 1.25))
    table = markdown_table(SMALL, baseline, full)
    assert "| issue 2 | 3 | 10 | 0.50 | 0.50 |" in table
    assert "| all | 5 | 14 | 1.25 | 1.50 |" in table
    assert "| **added by trust and privilege analysis** | 2 | 4 | **0.75** | 1.00 |" in table
