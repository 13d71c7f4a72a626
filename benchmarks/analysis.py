"""Analysis benchmark: what trust and privilege analysis adds to the time ``analyze()`` takes.

Times ``analyze`` alone on an in-memory snapshot, each repetition freshly built so no
per-snapshot cache carries over; exits 1 over ``--budget``. What it builds, times and prints:
benchmarks/README.md, "Analysis benchmark".
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any
from unittest import mock

from auditor import analyze as analyze_module
from auditor.analyze import analyze
from auditor.audit import TOOL
from auditor.checks import Check, all_checks
from auditor.config import Settings
from auditor.model import Source
from auditor.snapshot import (
    AccessAnalyzerState,
    AccessKeyState,
    Analyzer,
    AttachedPolicy,
    AuthorizationDetails,
    CredentialReport,
    CredentialRow,
    Group,
    InlinePolicy,
    ManagedPolicy,
    OidcProvider,
    PasswordPolicy,
    Role,
    SamlProvider,
    Snapshot,
    User,
)

ACCOUNT_ID = "123456789012"
COLLECTED = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
BUDGET_SECONDS = 2.0
ISSUE_3_CHECKS = frozenset(
    [f"ROLE-{n:03d}" for n in range(1, 15)] + [f"PERM-{n:03d}" for n in range(3, 9)]
)
# The attack-path checks (issue 11); the context rule's graph question goes with them.
GRAPH_CHECKS = frozenset({"PERM-010", "PERM-011"})
GITHUB = "token.actions.githubusercontent.com"
EKS = "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
ORG_ACCOUNTS = frozenset({ACCOUNT_ID, "210987654321", "345678901234"})

Doc = dict[str, Any]


# --- documents ---------------------------------------------------------------------------


def _doc(*statements: Doc) -> Doc:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def _assume(principal: Any, condition: Doc | None = None, action: str = "sts:AssumeRole") -> Doc:
    statement: Doc = {"Effect": "Allow", "Principal": principal, "Action": action}
    if condition:
        statement["Condition"] = condition
    return statement


def _web(provider: str, condition: Doc | None) -> Doc:
    return _assume({"Federated": provider}, condition, "sts:AssumeRoleWithWebIdentity")


def trust_documents() -> list[Doc]:
    """Trust policies in every shape the normalisation rules name, risky and pinned."""
    github = f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/{GITHUB}"
    eks = f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/{EKS}"
    saml = f"arn:aws:iam::{ACCOUNT_ID}:saml-provider/okta"
    aud = {f"{GITHUB}:aud": "sts.amazonaws.com"}
    return [
        _doc(_assume({"Service": "lambda.amazonaws.com"})),
        _doc(_assume({"Service": ["ec2.amazonaws.com", "ecs-tasks.amazonaws.com"]})),
        _doc(
            _assume(
                {"Service": "s3.amazonaws.com"},
                {"StringEquals": {"aws:SourceAccount": ACCOUNT_ID}},
            )
        ),
        _doc(_assume({"AWS": "arn:aws:iam::444455556666:root"})),
        _doc(_assume({"AWS": "444455556666"}, {"StringEquals": {"sts:ExternalId": "v-1"}})),
        _doc(_assume({"AWS": ["arn:aws:iam::111122223333:role/ci"]})),
        _doc(_assume({"AWS": "*"}, {"StringEquals": {"aws:principalorgid": "o-a1b2c3d4e5"}})),
        _doc(_assume("*", {"StringEquals": {"sts:ExternalId": "x"}})),
        {"Version": "2012-10-17", "Statement": _assume({"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"})},
        _doc(_web(github, {"StringEquals": aud, "StringLike": {f"{GITHUB}:sub": "repo:acme/*"}})),
        _doc(_web(github, {"StringEquals": {**aud, f"{GITHUB}:sub": "repo:acme/app:ref:main"}})),
        _doc(_web(eks, {"StringEquals": {f"{EKS}:aud": "sts.amazonaws.com"}})),
        _doc(_web("cognito-identity.amazonaws.com", None)),
        _doc(_assume({"Federated": saml}, None, "sts:AssumeRoleWithSAML")),
        _doc(
            {
                "Effect": "Allow",
                "NotPrincipal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:user/bob"},
                "Action": "sts:AssumeRole",
            }
        ),
        _doc(
            _assume(
                {"AWS": "arn:aws:iam::444455556666:root"},
                {"StringEqualsIfExists": {"sts:ExternalId": "v-2"}},
            ),
            _assume({"AWS": "AROAEXAMPLEEXAMPLE1234"}, action="sts:TagSession"),
        ),
    ]


def customer_document(i: int, rng: random.Random) -> Doc:
    """One of several realistic shapes of customer policy, some of them risky."""
    bucket = f"arn:aws:s3:::bucket-{i}"
    shapes: list[Doc] = [
        _doc({"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": bucket}),
        _doc(
            {"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"},
            {"Effect": "Deny", "Action": "dynamodb:DeleteTable", "Resource": "*"},
        ),
        _doc({"Effect": "Allow", "NotAction": ["iam:*", "organizations:*"], "Resource": "*"}),
        _doc({"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}),
        _doc(
            {
                "Effect": "Allow",
                "Action": ["iam:PassRole"],
                "Resource": f"arn:aws:iam::{ACCOUNT_ID}:role/app-{i}",
                "Condition": {"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}},
            }
        ),
        _doc({"Effect": "Allow", "Action": ["iam:CreatePolicyVersion"], "Resource": "*"}),
        _doc(
            {
                "Effect": "Allow",
                "Action": [f"sqs:{a}" for a in ("SendMessage", "ReceiveMessage", "DeleteMessage")],
                "Resource": f"arn:aws:sqs:us-east-1:{ACCOUNT_ID}:queue-{i}",
            }
        ),
        _doc({"Effect": "Allow", "Action": "*", "Resource": "*"}),
        _doc(
            {"Effect": "Allow", "Action": ["ec2:Describe*", "cloudwatch:Get*"], "Resource": "*"},
            {
                "Effect": "Allow",
                "Action": "sts:AssumeRole",
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:ResourceAccount": ACCOUNT_ID}},
            },
        ),
    ]
    # Mostly narrow policies, as in real accounts; the risky shapes are the minority.
    weights = [30, 8, 2, 3, 10, 2, 30, 1, 14]
    return rng.choices(shapes, weights=weights)[0]


@cache
def _aws_managed_data() -> dict[str, Any]:
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    data: dict[str, Any] = json.loads(aws_managed_policies_data)
    return data


def aws_managed_policy_count() -> int:
    """How many AWS managed policies moto ships (all go into the snapshot)."""
    return len(_aws_managed_data())


# --- the snapshot ------------------------------------------------------------------------


@dataclass(frozen=True)
class Shape:
    """How big a snapshot to build."""

    roles: int = 1000
    customer_policies: int = 500
    users: int = 1000
    groups: int = 20
    seed: int = 0


def _ago(days: float) -> datetime:
    return COLLECTED - timedelta(days=days)


def build_snapshot(shape: Shape) -> Snapshot:
    """A whole account in memory (every source present), deterministic for ``shape.seed``."""
    rng = random.Random(shape.seed)  # noqa: S311 - reproducible, not secret
    attachments: dict[str, int] = {}

    def attach(policy_arn: str, name: str) -> AttachedPolicy:
        attachments[policy_arn] = attachments.get(policy_arn, 0) + 1
        return AttachedPolicy(name=name, arn=policy_arn)

    managed_data = _aws_managed_data()
    aws_names = sorted(managed_data)
    popular = [n for n in ("ReadOnlyAccess", "AdministratorAccess") if n in managed_data]

    def aws_arn(name: str) -> str:
        path = managed_data[name].get("Path", "/")
        return f"arn:aws:iam::aws:policy{path}{name}"

    customer_docs = [
        (f"cp-{i:04d}", customer_document(i, rng)) for i in range(shape.customer_policies)
    ]

    def some_policies() -> list[AttachedPolicy]:
        chosen: list[AttachedPolicy] = []
        for _ in range(rng.randint(1, 3)):
            roll = rng.random()
            if roll < 0.5 and customer_docs:
                name, _ = rng.choice(customer_docs)
                chosen.append(attach(f"arn:aws:iam::{ACCOUNT_ID}:policy/{name}", name))
            elif roll < 0.6 and popular:
                name = rng.choice(popular)
                chosen.append(attach(aws_arn(name), name))
            else:
                name = rng.choice(aws_names)
                chosen.append(attach(aws_arn(name), name))
        return chosen

    trusts = trust_documents()
    roles = []
    for i in range(shape.roles):
        linked = i % 50 == 49
        roles.append(
            Role(
                name=f"role-{i:05d}",
                arn=f"arn:aws:iam::{ACCOUNT_ID}:role/role-{i:05d}",
                role_id=f"AROA{i:017d}",
                path="/aws-service-role/example.amazonaws.com/" if linked else "/",
                create_date=_ago(rng.uniform(1, 800)),
                trust_policy=trusts[i % len(trusts)],
                attached_policies=tuple(some_policies()),
                inline_policies=(
                    (InlinePolicy("inline", customer_document(i, rng)),)
                    if rng.random() < 0.2
                    else ()
                ),
                last_used=_ago(rng.uniform(0, 300)) if rng.random() < 0.6 else None,
            )
        )
    groups = [
        Group(
            name=f"group-{g:03d}",
            arn=f"arn:aws:iam::{ACCOUNT_ID}:group/group-{g:03d}",
            group_id=f"AGPA{g:017d}",
            path="/",
            create_date=_ago(900),
            attached_policies=tuple(some_policies()),
        )
        for g in range(shape.groups)
    ]
    users = []
    rows = []
    for u in range(shape.users):
        name = f"user-{u:05d}"
        created = _ago(rng.uniform(1, 1000))
        console = rng.random() < 0.3
        users.append(
            User(
                name=name,
                arn=f"arn:aws:iam::{ACCOUNT_ID}:user/{name}",
                user_id=f"AIDA{u:017d}",
                path="/",
                create_date=created,
                groups=(groups[u % len(groups)].name,) if groups else (),
                attached_policies=tuple(some_policies()) if rng.random() < 0.1 else (),
            )
        )
        rows.append(
            CredentialRow(
                user=name,
                arn=f"arn:aws:iam::{ACCOUNT_ID}:user/{name}",
                user_creation_time=created,
                password_enabled=console,
                password_last_used=_ago(rng.uniform(0, 200)) if console else None,
                password_last_changed=created if console else None,
                password_next_rotation=None,
                mfa_active=console and rng.random() < 0.6,
                access_keys=(
                    AccessKeyState(
                        slot=1,
                        active=True,
                        last_rotated=_ago(rng.uniform(0, 500)),
                        last_used=_ago(rng.uniform(0, 150)) if rng.random() < 0.7 else None,
                    ),
                ),
                signing_certs=(),
            )
        )

    policies = [
        ManagedPolicy(
            name=name,
            arn=f"arn:aws:iam::{ACCOUNT_ID}:policy/{name}",
            policy_id=f"ANPA{i:017d}",
            path="/",
            default_version_id="v1",
            document=doc,
            attachment_count=attachments.get(f"arn:aws:iam::{ACCOUNT_ID}:policy/{name}", 0),
        )
        for i, (name, doc) in enumerate(customer_docs)
    ]
    for i, name in enumerate(aws_names):
        data = managed_data[name]
        policy_arn = aws_arn(name)
        policies.append(
            ManagedPolicy(
                name=name,
                arn=policy_arn,
                policy_id=f"ANPAAWS{i:014d}",
                path=data.get("Path", "/"),
                default_version_id=data.get("DefaultVersionId", "v1"),
                document=data["Document"],
                attachment_count=attachments.get(policy_arn, 0),
            )
        )

    regions = ("us-east-1", "eu-west-1", "ap-south-1")
    return Snapshot(
        account_id=ACCOUNT_ID,
        partition="aws",
        collected_at=COLLECTED,
        sources=frozenset(Source),
        credential_report=CredentialReport(generated_at=COLLECTED, rows=tuple(rows)),
        authorization=AuthorizationDetails(
            users=tuple(users), groups=tuple(groups), roles=tuple(roles), policies=tuple(policies)
        ),
        account_summary={
            "AccountMFAEnabled": 1,
            "AccountAccessKeysPresent": 0,
            "AccountPasswordPresent": 1,
            "AccountSigningCertificatesPresent": 0,
        },
        password_policy=PasswordPolicy(minimum_password_length=14, password_reuse_prevention=24),
        virtual_mfa_devices=(),
        server_certificates=(),
        saml_providers=(SamlProvider(arn=f"arn:aws:iam::{ACCOUNT_ID}:saml-provider/okta"),),
        oidc_providers=tuple(
            OidcProvider(arn=f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/{host}")
            for host in (GITHUB, EKS)
        ),
        access_analyzer=AccessAnalyzerState(
            regions=regions,
            analyzers=tuple(
                Analyzer(
                    name="external",
                    arn=f"arn:aws:access-analyzer:{r}:{ACCOUNT_ID}:analyzer/external",
                    type="ACCOUNT",
                    status="ACTIVE",
                    region=r,
                )
                for r in regions
            ),
        ),
        organization_account_ids=ORG_ACCOUNTS,
    )


# --- timing ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Timing:
    """One configuration's runs: seconds of each repetition and the findings it made."""

    label: str
    checks: int
    findings: int
    seconds: tuple[float, ...]

    @property
    def median(self) -> float:
        """The median repetition."""
        return statistics.median(self.seconds)

    @property
    def first(self) -> float:
        """The first repetition, which also pays for one-time work."""
        return self.seconds[0]


