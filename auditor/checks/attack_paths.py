"""Who is an administrator, and who can become one through other principals (PERM-010, 011).

PERM-011 lists admin-equivalent users and roles (``auditor.policy.privilege``), info for a
role and low for a user. PERM-010 asks the attack graph (``auditor.policy.graph``) who is not
an administrator yet can become one: one FAIL per starting user, role or outside entry
point, with its shortest path and the account-wide cheapest cut; a path from outside the
account is critical.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from auditor.checks.common import need, principal_kind, principal_result, principal_type
from auditor.checks.permissions import LEAST_PRIVILEGE_DOC, PRIVESC_DOC
from auditor.checks.registry import CheckContext, check
from auditor.model import ResourceType, Result, Severity, Source, Status
from auditor.policy import PrivilegeAnalysis, privilege_analysis
from auditor.policy.graph import (
    AttackPath,
    Cut,
    NodeKind,
    attack_graph,
    cheapest_cut,
    inert,
    render_path,
)
from auditor.policy.privilege import is_service_linked
from auditor.snapshot import AuthorizationDetails, Role, Snapshot, User

# The Node kinds of the outside entry points, as a finding's detail names them.
_ENTRY_WORDS = {
    NodeKind.ACCOUNT: "Another AWS account",
    NodeKind.OIDC: "Tokens of an OIDC provider",
    NodeKind.SAML: "Assertions of a SAML provider",
    NodeKind.ANYONE: "Anyone (any AWS principal)",
}
_SHOWN_UNDECIDED = 3


def _users_and_roles(details: AuthorizationDetails) -> list[User | Role]:
    return [*details.users, *details.roles]


def _unreadable(
    principal: User | Role, unreadable: Mapping[str, list[str]], question: str
) -> Result:
    """ERROR: some of ``principal``'s policies could not be read, so ``question`` is open."""
    return principal_result(
        principal,
        Status.ERROR,
        f"{principal_kind(principal)} {principal.name} has policies that could not be fully "
        f"read ({', '.join(unreadable)}), so whether it {question} cannot be judged.",
        policy_problems=unreadable,
    )


def cut_sentence(cut: Cut | None, total: int) -> str:
    """The cheapest cut, as one sentence for a detail or a terminal."""
    if cut is None:
        return (
            "No single statement breaks any of the account's paths to admin: every step "
            "has more than one grant."
        )
    s = cut.statement
    sid = f" ({inert(s.sid, 40)})" if s.sid else ""
    return (
        f"Cheapest cut: removing statement {s.index}{sid} of {inert(s.policy or s.policy_ref)} "
        f"breaks {cut.paths_broken} of the account's {total} path(s) to admin."
    )


def doubts(path: AttackPath) -> str:
    """What the snapshot could not decide about ``path`` ("" when it is certain)."""
    if path.certain:
        return ""
    parts = []
    undecided = path.undecided
    if undecided:
        shown = "; ".join(inert(u) for u in undecided[:_SHOWN_UNDECIDED])
        more = len(undecided) - _SHOWN_UNDECIDED
        parts.append(f"undecided condition(s): {shown}" + (f" and {more} more" if more > 0 else ""))
    if any(h.needs_unseen_resource for h in path.hops):
        parts.append("a step needs a resource the snapshot does not show")
    return "Possible, not certain: " + "; ".join(parts) + "."


@check(
    id="PERM-010",
    slug="attack-path-to-admin",
    title=(
        "No principal that is not an administrator can reach administrator rights "
        "through other principals"
    ),
    severity=Severity.HIGH,
    resource_type=ResourceType.ROLE,
    needs={Source.AUTHORIZATION_DETAILS},
    rationale=(
        "Least privilege judged one principal at a time misses chains: a user allowed to "
        "assume a role that may pass an administrator role to Lambda is an administrator. "
        "Each step can look harmless; the path is what an attacker follows, and a path "
        "that starts outside the account hands the account to whoever holds that entry."
    ),
    remediation=(
        "IAM console > the policy named by the cheapest cut (or by a step of the path) > "
        "Edit > remove the statement or scope its Resource to the roles and users the work "
        "needs, or add a restricting condition (iam:PassedToService, aws:PrincipalArn); for "
        "a trust step, edit the role's Trust relationships. Re-run the audit: other paths "
        "may remain."
    ),
    remediation_cli=(
        "aws iam create-policy-version --policy-arn POLICY_ARN --policy-document "
        "file://scoped.json --set-as-default  # or put-role-policy / update-assume-role-policy; "
        "see every step with: iam-auditor paths --from PRINCIPAL"
    ),
    references=(
        PRIVESC_DOC,
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html",
        LEAST_PRIVILEGE_DOC,
    ),
    weighs_privilege=True,
)
def attack_path_to_admin(snap: Snapshot, ctx: CheckContext) -> Iterator[Result]:
    """FAIL per start with a path to admin; PASS per other non-admin user and role.

    A user or role with no path but a policy that could not be fully read is ERROR: the
    unread statement could be a step.
    """
    details = need(snap.authorization, Source.AUTHORIZATION_DETAILS)
    graph = attack_graph(snap)
    analysis = privilege_analysis(details)
    paths = graph.paths_to_admin()
    cut = cheapest_cut(paths)
    cut_text = cut_sentence(cut, len(paths))
    for path, evidence in zip(paths, cut_evidence(cut, paths), strict=True):
        yield _path_result(path, evidence, cut_text)
    starts = {p.start.id for p in paths}
    for principal in _users_and_roles(details):
        if principal.arn in starts or is_service_linked(principal) or graph.is_admin(principal.arn):
            continue
        unreadable = analysis.unreadable(principal)
        if unreadable:
            yield _unreadable(
                principal, unreadable, "can reach administrator rights through other principals"
            )
            continue
        yield principal_result(
            principal,
            Status.PASS,
            f"{principal_kind(principal)} {principal.name} cannot reach administrator "
            "rights through other principals.",
        )


