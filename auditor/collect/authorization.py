"""Every user, group, role and managed policy from ``GetAccountAuthorizationDetails``.

One paginated call replaces several calls per principal. Of each managed policy only the
default version is kept; policy documents are accepted both as dicts (as botocore decodes
them) and as URL-encoded JSON strings (recorded or hand-built responses).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from auditor.collect.common import as_utc, guarded
from auditor.snapshot import (
    AttachedPolicy,
    AuthorizationDetails,
    Group,
    InlinePolicy,
    ManagedPolicy,
    Role,
    User,
)

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient

OPERATION = "iam:GetAccountAuthorizationDetails"
PAGE_SIZE = 1000
FILTER = ("User", "Role", "Group", "LocalManagedPolicy", "AWSManagedPolicy")


def parse_policy_document(value: object) -> dict[str, Any]:
    """A policy document as a dict, from a dict or a (URL-encoded) JSON string.

    Raises ``ValueError`` for anything that is not a JSON object: a policy we cannot read
    must not be mistaken for one that grants nothing.
    """
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, str):
        text = value.strip()
        # URL-encoded JSON starts with %7B; plain JSON may itself contain "%" (a value
        # such as "50%"), so it must not be unquoted.
        decoded = json.loads(text if text.startswith("{") else unquote(text))
        if isinstance(decoded, dict):
            return decoded
    raise ValueError(f"policy document is not a JSON object: {type(value).__name__}")


def _inline(items: Iterable[Mapping[str, Any]] | None) -> tuple[InlinePolicy, ...]:
    return tuple(
        InlinePolicy(name=str(p["PolicyName"]), document=parse_policy_document(p["PolicyDocument"]))
        for p in items or ()
    )


def _attached(items: Iterable[Mapping[str, Any]] | None) -> tuple[AttachedPolicy, ...]:
    return tuple(
        AttachedPolicy(name=str(p.get("PolicyName", "")), arn=str(p["PolicyArn"]))
        for p in items or ()
    )


def _tags(items: Iterable[Mapping[str, Any]] | None) -> dict[str, str]:
    return {str(t["Key"]): str(t.get("Value", "")) for t in items or ()}


def _boundary(entity: Mapping[str, Any]) -> str | None:
    boundary = entity.get("PermissionsBoundary") or {}
    arn = boundary.get("PermissionsBoundaryArn")
    return str(arn) if arn else None


def _identity(item: Mapping[str, Any], kind: str) -> dict[str, Any]:
    """What names a user, group or role entry, keyed as the snapshot's fields are.

    ``kind`` is the entry's prefix in the API (``User``, ``Group``, ``Role``): it names its
    ``...Name`` and ``...Id`` keys and the snapshot's ``..._id`` field.
    """
    return {
        "name": str(item[f"{kind}Name"]),
        "arn": str(item["Arn"]),
        f"{kind.lower()}_id": str(item.get(f"{kind}Id", "")),
        "path": str(item.get("Path", "/")),
        "create_date": as_utc(item.get("CreateDate")),
    }


def build_user(item: Mapping[str, Any]) -> User:
    """A ``User`` from one ``UserDetailList`` entry."""
    return User(
        **_identity(item, "User"),
        inline_policies=_inline(item.get("UserPolicyList")),
        attached_policies=_attached(item.get("AttachedManagedPolicies")),
        groups=tuple(str(g) for g in item.get("GroupList") or ()),
        permissions_boundary_arn=_boundary(item),
        tags=_tags(item.get("Tags")),
    )


def build_group(item: Mapping[str, Any]) -> Group:
    """A ``Group`` from one ``GroupDetailList`` entry."""
    return Group(
        **_identity(item, "Group"),
        inline_policies=_inline(item.get("GroupPolicyList")),
        attached_policies=_attached(item.get("AttachedManagedPolicies")),
    )


def build_role(item: Mapping[str, Any]) -> Role:
    """A ``Role`` from one ``RoleDetailList`` entry.

    The API returns no role description here; ``description`` is filled only if a
    response carries one, since fetching it would cost a call per role.
    """
    last_used = item.get("RoleLastUsed") or {}
    region = last_used.get("Region")
    return Role(
        **_identity(item, "Role"),
        trust_policy=parse_policy_document(item.get("AssumeRolePolicyDocument")),
        inline_policies=_inline(item.get("RolePolicyList")),
        attached_policies=_attached(item.get("AttachedManagedPolicies")),
        last_used=as_utc(last_used.get("LastUsedDate")),
        last_used_region=str(region) if region else None,
        permissions_boundary_arn=_boundary(item),
        description=str(item.get("Description") or ""),
        tags=_tags(item.get("Tags")),
    )


def build_policy(item: Mapping[str, Any]) -> ManagedPolicy:
    """A ``ManagedPolicy`` from one ``Policies`` entry, with its default version's document."""
    versions = list(item.get("PolicyVersionList") or ())
    default_id = item.get("DefaultVersionId")
    default = next((v for v in versions if v.get("IsDefaultVersion")), None)
    if default is None:
        default = next((v for v in versions if v.get("VersionId") == default_id), None)
    if default is None:
        raise ValueError(f"policy {item.get('Arn')} has no default version in the response")
    arn = str(item["Arn"])
    # Some emulators omit PolicyName; the ARN ends with it (after the policy's path).
    name = str(item.get("PolicyName") or arn.rsplit("/", 1)[-1])
    return ManagedPolicy(
        name=name,
        arn=arn,
        policy_id=str(item.get("PolicyId", "")),
        path=str(item.get("Path", "/")),
        default_version_id=str(default.get("VersionId") or default_id or ""),
        document=parse_policy_document(default.get("Document")),
        attachment_count=int(item.get("AttachmentCount") or 0),
        permissions_boundary_usage_count=int(item.get("PermissionsBoundaryUsageCount") or 0),
        is_attachable=bool(item.get("IsAttachable", True)),
        create_date=as_utc(item.get("CreateDate")),
        update_date=as_utc(item.get("UpdateDate")),
    )