@contextmanager
def _context_rule_off() -> Iterator[None]:
    """The analyzer without the context rule (as before trust and privilege analysis)."""

    def identity(findings: Any, *args: Any, **kwargs: Any) -> Any:
        return findings, []  # raise_for_context's shape: the findings and its notes

    with mock.patch.object(analyze_module, "raise_for_context", identity):
        yield


def time_analyze(
    label: str,
    checks: Sequence[Check],
    build: Callable[[], Snapshot],
    *,
    repeat: int,
    context_rule: bool = True,
    clock: Callable[[], float] = time.perf_counter,
) -> Timing:
    """Time ``analyze`` with ``checks`` ``repeat`` times, each on a freshly built snapshot."""
    seconds = []
    findings = 0
    settings = Settings(trusted_account_ids=frozenset({"111122223333"}))
    for _ in range(repeat):
        snapshot = build()
        gc.collect()
        with nullcontext() if context_rule else _context_rule_off():
            start = clock()
            report = analyze(snapshot, settings, checks, tool=TOOL)
            seconds.append(clock() - start)
        findings = len(report.findings)
    return Timing(label=label, checks=len(checks), findings=findings, seconds=tuple(seconds))


def issue_2_checks() -> list[Check]:
    """The catalog without the trust and privilege checks (attack paths included)."""
    return [c for c in all_checks() if c.meta.id not in ISSUE_3_CHECKS | GRAPH_CHECKS]