def cut_evidence(cut: Cut | None, paths: Sequence[AttackPath]) -> list[dict[str, Any] | None]:
    """The account's cut as each path's finding carries it: with whether it breaks that path.

    Not the ids of every path the cut breaks (``Cut.to_dict``'s ``starts``): that list,
    repeated on every finding, grows with the square of the number of paths (megabytes of
    report.json in an account with a thousand of them).
    """
    if cut is None:
        return [None for _ in paths]
    shared = {k: v for k, v in cut.to_dict().items() if k != "starts"}
    broken = set(cut.starts)
    return [{**shared, "breaks_this_path": path.start.id in broken} for path in paths]


def _path_result(path: AttackPath, cut: dict[str, Any] | None, cut_text: str) -> Result:
    start = path.start
    steps = f"{len(path.hops)} step(s)"
    doubt = doubts(path)
    tail = f"{render_path(path)}. {doubt + ' ' if doubt else ''}{cut_text}"
    evidence = {"path": path.to_dict(), "cut": cut}
    if not path.starts_outside:
        kind = "User" if start.kind is NodeKind.USER else "Role"
        return Result(
            status=Status.FAIL,
            resource_arn=start.arn or start.id,
            resource_name=start.name,
            detail=f"{kind} {start.name} can reach administrator rights in {steps}: {tail}",
            evidence=evidence,
            resource_type=ResourceType.USER if start.kind is NodeKind.USER else ResourceType.ROLE,
        )
    # An entry point is no resource of this account: the finding sits on the role it
    # enters (whose trust policy admits it), one per entry point.
    entered = path.hops[0].target if path.hops else start
    who = _ENTRY_WORDS.get(start.kind, "An outside principal")
    return Result(
        status=Status.FAIL,
        resource_arn=entered.arn or entered.id,
        resource_name=entered.name,
        detail=(
            f"{who}, {inert(start.name)}, can enter the account through role {entered.name} "
            f"and reach administrator rights in {steps}: {tail}"
        ),
        evidence=evidence,
        qualifier=f"from:{start.id}",
        resource_type=ResourceType.ROLE,
        severity=Severity.CRITICAL,
    )


@check(
    id="PERM-011",
    slug="admin-equivalent-principal",
    title="Every admin-equivalent user and role is a reviewed exception",
    severity=Severity.INFO,
    resource_type=ResourceType.ROLE,
    needs={Source.AUTHORIZATION_DETAILS},
    rationale=(
        "An administrator is not a flaw, but every one is a key to the whole account, and "
        "admin rights come from more than *:*: iam:*, Allow with NotAction, "
        "AdministratorAccess or a group. Knowing exactly who holds them, after Denies and "
        "permissions boundaries, is where reviewing access starts; mute the reviewed ones."
    ),
    remediation=(
        "IAM console > Users or Roles > the principal > Permissions: if it need not be an "
        "administrator, detach or edit the named policies (or leave the group); if it must, "
        "prefer a role assumed with MFA to a user, and mute the finding with the reason."
    ),
    remediation_cli=(
        "aws iam detach-role-policy --role-name ROLE_NAME --policy-arn POLICY_ARN  # or "
        "detach-user-policy, delete-role-policy, remove-user-from-group"
    ),
    references=(
        LEAST_PRIVILEGE_DOC,
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html",
    ),
    weighs_privilege=True,
)
def admin_equivalent_principal(snap: Snapshot, ctx: CheckContext) -> Iterator[Result]:
    """One result per user and role: FAIL when admin-equivalent (info for a role, low for a
    user, whose long-lived credentials then hold admin), naming the granting policies."""
    analysis = privilege_analysis(need(snap.authorization, Source.AUTHORIZATION_DETAILS))
    for principal in _users_and_roles(analysis.details):
        kind = principal_kind(principal)
        admin = analysis.admin_policies(principal)
        if admin:
            extra = (
                "; as a user its long-lived credentials hold admin (prefer a role)"
                if isinstance(principal, User)
                else ""
            )
            yield Result(
                status=Status.FAIL,
                resource_arn=principal.arn,
                resource_name=principal.name,
                detail=(
                    f"{kind} {principal.name} is admin-equivalent through "
                    f"{', '.join(p.label for p in admin)}{extra}."
                ),
                evidence={
                    "admin_grants": [p.label for p in admin],
                    "policies": [p.ref for p in admin],
                    "via_groups": sorted({p.via_group for p in admin if p.via_group}),
                },
                resource_type=principal_type(principal),
                severity=Severity.LOW if isinstance(principal, User) else None,
            )
            continue
        unreadable = analysis.unreadable(principal)
        if unreadable:
            yield _unreadable(principal, unreadable, "holds administrator rights")
            continue
        qualifier = (
            " (a Deny or its permissions boundary cancels a grant)"
            if _cancelled(analysis, principal)
            else ""
        )
        yield principal_result(
            principal, Status.PASS, f"{kind} {principal.name} is not admin-equivalent{qualifier}."
        )


def _cancelled(analysis: PrivilegeAnalysis, principal: User | Role) -> bool:
    """True when some held policy grants ``*:*`` that Denies or a boundary cancel."""
    return any(analysis.grants_full_admin(p) for p in analysis.held_policies(principal))
