"""PERM-010 findings for the report tests, built the way the check builds them.

``attack_snapshot()`` is a small account with every kind of step the section draws: two
users assuming an admin role through one shared managed policy (the cheapest cut), a
GitHub Actions role passing an admin role to Lambda, another account's entry, a step that
depends on a condition the snapshot cannot decide. ``attack_findings(snapshot)`` runs the
attack-path engine on it and turns each path into the finding PERM-010 emits (the data
contract of the "Attack paths" section): one FAIL per start, critical when the path starts
outside the account, ``evidence = {"path": path.to_dict(), "cut": cut.to_dict() | None}``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

from factories import ADMIN_DOC, ROOT_ARN, arn, document, inline, oidc, policy, role, snapshot
from factories import statement as stmt
from factories import user as make_user
from report_samples import ACCOUNT, make_finding

from auditor.checks.attack_paths import cut_evidence
from auditor.model import Finding, Report, ResourceType, Severity, Status
from auditor.policy.graph import AttackPath, attack_graph, cheapest_cut
from auditor.snapshot import Snapshot

CHECK_ID = "PERM-010"
ACCOUNT_ARN = f"arn:aws:iam::{ACCOUNT}"
VENDOR = "444455556666"
GITHUB = "token.actions.githubusercontent.com"
ADMIN = policy("AdministratorAccess", ADMIN_DOC, aws_managed=True)


def _trust(principal: Any, action: str = "sts:AssumeRole", **kw: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"Effect": "Allow", "Principal": principal, "Action": action}
    out.update(kw)
    return document(out)


def attack_snapshot() -> Snapshot:
    """The small account described above (names as a real account would have them)."""
    deployers = policy("deployers", document(stmt("sts:AssumeRole", arn("role", "ops-admin"))))
    passer = inline(
        "deploy-functions",
        document(
            stmt("iam:PassRole", arn("role", "fn-admin")),
            stmt(["lambda:CreateFunction", "lambda:InvokeFunction"], "*"),
        ),
    )
    from_office = inline(
        "from-office",
        document(
            stmt(
                "sts:AssumeRole",
                arn("role", "ops-admin"),
                condition={"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}},
            )
        ),
    )
    github = arn("oidc-provider", GITHUB)
    users = [
        make_user("alice", policies=[deployers]),
        make_user("bob", policies=[deployers]),
        make_user("dave", inline_policies=[from_office]),
        make_user("erin"),
    ]
    roles = [
        role("ops-admin", policies=[ADMIN], trust=_trust({"AWS": ROOT_ARN})),
        role("fn-admin", policies=[ADMIN], trust=_trust({"Service": "lambda.amazonaws.com"})),
        role(
            "ci-deploy",
            inline_policies=[passer],
            trust=_trust({"Federated": github}, "sts:AssumeRoleWithWebIdentity"),
        ),
        role(
            "vendor-audit",
            inline_policies=[
                inline("ops", document(stmt("sts:AssumeRole", arn("role", "ops-admin"))))
            ],
            trust=_trust({"AWS": f"arn:aws:iam::{VENDOR}:root"}),
        ),
    ]
    return snapshot(
        users=users,
        roles=roles,
        policies=[ADMIN, deployers],
        oidc_providers=(oidc(GITHUB),),
    )


def finding_for(path: AttackPath, cut: dict[str, Any] | None) -> Finding:
    """The finding PERM-010 emits for one path (the section's data contract)."""
    data = path.to_dict()
    start = data["start"]
    kinds = {"user": ResourceType.USER, "role": ResourceType.ROLE}
    return make_finding(
        CHECK_ID,
        Status.FAIL,
        Severity.CRITICAL if path.starts_outside else Severity.HIGH,
        start["name"],
        resource_arn=start.get("arn") or f"arn:aws:iam::{ACCOUNT}:root",
        resource_type=kinds.get(start["kind"], ResourceType.ACCOUNT),
        qualifier="" if start.get("arn") else start["id"],
        title="No principal can reach administrator through other principals",
        detail=f"{start['name']} can become an administrator: {data['text']}",
        evidence={"path": data, "cut": cut},
    )


def attack_findings(snap: Snapshot) -> list[Finding]:
    """One finding per path to admin in ``snap``, each carrying the account's cut."""
    paths = attack_graph(snap).paths_to_admin()
    cut = cheapest_cut(paths)
    return [finding_for(p, c) for p, c in zip(paths, cut_evidence(cut, paths), strict=True)]


def with_findings(report: Report, findings: Iterable[Finding]) -> Report:
    """``report`` with its PERM-010 findings (if any) replaced by ``findings``."""
    kept = [f for f in report.findings if f.check_id != CHECK_ID]
    return dataclasses.replace(report, findings=(*kept, *findings))


# --- hand-written path evidence, and 5,000 users of it ------------------------------------


def short_name(node_id: str) -> str:
    """The last part of a node's id, as the engine names a role or user."""
    return node_id.rsplit("/", 1)[-1]


def path_evidence(start: dict[str, Any], *hops: tuple[str, str, str, bool]) -> dict[str, Any]:
    """A path as ``AttackPath.to_dict()`` writes it: ``start``, then (source, target, reason,
    certain) hops ending at admin; written by hand so names and shapes can be anything."""
    nodes = [start] + [
        {"id": t, "kind": "admin" if t == "admin" else "role", "name": short_name(t)}
        for _, t, _, _ in hops
    ]
    return {
        "start": start,
        "end": "admin",
        "starts_outside": start["kind"] in ("account", "oidc", "saml", "anyone"),
        "certain": all(c for *_, c in hops),
        "length": len(hops),
        "nodes": nodes,
        "hops": [
            {"source": s, "target": t, "reason": r, "certain": c, "evidence": [], "critical": []}
            for s, t, r, c in hops
        ],
        "undecided": [],
        "text": " -> ".join(n["name"] for n in nodes),
    }


def user_node(i: int) -> dict[str, Any]:
    return {"id": f"{ACCOUNT_ARN}:user/user-{i:05d}", "kind": "user", "name": f"user-{i:05d}"}


def role_arn(name: str) -> str:
    return f"{ACCOUNT_ARN}:role/{name}"


def five_thousand_user_paths() -> list[Finding]:
    """5,000 users' paths to admin and one from another account, as PERM-010 reports them."""
    findings: list[Finding] = []
    for i in range(5000):
        # Three roles most users reach admin through; 30 users through roles of their own,
        # 20 by a reason of their own, so the column has more distinct next hops than boxes.
        role = role_arn(f"admin-{i % 3}") if i >= 30 else role_arn(f"odd-{i}")
        reason = f"reason-{i}" if 30 <= i < 50 else "assume-role"
        user = user_node(i)
        findings.append(
            make_finding(
                CHECK_ID,
                Status.FAIL,
                Severity.HIGH,
                f"user-{i:05d}",
                evidence={
                    "path": path_evidence(
                        user,
                        (user["id"], role, reason, i % 7 != 0),
                        (role, "admin", "admin-equivalent", True),
                    ),
                    "cut": None,
                },
            )
        )
    vendor = {"id": f"account:{VENDOR}", "kind": "account", "name": f"account {VENDOR}"}
    findings.append(
        make_finding(
            CHECK_ID,
            Status.FAIL,
            Severity.CRITICAL,
            f"account {VENDOR}",
            resource_arn=f"{ACCOUNT_ARN}:root",
            evidence={
                "path": path_evidence(
                    vendor,
                    (vendor["id"], role_arn("admin-0"), "assume-role", True),
                    (role_arn("admin-0"), "admin", "admin-equivalent", True),
                )
            },
        )
    )
    return findings