def fetch_authorization_details(
    iam: IAMClient,
    *,
    progress: Callable[[str], None] | None = None,
    page_size: int = PAGE_SIZE,
) -> AuthorizationDetails:
    """Read every page of ``GetAccountAuthorizationDetails`` and build the snapshot part.

    Follows ``Marker`` while ``IsTruncated``; a page that fails raises ``SourceError``
    (nothing partial is returned: half the roles would read as "no such role").
    Malformed entities raise ``KeyError``/``ValueError``, which ``collect`` records as a gap.
    """
    users: dict[str, User] = {}
    groups: dict[str, Group] = {}
    roles: dict[str, Role] = {}
    policies: dict[str, ManagedPolicy] = {}
    marker: str | None = None
    seen: set[str] = set()
    page = 0
    while True:
        page += 1
        params: dict[str, Any] = {"Filter": list(FILTER), "MaxItems": page_size}
        if marker:
            params["Marker"] = marker
        with guarded(OPERATION):
            answer: Mapping[str, Any] = iam.get_account_authorization_details(**params)
        # Keyed by ARN so an entity repeated across pages is kept once.
        for item in answer.get("UserDetailList") or ():
            user = build_user(item)
            users[user.arn] = user
        for item in answer.get("GroupDetailList") or ():
            group = build_group(item)
            groups[group.arn] = group
        for item in answer.get("RoleDetailList") or ():
            role = build_role(item)
            roles[role.arn] = role
        for item in answer.get("Policies") or ():
            policy = build_policy(item)
            policies[policy.arn] = policy
        if progress is not None and (page > 1 or answer.get("IsTruncated")):
            total = len(users) + len(groups) + len(roles) + len(policies)
            progress(f"reading authorization details: page {page} ({total:,} entities)…")
        if not answer.get("IsTruncated"):
            break
        marker = answer.get("Marker")
        # A truncated page without a fresh marker would end in partial data or loop forever.
        if not marker or marker in seen:
            raise ValueError(f"page {page} is truncated but gives no new Marker")
        seen.add(marker)
    return AuthorizationDetails(
        users=tuple(users.values()),
        groups=tuple(groups.values()),
        roles=tuple(roles.values()),
        policies=tuple(policies.values()),
    )
