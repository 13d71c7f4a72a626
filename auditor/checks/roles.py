"""Checks on IAM roles' use and the account's support role (ROLE-015, ROLE-016).

ROLE-015 judges service-linked roles too (an unused one usually means an unused service) and
says so, since such a role is deleted through its service.
"""

from __future__ import annotations

from collections.abc import Iterator

from auditor.checks.common import (
    SECURITY_HUB_IAM_DOC,
    account_result,
    age_days,
    iso,
    need,
    principal_result,
)
from auditor.checks.registry import CheckContext, check
from auditor.model import ResourceType, Result, Severity, Source, Status
from auditor.policy import is_aws_policy
from auditor.snapshot import AuthorizationDetails, Snapshot

SUPPORT_POLICY = "AWSSupportAccess"
# How far back IAM tracks RoleLastUsed; "no recorded use" means none in this period.
ROLE_LAST_USED_TRACKING_DAYS = 400


def _details(snap: Snapshot) -> AuthorizationDetails:
    return need(snap.authorization, Source.AUTHORIZATION_DETAILS)


@check(
    id="ROLE-015",
    slug="unused-role",
    title="IAM roles unused for 90 days are removed",
    severity=Severity.LOW,
    resource_type=ResourceType.ROLE,
    needs={Source.AUTHORIZATION_DETAILS},
    rationale=(
        "A role nobody assumes keeps its permissions and its trust policy, and is reviewed "
        "by no one. Removing unused roles shrinks what an attacker who finds a way to "
        "assume them could reach."
    ),
    remediation=(
        "IAM console > Roles > the role: check Last activity and its trust policy with the "
        "owner; if it is no longer needed, Delete. Delete a service-linked role through the "
        "service that created it."
    ),
    remediation_cli=(
        "aws iam get-role --role-name ROLE_NAME --query Role.RoleLastUsed && "
        "aws iam delete-role --role-name ROLE_NAME  # after detaching its policies"
    ),
    references=(
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_manage_delete.html",
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_last-accessed.html",
    ),
)
def unused_role(snap: Snapshot, ctx: CheckContext) -> Iterator[Result]:
    """FAIL for roles older than the limit and not used within it."""
    limit = ctx.thresholds.role_unused_days
    now = snap.collected_at
    for role in _details(snap).roles:
        created = age_days(now, role.create_date) if role.create_date is not None else None
        used = age_days(now, role.last_used) if role.last_used is not None else None
        evidence: dict[str, object] = {
            "create_date": iso(role.create_date),
            "last_used": iso(role.last_used),
            "last_used_region": role.last_used_region,
            "days_since_use": used,
            "limit_days": limit,
            "service_linked": role.service_linked,
        }
        if created is not None and created <= limit:
            yield principal_result(
                role,
                Status.PASS,
                f"Role {role.name} was created {created} days ago, within {limit}.",
                **evidence,
            )
        elif used is not None and used <= limit:
            yield principal_result(
                role, Status.PASS, f"Role {role.name} was last used {used} days ago.", **evidence
            )
        else:
            when = (
                f"last used {used} days ago"
                if used is not None
                else f"no recorded use in the {ROLE_LAST_USED_TRACKING_DAYS} days IAM tracks"
            )
            note = (
                " It is service-linked: delete it through its service if that service is no "
                "longer used."
                if role.service_linked
                else ""
            )
            yield principal_result(
                role,
                Status.FAIL,
                f"Role {role.name} has not been used in {limit} days ({when}).{note}",
                **evidence,
            )


@check(
    id="ROLE-016",
    slug="support-role-missing",
    title="A role with AWSSupportAccess exists to manage incidents with AWS Support",
    severity=Severity.LOW,
    resource_type=ResourceType.ACCOUNT,
    needs={Source.AUTHORIZATION_DETAILS},
    rationale=(
        "During an incident someone must be able to open and follow AWS Support cases "
        "without using root or an administrator. A dedicated role with AWSSupportAccess "
        "gives exactly that."
    ),
    remediation=(
        "IAM console > Roles > Create role > trusted entity: the account (or your "
        "federation) > attach AWSSupportAccess > name it, e.g. aws-support."
    ),
    remediation_cli=(
        "aws iam create-role --role-name aws-support --assume-role-policy-document "
        "file://trust.json && aws iam attach-role-policy --role-name aws-support "
        "--policy-arn arn:aws:iam::aws:policy/AWSSupportAccess"
    ),
    references=(
        "https://docs.aws.amazon.com/awssupport/latest/user/accessing-support.html",
        SECURITY_HUB_IAM_DOC,
    ),
    cis_7=("2.15",),
    cis_5=("1.16",),
    fsbp=("IAM.18",),
)
def support_role_missing(snap: Snapshot, ctx: CheckContext) -> Iterator[Result]:
    """One account-level result: PASS naming the support roles, or FAIL when there are none."""
    roles = sorted(
        role.name
        for role in _details(snap).roles
        if any(is_aws_policy(p.arn, SUPPORT_POLICY) for p in role.attached_policies)
    )
    if roles:
        detail = f"{SUPPORT_POLICY} is attached to role {', '.join(roles)}."
        status = Status.PASS
    else:
        detail = f"No role has {SUPPORT_POLICY} attached."
        status = Status.FAIL
    yield account_result(snap, status, detail, support_roles=roles)
