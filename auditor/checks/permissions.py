"""Checks on what IAM principals are allowed to do (PERM-001, PERM-002, PERM-009).

All read ``GetAccountAuthorizationDetails`` through ``auditor.policy``, the one place that
interprets policy documents. PERM-002 reports a grant where it is attached (the user, group
or role holding the policy), so one fix clears one finding; a user who only inherits full
admin from a group passes here and says so, the group is the one that fails.
"""

from __future__ import annotations

from collections.abc import Iterator

from auditor.checks.registry import CheckContext, check
from auditor.checks.users import SECURITY_HUB_IAM_DOC, need
from auditor.model import ResourceType, Result, Severity, Source, Status
from auditor.policy import IamPrincipal, PolicyEngine, is_aws_policy
from auditor.snapshot import AuthorizationDetails, Group, Role, Snapshot, User

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


def principal_type(principal: IamPrincipal) -> ResourceType:
    """The ASFF resource type of a user, group or role."""
    if isinstance(principal, User):
        return ResourceType.USER
    if isinstance(principal, Group):
        return ResourceType.GROUP
    return ResourceType.ROLE


def principal_kind(principal: IamPrincipal) -> str:
    """``User`` / ``Group`` / ``Role``, for details."""
    return {User: "User", Group: "Group", Role: "Role"}[type(principal)]


def _result(principal: IamPrincipal, status: Status, detail: str, **evidence: object) -> Result:
    return Result(
        status=status,
        resource_arn=principal.arn,
        resource_name=principal.name,
        detail=detail,
        evidence=evidence,
        resource_type=principal_type(principal),
    )


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
            yield _result(user, Status.PASS, f"User {user.name} has no policies of its own.")
            continue
        parts = []
        if attached:
            names = [p.name for p in user.attached_policies]
            parts.append(f"{_plural(len(names), 'attached managed policy')} {_listing(names)}")
        if inline:
            parts.append(f"{_plural(len(inline), 'inline policy')} {_listing(inline)}")
        yield _result(
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
)
def full_admin_attached(snap: Snapshot, ctx: CheckContext) -> Iterator[Result]:
    """FAIL for each user, group or role holding a ``*:*`` policy of its own.

    A principal with no grant but an unreadable policy document is ERROR, not PASS: the
    unreadable statement could be the grant.
    """
    engine = PolicyEngine(_details(snap))
    for principal in principals(engine.details):
        kind = principal_kind(principal)
        direct = engine.direct_policies_of(principal)
        grants = [p for p in direct if engine.grants_full_admin(p)]
        if grants:
            yield _result(
                principal,
                Status.FAIL,
                f"{kind} {principal.name} holds full administrator access (Allow * on *, no "
                f"condition) through {_listing([p.label for p in grants])}.",
                policies=[p.ref for p in grants],
            )
            continue
        unreadable = {
            p.ref: list(problems)
            for p in direct
            if p.document is not None and (problems := engine.parse(p.document).problems)
        }
        if unreadable:
            yield _result(
                principal,
                Status.ERROR,
                f"{kind} {principal.name} has policies that could not be fully read "
                f"({_listing(list(unreadable))}), so full admin access cannot be ruled out.",
                policy_problems=unreadable,
            )
            continue
        inherited = engine.full_admin_grants(principal) if isinstance(principal, User) else ()
        if inherited:
            groups = sorted({p.via_group for p in inherited if p.via_group})
            yield _result(
                principal,
                Status.PASS,
                f"No policy of user {principal.name}'s own grants full admin; it inherits full "
                f"admin from group {_listing(groups)}, reported there.",
                inherited_from_groups=groups,
            )
            continue
        yield _result(
            principal, Status.PASS, f"No policy of {kind.lower()} {principal.name} grants *:*."
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
            yield _result(
                principal,
                Status.FAIL,
                f"{principal_kind(principal)} {principal.name} has {CLOUDSHELL_POLICY} attached.",
                policy_arn=arns[0],
            )
    if not found:
        yield Result(
            status=Status.PASS,
            resource_arn=snap.root_arn,
            resource_name=snap.account_id,
            detail=f"{CLOUDSHELL_POLICY} is attached to no user, group or role.",
            resource_type=ResourceType.ACCOUNT,
        )
