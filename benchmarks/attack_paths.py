"""Attack-path benchmark: what building the attack graph and finding every path adds to an audit.

Times the graph and the path search on the analysis benchmark's account, after an audit has
warmed the shared caches (and cold, and on an adversarial shape); exits 1 when the warm
median exceeds ``--budget``. Details: benchmarks/README.md, "Attack-path benchmark".
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import json
import statistics
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import psutil

from auditor.analyze import analyze
from auditor.audit import TOOL
from auditor.checks import all_checks
from auditor.config import Settings
from auditor.policy.graph import attack_graph, cheapest_cut
from auditor.snapshot import InlinePolicy, Snapshot
from benchmarks.analysis import ACCOUNT_ID, Shape, aws_managed_policy_count, build_snapshot

BUDGET_SECONDS = 2.0
ATTACK_SHAPE = Shape(roles=1000, customer_policies=2000, users=5000, groups=20)


def _inline(name: str, *statements: dict[str, Any]) -> InlinePolicy:
    return InlinePolicy(name, {"Version": "2012-10-17", "Statement": list(statements)})


def stress_snapshot(shape: Shape) -> Snapshot:
    """The benchmark account made adversarial for the graph: every user holds wildcard
    ``sts:AssumeRole``, ``iam:PassRole`` and Lambda create-and-invoke (5,000 x roles
    pairs if edges were materialised per pair), every tenth role trusts the account root
    only for ``aws:PrincipalArn`` patterns (read per caller), and every fifth role can
    rewrite the roles of one of 100 teams (100 distinct rewrite capabilities)."""
    base = build_snapshot(shape)
    details = base.authorization
    assert details is not None
    wide = _inline(
        "wide",
        {"Effect": "Allow", "Action": ["sts:AssumeRole", "iam:PassRole"], "Resource": "*"},
        {
            "Effect": "Allow",
            "Action": ["lambda:CreateFunction", "lambda:InvokeFunction"],
            "Resource": "*",
        },
    )
    users = tuple(
        dataclasses.replace(u, inline_policies=(*u.inline_policies, wide)) for u in details.users
    )
    roles = []
    user_prefix = f"arn:aws:iam::{ACCOUNT_ID}:user/user-00"
    for i, role in enumerate(details.roles):
        changes: dict[str, Any] = {"name": role.name}
        if i % 10 == 3:
            changes["trust_policy"] = {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"},
                        "Action": "sts:AssumeRole",
                        "Condition": {
                            "ArnLike": {"aws:PrincipalArn": f"{user_prefix}{i % 100:02d}*"}
                        },
                    }
                ],
            }
        if i % 5 == 0:
            team = _inline(
                "team",
                {
                    "Effect": "Allow",
                    "Action": "iam:PutRolePolicy",
                    "Resource": f"arn:aws:iam::{ACCOUNT_ID}:role/role-00{i % 100:02d}*",
                },
            )
            changes["inline_policies"] = (*role.inline_policies, team)
        roles.append(dataclasses.replace(role, **changes))
    authorization = dataclasses.replace(details, users=users, roles=tuple(roles))
    return dataclasses.replace(base, authorization=authorization)


@dataclass(frozen=True)
class Run:
    """One repetition: seconds for the graph, for the paths, and what was found."""

    build: float
    paths: float
    rss_growth_mib: float
    nodes: int
    hubs: int
    paths_found: int
    outside: int
    uncertain: int
    cut_breaks: int

    @property
    def total(self) -> float:
        """Graph and paths together: what the check adds to an audit."""
        return self.build + self.paths


def _rss_mib() -> float:
    return float(psutil.Process().memory_info().rss) / (1 << 20)


def measure(snapshot: Snapshot, *, warm: bool) -> Run:
    """Time one graph build and path search on ``snapshot`` (after an audit when ``warm``)."""
    if warm:
        analyze(snapshot, Settings(), all_checks(), tool=TOOL)
    gc.collect()
    before = _rss_mib()
    start = time.perf_counter()
    graph = attack_graph(snapshot)
    built = time.perf_counter()
    paths = graph.paths_to_admin()
    cut = cheapest_cut(paths)
    done = time.perf_counter()
    growth = _rss_mib() - before
    return Run(
        build=built - start,
        paths=done - built,
        rss_growth_mib=growth,
        nodes=len(graph.nodes()),
        hubs=len(graph._hubs),
        paths_found=len(paths),
        outside=sum(p.starts_outside for p in paths),
        uncertain=sum(not p.certain for p in paths),
        cut_breaks=cut.paths_broken if cut is not None else 0,
    )


def markdown_table(
    shape: Shape, warm: Sequence[Run], cold: Sequence[Run], stress: Sequence[Run] = ()
) -> str:
    """Both configurations as a Markdown table (medians)."""
    lines = [
        f"Snapshot: {shape.users} users, {shape.roles} roles, {shape.customer_policies} customer "
        f"policies, {aws_managed_policy_count()} AWS managed policies, {shape.groups} groups; "
        f"{len(warm)} warm, {len(cold)} cold and {len(stress)} stress runs.",
        "",
        "| run | graph s | paths + cut s | total s | RSS growth MiB | nodes | hubs | paths "
        "| from outside | uncertain | cut breaks |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for label, runs in (
        ("after an audit (warm)", warm),
        ("alone (cold)", cold),
        ("stress shape, after an audit", stress),
    ):
        if not runs:
            continue
        last = runs[-1]
        lines.append(
            f"| {label} | {statistics.median(r.build for r in runs):.2f} "
            f"| {statistics.median(r.paths for r in runs):.2f} "
            f"| **{statistics.median(r.total for r in runs):.2f}** "
            f"| {statistics.median(r.rss_growth_mib for r in runs):.0f} "
            f"| {last.nodes} | {last.hubs} | {last.paths_found} | {last.outside} "
            f"| {last.uncertain} | {last.cut_breaks} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Time the warm and cold configurations; exit 1 if the warm median exceeds the budget."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.attack_paths", description=__doc__)
    parser.add_argument("--users", type=int, default=ATTACK_SHAPE.users)
    parser.add_argument("--roles", type=int, default=ATTACK_SHAPE.roles)
    parser.add_argument("--policies", type=int, default=ATTACK_SHAPE.customer_policies)
    parser.add_argument("--groups", type=int, default=ATTACK_SHAPE.groups)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cold", type=int, default=1, help="cold repetitions (0: none)")
    parser.add_argument(
        "--stress", type=int, default=1, help="repetitions of the adversarial shape (0: none)"
    )
    parser.add_argument("--budget", type=float, default=BUDGET_SECONDS, metavar="SECONDS")
    parser.add_argument("--json", type=argparse.FileType("w"), metavar="FILE")
    args = parser.parse_args(argv)
    if (
        min(args.users, args.roles, args.policies, args.groups, args.cold, args.stress) < 0
        or args.repeat < 1
    ):
        parser.error("sizes must be >= 0 and --repeat >= 1")
    shape = Shape(
        roles=args.roles, customer_policies=args.policies, users=args.users, groups=args.groups
    )
    warm = []
    for n in range(args.repeat):
        print(f"warm run {n + 1}/{args.repeat}…", file=sys.stderr, flush=True)
        warm.append(measure(build_snapshot(shape), warm=True))
    cold = []
    for n in range(args.cold):
        print(f"cold run {n + 1}/{args.cold}…", file=sys.stderr, flush=True)
        cold.append(measure(build_snapshot(shape), warm=False))
    stress = []
    for n in range(args.stress):
        print(f"stress run {n + 1}/{args.stress}…", file=sys.stderr, flush=True)
        stress.append(measure(stress_snapshot(shape), warm=True))
    print(markdown_table(shape, warm, cold, stress))
    median = statistics.median(r.total for r in warm)
    if args.json:
        json.dump(_as_json(shape, warm, cold, stress), args.json, indent=1)
    if median > args.budget:
        print(
            f"attack paths took {median:.2f} s: over the {args.budget:.2f} s budget",
            file=sys.stderr,
        )
        return 1
    return 0


def _as_json(
    shape: Shape, warm: Sequence[Run], cold: Sequence[Run], stress: Sequence[Run]
) -> Mapping[str, Any]:
    return {
        "shape": shape.__dict__,
        "aws_managed_policies": aws_managed_policy_count(),
        "warm": [r.__dict__ | {"total": r.total} for r in warm],
        "cold": [r.__dict__ | {"total": r.total} for r in cold],
        "stress": [r.__dict__ | {"total": r.total} for r in stress],
    }


if __name__ == "__main__":
    sys.exit(main())