def no_graph_checks() -> list[Check]:
    """The catalog without the attack-path checks."""
    return [c for c in all_checks() if c.meta.id not in GRAPH_CHECKS]


@contextmanager
def _graph_off() -> Iterator[None]:
    """The context rule without its attack-graph question (as before issue 11)."""
    with mock.patch.object(analyze_module._Reach, "path", lambda self, principal: None):
        yield


def markdown_table(shape: Shape, baseline: Timing, full: Timing) -> str:
    """The two configurations and their difference, as a Markdown table."""
    lines = [
        f"Snapshot: {shape.roles} roles, {shape.customer_policies} customer policies, "
        f"{aws_managed_policy_count()} AWS managed policies, {shape.users} users, "
        f"{shape.groups} groups; {len(full.seconds)} runs each.",
        "",
        "| analysis | checks | findings | median s | first run s |",
        "|---|---:|---:|---:|---:|",
    ]
    for t in (baseline, full):
        lines.append(f"| {t.label} | {t.checks} | {t.findings} | {t.median:.2f} | {t.first:.2f} |")
    lines.append(
        f"| **added by trust and privilege analysis** | {full.checks - baseline.checks} "
        f"| {full.findings - baseline.findings} | **{full.median - baseline.median:.2f}** "
        f"| {full.first - baseline.first:.2f} |"
    )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Time both configurations and print the table; exit 1 if the budget is exceeded."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.analysis", description=__doc__)
    parser.add_argument("--roles", type=int, default=Shape.roles)
    parser.add_argument("--policies", type=int, default=Shape.customer_policies)
    parser.add_argument("--users", type=int, default=Shape.users)
    parser.add_argument("--groups", type=int, default=Shape.groups)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--budget", type=float, default=BUDGET_SECONDS, metavar="SECONDS")
    parser.add_argument("--json", type=argparse.FileType("w"), metavar="FILE")
    args = parser.parse_args(argv)
    if min(args.roles, args.policies, args.users, args.groups) < 0 or args.repeat < 1:
        parser.error("sizes must be >= 0 and --repeat >= 1")
    shape = Shape(
        roles=args.roles, customer_policies=args.policies, users=args.users, groups=args.groups
    )

    def build() -> Snapshot:
        return build_snapshot(shape)

    print("timing the issue-2 checks…", file=sys.stderr, flush=True)
    baseline = time_analyze(
        "issue-2 checks, no context rule",
        issue_2_checks(),
        build,
        repeat=args.repeat,
        context_rule=False,
    )
    print("timing every check but the attack paths…", file=sys.stderr, flush=True)
    with _graph_off():
        no_graph = time_analyze(
            "all checks but PERM-010/011, no graph in the context rule",
            no_graph_checks(),
            build,
            repeat=args.repeat,
        )
    print("timing every check…", file=sys.stderr, flush=True)
    full = time_analyze("all checks, context rule", all_checks(), build, repeat=args.repeat)
    print(markdown_table(shape, baseline, full))
    graph_added = full.median - no_graph.median
    print(
        f"\nAttack paths (PERM-010/011 and the context rule's graph): "
        f"{no_graph.median:.2f} s -> {full.median:.2f} s median, "
        f"**{graph_added:.2f} s added** ({full.first - no_graph.first:.2f} s on the first run)."
    )
    added = full.median - baseline.median
    if args.json:
        json.dump(_as_json(shape, baseline, full, no_graph), args.json, indent=1)
    if added > args.budget or graph_added > args.budget:
        print(f"added {added:.2f} s: over the {args.budget:.2f} s budget", file=sys.stderr)
        return 1
    return 0


def _as_json(
    shape: Shape, baseline: Timing, full: Timing, no_graph: Timing | None = None
) -> Mapping[str, Any]:
    runs = (baseline, full) if no_graph is None else (baseline, no_graph, full)
    out: dict[str, Any] = {
        "shape": shape.__dict__,
        "aws_managed_policies": aws_managed_policy_count(),
        "runs": [
            {"label": t.label, "checks": t.checks, "findings": t.findings, "seconds": t.seconds}
            for t in runs
        ],
        "added_median_seconds": full.median - baseline.median,
    }
    if no_graph is not None:
        out["graph_added_median_seconds"] = full.median - no_graph.median
    return out


if __name__ == "__main__":
    sys.exit(main())
