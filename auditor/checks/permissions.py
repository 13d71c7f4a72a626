"""Checks on what IAM principals are allowed to do (PERM-001..009).

All read policies through ``auditor.policy``. PERM-002 reports a grant where it is attached,
so one fix clears one finding; PERM-003..006 judge documents (an inline policy on the
principal embedding it); PERM-007 and PERM-008 judge principals' effective permissions. A
document that could not be fully read never passes a check it could change: that is ERROR.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from auditor.checks.common import (
    MFA_DOC,
    SECURITY_HUB_IAM_DOC,
    account_result,
    credential_users,
    need,
    principal_kind,
    principal_result,
    principal_type,
    problem_result,
)
from auditor.checks.registry import CheckContext, check
from auditor.model import ResourceType, Result, Severity, Source, Status
from auditor.policy import (
    EscalationMatch,
    IamPrincipal,
    Policy,
    action_matches,
    broad_resources,
    is_aws_policy,
    privilege_analysis,
    restricts,
)
from auditor.policy.privilege import grants_action, grants_everything, is_service_linked
from auditor.snapshot import (
    AuthorizationDetails,
    InlinePolicy,
    ManagedPolicy,
    PolicyDocument,
    Snapshot,
    User,
)

MANAGED_VS_INLINE_DOC = (
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-vs-inline.html"
)
LEAST_PRIVILEGE_DOC = (
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege"
)
CLOUDSHELL_POLICY = "AWSCloudShellFullAccess"


def _details(snap: Snapshot) -> AuthorizationDetails:
    return need(snap.authorization, Source.AUTHORIZATION_DETAILS)


def principals(details: AuthorizationDetails) -> Iterator[IamPrincipal]:
    """Every user, group and role, in that order."""
    yield from details.users
    yield from details.groups
    yield from details.roles


def _listing(names: list[str]) -> str:
    return ", ".join(names)


def _plural(count: int, noun: str) -> str:
    """``inline policy`` / ``inline policies``."""
    return noun if count == 1 else noun[:-1] + "ies"


@check(
    id="PERM-001",
    slug="user-direct-policies",
    title="IAM users receive permissions only through groups",
    severity=Severity.LOW,
    resource_type=ResourceType.USER,
    needs={Source.AUTHORIZATION_DETAILS},
    rationale=(
        "Permissions attached user by user drift apart and are hard to review or revoke "
        "when someone changes job. Granting through groups (or roles) keeps access "
        "consistent with the function a person performs."
    ),
    remediation=(
        "IAM console > User groups > create or pick a group with the needed policies > Add "
        "users; then IAM console > Users > the user > Permissions > remove the directly "
        "attached and inline policies."
    ),
    remediation_cli=(
        "aws iam add-user-to-group --group-name GROUP_NAME --user-name USER_NAME && "
        "aws iam detach-user-policy --user-name USER_NAME --policy-arn POLICY_ARN"
    ),
    references=(MANAGED_VS_INLINE_DOC, SECURITY_HUB_IAM_DOC),
    cis_7=("2.13",),
    cis_5=("1.14",),
    fsbp=("IAM.2",),
)
def user_direct_policies(snap: Snapshot, ctx: CheckContext) -> Iterator[Result]:
    """FAIL for each user with an inline policy or a directly attached managed policy."""
    for user in _details(snap).users:
        inline = [p.name for p in user.inline_policies]
        attached = [p.arn for p in user.attached_policies]
        if not inline and not attached:
            yield principal_result(
                user, Status.PASS, f"User {user.name} has no policies of its own."
            )
            continue
        parts = []
        if attached:
            names = [p.name for p in user.attached_policies]
            parts.append(f"{_plural(len(names), 'attached managed policy')} {_listing(names)}")
        if inline:
            parts.append(f"{_plural(len(inline), 'inline policy')} {_listing(inline)}")
        yield principal_result(
            user,
            Status.FAIL,
            f"User {user.name} has {' and '.join(parts)}.",
            inline_policies=inline,
            attached_policies=attached,
        )


@check(
    id="PERM-002",
    slug="full-admin-attached",
    title="No policy granting full administrator access (*:*) is attached",
    severity=Severity.HIGH,
    resource_type=ResourceType.USER,
    needs={Source.AUTHORIZATION_DETAILS},
    rationale=(
        "A policy that allows every action on every resource gives its holder complete "
        "control of the account, including over IAM itself. Least privilege means "
        "granting only what a job needs; full admin should be rare, reviewed and guarded."
    ),
    remediation=(
        "IAM console > Users, User groups or Roles > the principal > Permissions: detach "
        "the policy (or edit the inline policy) that allows Action * on Resource *, and "
        "attach a policy scoped to the work it does."
    ),
    remediation_cli=(
        "aws iam detach-role-policy --role-name ROLE_NAME --policy-arn POLICY_ARN  # or "
        "detach-user-policy / detach-group-policy, delete-role-policy for inline policies"
    ),
    references=(LEAST_PRIVILEGE_DOC, SECURITY_HUB_IAM_DOC),
    cis_7=("2.14",),
    cis_5=("1.15",),
    fsbp=("IAM.1",),
    weighs_privilege=True,
)
def full_admin_attached(snap: Snapshot, ctx: CheckContext) -> Iterator[Result]:
    """FAIL for each user, group or role holding a ``*:*`` policy of its own.

    Only a grant that survives the principal's explicit Denies and permissions boundary is
    the high finding; a cancelled one is a low FAIL that says so (CIS still asks for no
    ``*:*`` policy attached). Admin rights from ``iam:*``, ``NotAction`` or a group are
    PERM-011's inventory. A principal with no grant but an unreadable policy document is
    ERROR, not PASS: the unreadable statement could be the grant.
    """
    analysis = privilege_analysis(_details(snap))
    engine = analysis.engine
    for principal in principals(engine.details):
        kind = principal_kind(principal)
        direct = engine.direct_policies_of(principal)
        grants = [p for p in direct if analysis.grants_full_admin(p)]
        effective = {p.ref for p in analysis.admin_policies(principal)}
        if any(p.ref in effective for p in grants):
            yield principal_result(
                principal,
                Status.FAIL,
                f"{kind} {principal.name} holds full administrator access (Allow * on *, no "
                f"condition) through {_listing([p.label for p in grants])}.",
                policies=[p.ref for p in grants],
            )
            continue
        if grants:
            # The grant is there but an explicit Deny or the permissions boundary cancels
            # it: not an administrator today, yet one edit of the Deny away, and CIS asks
            # for no *:* policy attached at all. A low note, not the high finding.
            yield dataclasses.replace(
                principal_result(
                    principal,
                    Status.FAIL,
                    f"{kind} {principal.name} has {_listing([p.label for p in grants])} "
                    "allowing * on *, but an explicit Deny or its permissions boundary cancels "
                    "it: not an administrator today, one policy edit away from it.",
                    policies=[p.ref for p in grants],
                    cancelled=True,
                ),
                severity=Severity.LOW,
            )
            continue
        unreadable = {
            p.ref: list(problems)
            for p in direct
            if p.document is not None and (problems := engine.parse(p.document).problems)
        }
        if unreadable:
            yield principal_result(
                principal,
                Status.ERROR,
                f"{kind} {principal.name} has policies that could not be fully read "
                f"({_listing(list(unreadable))}), so full admin access cannot be ruled out.",
                policy_problems=unreadable,
            )
            continue
        inherited = (
            [p for p in analysis.held_policies(principal) if analysis.grants_full_admin(p)]
            if isinstance(principal, User)
            else []
        )
        if inherited:
            groups = sorted({p.via_group for p in inherited if p.via_group})
            yield principal_result(
                principal,
                Status.PASS,
                f"No policy of user {principal.name}'s own grants full admin; it inherits full "
                f"admin from group {_listing(groups)}, reported there.",
                inherited_from_groups=groups,
            )
            continue
        yield principal_result(
            principal, Status.PASS, f"No policy of {kind.lower()} {principal.name} grants *:*."
        )


# --- policy documents (PERM-003..PERM-006) ---------------------------------------------


@dataclass(frozen=True)
class JudgedPolicy:
    """A policy document judged on its own: a managed policy, or an inline one in place.

    A managed policy is its own resource; an inline policy has none, so it is reported on
    the principal that embeds it, with ``qualifier`` ``inline:NAME`` telling them apart.
    """

    name: str
    document: PolicyDocument
    resource_arn: str
    resource_name: str
    resource_type: ResourceType
    qualifier: str
    ref: str
    description: str

    def result(self, status: Status, detail: str, **evidence: object) -> Result:
        """A result about this policy."""
        return Result(
            status=status,
            resource_arn=self.resource_arn,
            resource_name=self.resource_name,
            detail=detail,
            evidence={"policy": self.ref, **evidence},
            qualifier=self.qualifier,
            resource_type=self.resource_type,
        )


def _managed(p: ManagedPolicy) -> JudgedPolicy:
    kind = "AWS managed" if p.aws_managed else "Customer managed"
    return JudgedPolicy(
        name=p.name,
        document=p.document,
        resource_arn=p.arn,
        resource_name=p.name,
        resource_type=ResourceType.POLICY,
        qualifier="",
        ref=p.arn,
        description=f"{kind} policy {p.name}",
    )


def _inline(principal: IamPrincipal, policy: InlinePolicy) -> JudgedPolicy:
    return JudgedPolicy(
        name=policy.name,
        document=policy.document,
        resource_arn=principal.arn,
        resource_name=principal.name,
        resource_type=principal_type(principal),
        qualifier=f"inline:{policy.name}",
        ref=f"inline:{policy.name}",
        description=(
            f"Inline policy {policy.name} of {principal_kind(principal).lower()} {principal.name}"
        ),
    )


def customer_and_inline_policies(details: AuthorizationDetails) -> Iterator[JudgedPolicy]:
    """Every customer managed policy, then every inline policy of every principal."""
    for p in details.policies:
        if not p.aws_managed:
            yield _managed(p)
    for principal in principals(details):
        for inline_policy in principal.inline_policies:
            yield _inline(principal, inline_policy)


def _held_arns(details: AuthorizationDetails) -> set[str]:
    return {a.arn for p in principals(details) for a in p.attached_policies}


def _boundary_arns(details: AuthorizationDetails) -> set[str]:
    users = {u.permissions_boundary_arn for u in details.users}
    roles = {r.permissions_boundary_arn for r in details.roles}
    return {arn for arn in users | roles if arn is not None}


def _no_policies(snap: Snapshot, what: str) -> Result:
    return account_result(snap, Status.PASS, f"The account has no {what}.")


def _statements_text(indexes: list[int]) -> str:
    label = "statement" if len(indexes) == 1 else "statements"
    return f"{label} {', '.join(str(i) for i in indexes)}"


@check(
    id="PERM-003",
    slug="admin-policy-unattached",
    title="No unattached customer managed policy grants full administrator access (*:*)",
    severity=Severity.LOW,
    resource_type=ResourceType.POLICY,
    needs={Source.AUTHORIZATION_DETAILS},
    rationale=(
        "An unattached policy that allows every action on every resource grants nothing "
        "today, but one attach call away it makes anyone an administrator. Keeping such "
        "policies around invites a mistaken or malicious attachment that reviews of "
        "attached permissions would not see coming."
    ),
    remediation=(
        "IAM console > Policies > filter Customer managed > the policy > confirm it is "
        "attached to no one > Delete (or rewrite it to the permissions a job needs)."
    ),
    remediation_cli=(
        "aws iam list-policy-versions --policy-arn POLICY_ARN && aws iam delete-policy-version "
        "--policy-arn POLICY_ARN --version-id NON_DEFAULT_VERSION_ID && aws iam delete-policy "
        "--policy-arn POLICY_ARN"
    ),
    references=(LEAST_PRIVILEGE_DOC, MANAGED_VS_INLINE_DOC),
)
def admin_policy_unattached(snap: Snapshot, ctx: CheckContext) -> Iterator[Result]:
    """One result per customer managed policy; FAIL when unattached and allowing ``*:*``.

    A policy used only as a permissions boundary passes: allowing everything is what a
    boundary that limits nothing says, and a boundary never grants. An attached one passes
    here because PERM-002 reports whoever holds it.
    """
    details = _details(snap)
    analysis = privilege_analysis(details)
    held = _held_arns(details)
    boundaries = _boundary_arns(details)
    customer = [p for p in details.policies if not p.aws_managed]
    if not customer:
        yield _no_policies(snap, "customer managed policies")
        return
    for p in customer:
        judged = _managed(p)
        if p.attachment_count > 0 or p.arn in held:
            yield judged.result(
                Status.PASS,
                f"{judged.description} is attached ({p.attachment_count} attachment(s)); "
                "PERM-002 judges whoever holds full admin through it.",
            )
            continue
        policy = analysis.parse(p.document)
        admin = [s.index for s in policy.full_admin_statements()]
        if admin and (p.permissions_boundary_usage_count > 0 or p.arn in boundaries):
            yield judged.result(
                Status.PASS,
                f"{judged.description} allows *:* but is used only as a permissions "
                "boundary, which limits and never grants.",
                statements=admin,
            )
        elif admin:
            yield judged.result(
                Status.FAIL,
                f"{judged.description} is attached to no one and allows every action on "
                f"every resource ({_statements_text(admin)}).",
                statements=admin,
            )
        elif policy.problems:
            yield judged.result(
                Status.ERROR,
                f"{judged.description} could not be fully read, so a *:* grant cannot be "
                f"ruled out: {'; '.join(policy.problems)}.",
                policy_problems=list(policy.problems),
            )
        else:
            yield judged.result(
                Status.PASS, f"{judged.description} is unattached and does not allow *:*."
            )


def service_wildcards(policy: Policy) -> list[tuple[int, str]]:
    """``(statement index, pattern)`` for each Allow pattern granting a whole service.

    ``s3:*`` (any case, also ``s3:**``) counts; ``*`` and ``*:*`` do not: a grant of every
    action is full admin, which PERM-002 and PERM-003 report.
    """
    out: list[tuple[int, str]] = []
    for s in policy.allows:
        for pattern in s.actions:
            service, sep, _ = pattern.partition(":")
            if (
                sep
                and service
                and "*" not in service
                and "?" not in service
                and action_matches(pattern, f"{service}:*")
            ):
                out.append((s.index, pattern))
    return out


@check(
    id="PERM-004",
    slug="service-wildcard",
    title="Customer managed and inline policies do not allow all actions of a service",
    severity=Severity.LOW,
    resource_type=ResourceType.POLICY,
    needs={Source.AUTHORIZATION_DETAILS},
    rationale=(
        "An action wildcard such as s3:* or iam:* grants every action of a service, "
        "including destructive and permission-changing ones and any the service adds "
        "later. Listing the actions a job needs keeps a leaked credential's reach small."
    ),
    remediation=(
        "IAM console > Policies (or the principal's Permissions tab for an inline policy) > "
        "the policy > Edit > replace each service:* action with the specific actions "
        "needed (IAM Access Analyzer's policy generation can list those used) > Save."
    ),
    remediation_cli=(
        "aws iam create-policy-version --policy-arn POLICY_ARN --policy-document "
        "file://scoped.json --set-as-default  # inline: aws iam put-role-policy (or "
        "put-user-policy / put-group-policy)"
    ),
    references=(
        LEAST_PRIVILEGE_DOC,
        "https://docs.aws.amazon.com/securityhub/latest/userguide/iam-controls.html#iam-21",
    ),
    fsbp=("IAM.21",),
)
def service_wildcard(snap: Snapshot, ctx: CheckContext) -> Iterator[Result]:
    """FAIL per customer or inline policy with an Allow of ``service:*``; PASS otherwise."""
    details = _details(snap)
    analysis = privilege_analysis(details)
    judged_any = False
    for judged in customer_and_inline_policies(details):
        judged_any = True
        policy = analysis.parse(judged.document)
        found = service_wildcards(policy)
        if found:
            actions = sorted({p for _, p in found}, key=str.lower)
            yield judged.result(
                Status.FAIL,
                f"{judged.description} allows every action of a service: "
                f"{', '.join(actions)} ({_statements_text(sorted({i for i, _ in found}))}).",
                actions=actions,
                statements=sorted({i for i, _ in found}),
            )
        elif policy.problems:
            yield _unreadable(judged, policy, "a service-wide action wildcard")
        else:
            yield judged.result(
                Status.PASS, f"{judged.description} allows no service-wide action wildcard."
            )
    if not judged_any:
        yield _no_policies(snap, "customer managed or inline policies")


def _unreadable(judged: JudgedPolicy, policy: Policy, what: str) -> Result:
    return judged.result(
        Status.ERROR,
        f"{judged.description} could not be fully read, so {what} cannot be ruled out: "
        f"{'; '.join(policy.problems)}.",
        policy_problems=list(policy.problems),
    )


@check(
    id="PERM-005",
    slug="allow-notaction",
    title="Customer managed and inline policies do not combine Allow with NotAction",
    severity=Severity.MEDIUM,
    resource_type=ResourceType.POLICY,
    needs={Source.AUTHORIZATION_DETAILS},
    rationale=(
        "Allow with NotAction grants every action except those listed, across every "
        "service, including services and actions that do not exist yet. It nearly always "
        "grants far more than intended and is counted as admin-equivalent."
    ),
    remediation=(
        "IAM console > Policies (or the principal's Permissions tab for an inline policy) > "
        "the policy > Edit > replace the Allow + NotAction statement with an Allow of the "
        "actions needed (use Deny + NotAction for guard rails instead) > Save."
    ),
    remediation_cli=(
        "aws iam create-policy-version --policy-arn POLICY_ARN --policy-document "
        "file://explicit-actions.json --set-as-default  # inline: aws iam put-role-policy"
    ),
    references=(
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notaction.html",
        LEAST_PRIVILEGE_DOC,
    ),
)
def allow_notaction(snap: Snapshot, ctx: CheckContext) -> Iterator[Result]:
    """FAIL per customer or inline policy with an Allow + NotAction statement."""
    details = _details(snap)
    analysis = privilege_analysis(details)
    judged_any = False
    for judged in customer_and_inline_policies(details):
        judged_any = True
        policy = analysis.parse(judged.document)
        found = [s for s in policy.allows if s.not_actions]
        if found:
            excluded = sorted({a for s in found for a in s.not_actions}, key=str.lower)
            conditional = all(s.conditions for s in found)
            yield judged.result(
                Status.FAIL,
                f"{judged.description} allows every action except {', '.join(excluded)} "
                f"({_statements_text([s.index for s in found])}"
                f"{', under conditions' if conditional else ''}).",
                statements=[s.index for s in found],
                not_actions=excluded,
                resources=sorted({r for s in found for r in (s.resources or ("*",))}),
            )
        elif policy.problems:
            yield _unreadable(judged, policy, "an Allow + NotAction statement")
        else:
            yield judged.result(Status.PASS, f"{judged.description} has no Allow + NotAction.")
    if not judged_any:
        yield _no_policies(snap, "customer managed or inline policies")


# Condition keys that narrow which role may be passed or assumed; a key ending in "/" is a
# prefix (aws:ResourceTag/team).
PASSROLE_KEYS = ("iam:passedtoservice", "iam:associatedresourcearn", "aws:resourcetag/")
ASSUMEROLE_KEYS = (
    "aws:resourcetag/",
    "aws:resourceaccount",
    "aws:resourceorgid",
    "aws:resourceorgpaths",
)
_ROLE_ACTIONS = (("iam:PassRole", PASSROLE_KEYS), ("sts:AssumeRole", ASSUMEROLE_KEYS))


def unrestricted_role_grants(policy: Policy) -> list[dict[str, Any]]:
    """Allow statements granting ``iam:PassRole`` / ``sts:AssumeRole`` on every role with
    no condition pinning which one (or to which service); one entry per statement."""
    out: list[dict[str, Any]] = []
    for s in policy.allows:
        # * on * is full admin: PERM-002 / PERM-003 report that statement already.
        if grants_everything(s):
            continue
        broad = broad_resources(s)
        if not broad:
            continue
        actions = [
            action
            for action, keys in _ROLE_ACTIONS
            if grants_action(s, action) and not any(restricts(c, keys) for c in s.conditions)
        ]
        if actions:
            out.append({"statement": s.index, "actions": actions, "resources": list(broad)})
    return out


def _attached_aws_policies(details: AuthorizationDetails) -> Iterator[JudgedPolicy]:
    held = _held_arns(details)
    for p in details.policies:
        if p.aws_managed and (p.attachment_count > 0 or p.arn in held):
            yield _managed(p)


@check(
    id="PERM-006",
    slug="passrole-assumerole-star",
    title="No policy allows iam:PassRole or sts:AssumeRole on every role without a condition",
    severity=Severity.MEDIUM,
    resource_type=ResourceType.POLICY,
    needs={Source.AUTHORIZATION_DETAILS},
    rationale=(
        "iam:PassRole on every role lets its holder hand any role, an administrator's "
        "included, to a service it controls, and sts:AssumeRole on every role lets it "
        "become any role that trusts the account. Either turns a narrow permission into "
        "a path to the most privileged role."
    ),
    remediation=(
        "IAM console > Policies (or the principal's Permissions tab for an inline policy) > "
        "the policy > Edit > set Resource to the ARNs of the roles that may be passed or "
        "assumed, or add a condition such as iam:PassedToService or aws:ResourceTag > Save."
    ),
    remediation_cli=(
        "aws iam create-policy-version --policy-arn POLICY_ARN --policy-document "
        "file://scoped-roles.json --set-as-default  # inline: aws iam put-role-policy"
    ),
    references=(
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html",
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html",
    ),
)
def passrole_assumerole_star(snap: Snapshot, ctx: CheckContext) -> Iterator[Result]:
    """FAIL per policy (customer managed, inline, or AWS managed and attached here) with
    such a grant. A resource counts as every role when it is ``*`` or covers every
    resource of a type (``arn:aws:iam::*:role/*``). Unattached AWS managed policies are
    not judged: they grant nothing in this account and cannot be edited.
    """
    details = _details(snap)
    analysis = privilege_analysis(details)
    judged_any = False
    for judged in (*customer_and_inline_policies(details), *_attached_aws_policies(details)):
        judged_any = True
        policy = analysis.parse(judged.document)
        grants = unrestricted_role_grants(policy)
        if grants:
            actions = sorted({a for g in grants for a in g["actions"]})
            yield judged.result(
                Status.FAIL,
                f"{judged.description} allows {' and '.join(actions)} on "
                f"{', '.join(sorted({r for g in grants for r in g['resources']}))} with no "
                "condition restricting which role "
                f"({_statements_text([g['statement'] for g in grants])}).",
                grants=grants,
            )
        elif policy.problems:
            yield _unreadable(judged, policy, "an unrestricted PassRole or AssumeRole")
        else:
            yield judged.result(
                Status.PASS,
                f"{judged.description} allows iam:PassRole and sts:AssumeRole only on "
                "named roles or under a restricting condition, if at all.",
            )
    if not judged_any:
        yield _no_policies(snap, "policies to judge")


# --- effective permissions (PERM-007, PERM-008) ----------------------------------------

PRIVESC_DOC = "https://rhinosecuritylabs.com/aws/aws-privilege-escalation-methods-mitigation/"
_SHOWN_METHODS = 5


def _describe_methods(matches: tuple[EscalationMatch, ...]) -> str:
    shown = [
        f"{m.method} ({', '.join(m.actions)}; from {', '.join(m.policies) or 'unknown'})"
        for m in matches[:_SHOWN_METHODS]
    ]
    more = len(matches) - _SHOWN_METHODS
    return "; ".join(shown) + (f"; and {more} more" if more > 0 else "")


@check(
    id="PERM-007",
    slug="privilege-escalation",
    title="No non-admin user, group or role can escalate its own privileges",
    severity=Severity.HIGH,
    resource_type=ResourceType.ROLE,
    needs={Source.AUTHORIZATION_DETAILS},
    rationale=(
        "Some permission sets let a principal grant itself more: a new version of its own "
        "policy, an access key for an administrator, or a role passed to compute it "
        "controls. Such a principal is an administrator in waiting, whatever its policies "
        "appear to allow."
    ),
    remediation=(
        "IAM console > the user, group or role > Permissions > remove the actions of each "
        "escalation method named in the finding, or scope them to named resources and add "
        "conditions; put a permissions boundary on principals that must manage IAM."
    ),
    remediation_cli=(
        "aws iam put-role-permissions-boundary --role-name ROLE_NAME --permissions-boundary "
        "BOUNDARY_POLICY_ARN  # or detach-role-policy / put-role-policy with scoped actions"
    ),
    references=(
        PRIVESC_DOC,
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html",
    ),
    weighs_privilege=True,
)
def privilege_escalation(snap: Snapshot, ctx: CheckContext) -> Iterator[Result]:
    """FAIL per principal whose effective permissions hold an escalation method.

    Admin-equivalent principals pass (they have nothing to escalate to; PERM-002 and the
    context rule cover them). Service-linked roles are skipped: only their AWS service can
    assume them and their policies cannot be edited. A principal with no match but a policy
    that could not be fully read is ERROR.
    """
    analysis = privilege_analysis(_details(snap))
    for principal in analysis.principals():
        if is_service_linked(principal):
            continue
        kind = principal_kind(principal)
        admin = analysis.admin_grants(principal)
        if admin:
            yield principal_result(
                principal,
                Status.PASS,
                f"{kind} {principal.name} is already admin-equivalent through "
                f"{_listing(list(admin))}: there is nothing to escalate to.",
                admin_grants=list(admin),
            )
            continue
        matches = analysis.escalation_methods(principal)
        if matches:
            yield principal_result(
                principal,
                Status.FAIL,
                f"{kind} {principal.name} can escalate its privileges by "
                f"{len(matches)} method(s): {_describe_methods(matches)}.",
                methods=[
                    {"method": m.method, "actions": list(m.actions), "policies": list(m.policies)}
                    for m in matches
                ],
                policies=sorted({p for m in matches for p in m.policies}),
            )
            continue
        unreadable = analysis.unreadable(principal)
        if unreadable:
            yield principal_result(
                principal,
                Status.ERROR,
                f"{kind} {principal.name} has policies that could not be fully read "
                f"({_listing(list(unreadable))}), so escalation cannot be ruled out.",
                policy_problems=unreadable,
            )
            continue
        yield principal_result(
            principal,
            Status.PASS,
            f"{kind} {principal.name} holds no known privilege-escalation method.",
        )


@check(
    id="PERM-008",
    slug="admin-without-mfa",
    title="Every admin-equivalent IAM user has MFA enabled",
    severity=Severity.CRITICAL,
    resource_type=ResourceType.USER,
    needs={Source.AUTHORIZATION_DETAILS, Source.CREDENTIAL_REPORT},
    rationale=(
        "An administrator's password or access key alone controls the whole account when "
        "no second factor is required. MFA on admin-equivalent users is the cheapest guard "
        "against the phishing and credential leaks that end in account takeover."
    ),
    remediation=(
        "IAM console > Users > the user > Security credentials > Multi-factor "
        "authentication (MFA) > Assign MFA device (prefer a FIDO security key); or move "
        "the user's administration to a role assumed through federation."
    ),
    remediation_cli=(
        "aws iam create-virtual-mfa-device --virtual-mfa-device-name USER_NAME "
        "--outfile qr.png --bootstrap-method QRCodePNG && aws iam enable-mfa-device "
        "--user-name USER_NAME --serial-number MFA_ARN --authentication-code1 CODE1 "
        "--authentication-code2 CODE2"
    ),
    references=(MFA_DOC, SECURITY_HUB_IAM_DOC),
    weighs_privilege=True,
)
def admin_without_mfa(snap: Snapshot, ctx: CheckContext) -> Iterator[Result]:
    """One result per IAM user: FAIL for an admin-equivalent user without MFA.

    MFA comes from the user's credential-report row; a user missing from the report
    (created after it was generated) or with an unreadable row is ERROR when it matters.
    """
    analysis = privilege_analysis(_details(snap))
    rows = {r.arn: r for r in credential_users(snap)}
    for user in analysis.details.users:
        row = rows.get(user.arn)
        if row is not None and row.problems:
            yield problem_result(row, "whether the user is admin-equivalent without MFA")
            continue
        if row is not None and row.mfa_active:
            yield principal_result(user, Status.PASS, f"User {user.name} has MFA enabled.")
            continue
        admin = analysis.admin_grants(user)
        if not admin:
            unreadable = analysis.unreadable(user)
            if unreadable:
                yield principal_result(
                    user,
                    Status.ERROR,
                    f"User {user.name} has no MFA and policies that could not be fully read "
                    f"({_listing(list(unreadable))}), so admin access cannot be ruled out.",
                    policy_problems=unreadable,
                )
            else:
                yield principal_result(
                    user, Status.PASS, f"User {user.name} is not admin-equivalent."
                )
            continue
        if row is None:
            yield principal_result(
                user,
                Status.ERROR,
                f"User {user.name} is admin-equivalent but has no credential report row "
                "(created after the report was generated?), so its MFA is unknown.",
                admin_grants=list(admin),
            )
            continue
        credentials = []
        if row.password_enabled:
            credentials.append("a console password")
        if row.active_keys:
            credentials.append(f"{len(row.active_keys)} active access key(s)")
        holding = f", and holds {' and '.join(credentials)}" if credentials else ""
        yield principal_result(
            user,
            Status.FAIL,
            f"User {user.name} is admin-equivalent through {_listing(list(admin))} and has "
            f"no MFA{holding}.",
            admin_grants=list(admin),
            password_enabled=bool(row.password_enabled),
            active_access_keys=len(row.active_keys),
        )


@check(
    id="PERM-009",
    slug="cloudshell-full-access",
    title="AWSCloudShellFullAccess is attached to no user, group or role",
    severity=Severity.MEDIUM,
    resource_type=ResourceType.ACCOUNT,
    needs={Source.AUTHORIZATION_DETAILS},
    rationale=(
        "AWSCloudShellFullAccess lets its holder upload and download files to and from a "
        "shell with internet access, a ready channel for moving data out of the account. "
        "Grant CloudShell through a policy that denies file transfer instead."
    ),
    remediation=(
        "IAM console > Policies > AWSCloudShellFullAccess > Entities attached > select each "
        "> Detach; grant a scoped CloudShell policy that denies cloudshell:GetFileUploadUrls "
        "and cloudshell:GetFileDownloadUrls if shell access is needed."
    ),
    remediation_cli=(
        "aws iam detach-user-policy --user-name USER_NAME --policy-arn "
        "arn:aws:iam::aws:policy/AWSCloudShellFullAccess  # or detach-group-policy / "
        "detach-role-policy"
    ),
    references=(
        "https://docs.aws.amazon.com/cloudshell/latest/userguide/sec-auth-with-identities.html",
        SECURITY_HUB_IAM_DOC,
    ),
    cis_7=("2.20",),
    cis_5=("1.21",),
    fsbp=("IAM.27",),
)
def cloudshell_full_access(snap: Snapshot, ctx: CheckContext) -> Iterator[Result]:
    """FAIL per principal with AWSCloudShellFullAccess attached; one account PASS if none."""
    found = False
    for principal in principals(_details(snap)):
        arns = [
            p.arn for p in principal.attached_policies if is_aws_policy(p.arn, CLOUDSHELL_POLICY)
        ]
        if arns:
            found = True
            yield principal_result(
                principal,
                Status.FAIL,
                f"{principal_kind(principal)} {principal.name} has {CLOUDSHELL_POLICY} attached.",
                policy_arn=arns[0],
            )
    if not found:
        yield account_result(
            snap, Status.PASS, f"{CLOUDSHELL_POLICY} is attached to no user, group or role."
        )
