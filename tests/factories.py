"""Small builders of snapshots for check tests, so a test reads like the situation it sets up.

Everything is relative to a fixed ``NOW`` (the snapshot's ``collected_at``): ``ago(days=91)``
is a date 91 days before the audit. ``snapshot(...)`` marks every part it is given as
collected, so ``snapshot(password_policy=None)`` means "collected, and there is no policy".

    snap = snapshot(credential_report=[cred_row("alice", keys=[key(1, age_days=91)])])
    results = run_check("KEY-002", snap)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import strategies as st

from auditor.checks import get_check
from auditor.checks.registry import CheckContext
from auditor.config import Thresholds
from auditor.model import Gap, Result, Source, Status
from auditor.policy import trust as trust_module
from auditor.policy.document import Policy, parse_policy
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
    Role,
    SamlProvider,
    ServerCertificate,
    SigningCertState,
    Snapshot,
    User,
    VirtualMfaDevice,
)
from auditor.sources import SOURCES

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
ACCOUNT = "123456789012"
PARTITION = "aws"
ROOT_ARN = f"arn:{PARTITION}:iam::{ACCOUNT}:root"

PolicyDoc = Mapping[str, Any]

# Which Source each snapshot part comes from; passing the part marks the source collected.
_PART_SOURCES = {spec.snapshot_field: source for source, spec in SOURCES.items()}


def ago(days: float = 0, *, seconds: float = 0) -> datetime:
    """The instant ``days`` (and ``seconds``) before ``NOW``."""
    return NOW - timedelta(days=days, seconds=seconds)


def arn(kind: str, name: str, *, path: str = "/") -> str:
    """``arn:aws:iam::123456789012:user/alice`` and the like."""
    return f"arn:{PARTITION}:iam::{ACCOUNT}:{kind}{path}{name}"


def aws_policy_arn(name: str) -> str:
    """The ARN of an AWS managed policy."""
    return f"arn:{PARTITION}:iam::aws:policy/{name}"


# --- credential report -------------------------------------------------------------------


def key(
    slot: int = 1,
    *,
    age_days: float = 10,
    used_days_ago: float | None = None,
    active: bool = True,
    created: datetime | None = None,
) -> AccessKeyState:
    """An access key slot: created ``age_days`` ago, last used ``used_days_ago`` (None: never)."""
    return AccessKeyState(
        slot=slot,
        active=active,
        last_rotated=created if created is not None else ago(age_days),
        last_used=ago(used_days_ago) if used_days_ago is not None else None,
    )


def cert(slot: int = 1, *, active: bool = True, age_days: float = 30) -> SigningCertState:
    """An X.509 signing certificate slot."""
    return SigningCertState(slot=slot, active=active, last_rotated=ago(age_days))


def cred_row(
    user: str,
    *,
    age_days: float = 400,
    password: bool = False,
    password_used_days_ago: float | None = None,
    password_changed_days_ago: float | None = None,
    mfa: bool = False,
    keys: Iterable[AccessKeyState] = (),
    certs: Iterable[SigningCertState] = (),
    problems: Iterable[str] = (),
    created: datetime | None = None,
) -> CredentialRow:
    """A user's credential-report row; the user was created ``age_days`` ago.

    A password with no ``password_changed_days_ago`` was set when the user was created.
    """
    creation = created if created is not None else ago(age_days)
    changed: datetime | None = None
    if password:
        changed = (
            ago(password_changed_days_ago) if password_changed_days_ago is not None else creation
        )
    return CredentialRow(
        user=user,
        arn=arn("user", user),
        user_creation_time=creation,
        password_enabled=password,
        password_last_used=(
            ago(password_used_days_ago) if password_used_days_ago is not None else None
        ),
        password_last_changed=changed,
        password_next_rotation=None,
        mfa_active=mfa,
        access_keys=tuple(keys),
        signing_certs=tuple(certs),
        problems=tuple(problems),
    )


def root_row(
    *,
    password_used_days_ago: float | None = None,
    mfa: bool = True,
    keys: Iterable[AccessKeyState] = (),
    certs: Iterable[SigningCertState] = (),
    problems: Iterable[str] = (),
) -> CredentialRow:
    """The ``<root_account>`` row (``password_enabled`` is ``not_supported`` there)."""
    return CredentialRow(
        user="<root_account>",
        arn=ROOT_ARN,
        user_creation_time=ago(2000),
        password_enabled=None,
        password_last_used=(
            ago(password_used_days_ago) if password_used_days_ago is not None else None
        ),
        password_last_changed=None,
        password_next_rotation=None,
        mfa_active=mfa,
        access_keys=tuple(keys),
        signing_certs=tuple(certs),
        is_root=True,
        problems=tuple(problems),
    )


def credential_report(*rows: CredentialRow) -> CredentialReport:
    """A credential report generated a few minutes before ``NOW``."""
    return CredentialReport(generated_at=NOW - timedelta(minutes=2), rows=tuple(rows))


# --- authorization details ---------------------------------------------------------------


def statement(
    action: str | list[str] = "*",
    resource: str | list[str] = "*",
    *,
    effect: str = "Allow",
    condition: Mapping[str, Any] | None = None,
    not_action: str | list[str] | None = None,
) -> dict[str, Any]:
    """One policy statement (``not_action`` replaces ``Action`` when given)."""
    out: dict[str, Any] = {"Effect": effect}
    if not_action is not None:
        out["NotAction"] = not_action
    else:
        out["Action"] = action
    out["Resource"] = resource
    if condition is not None:
        out["Condition"] = condition
    return out


def document(*statements: Mapping[str, Any]) -> dict[str, Any]:
    """A policy document with these statements (a list, as the console writes it)."""
    return {"Version": "2012-10-17", "Statement": list(statements)}


ADMIN_DOC = document(statement("*", "*"))
READ_ONLY_DOC = document(statement(["s3:Get*", "s3:List*"], "*"))


def policy(
    name: str,
    doc: PolicyDoc | None = None,
    *,
    aws_managed: bool = False,
    attachments: int = 1,
) -> ManagedPolicy:
    """A managed policy (customer by default) with ``doc`` as its default version."""
    policy_arn = aws_policy_arn(name) if aws_managed else arn("policy", name)
    return ManagedPolicy(
        name=name,
        arn=policy_arn,
        policy_id=f"ANPA{name.upper()[:12]}",
        path="/",
        default_version_id="v1",
        document=doc if doc is not None else READ_ONLY_DOC,
        attachment_count=attachments,
    )


# AWS's AdministratorAccess, and the two trust policies attack-path situations start from:
# any principal of the account may assume the role, or Lambda may.
ADMIN_MANAGED = policy("AdministratorAccess", ADMIN_DOC, aws_managed=True)
ROOT_TRUST = document(
    {"Effect": "Allow", "Principal": {"AWS": ROOT_ARN}, "Action": "sts:AssumeRole"}
)
LAMBDA_TRUST = document(
    {
        "Effect": "Allow",
        "Principal": {"Service": "lambda.amazonaws.com"},
        "Action": "sts:AssumeRole",
    }
)


def attached(p: ManagedPolicy) -> AttachedPolicy:
    """The reference a principal holds to managed policy ``p``."""
    return AttachedPolicy(name=p.name, arn=p.arn)


def inline(name: str, doc: PolicyDoc) -> InlinePolicy:
    """An inline policy."""
    return InlinePolicy(name=name, document=doc)


def user(
    name: str,
    *,
    policies: Iterable[ManagedPolicy] = (),
    inline_policies: Iterable[InlinePolicy] = (),
    groups: Iterable[str] = (),
    boundary: ManagedPolicy | None = None,
) -> User:
    """An IAM user with managed ``policies`` attached directly."""
    return User(
        name=name,
        arn=arn("user", name),
        user_id=f"AIDA{name.upper()[:12]}",
        path="/",
        create_date=ago(400),
        inline_policies=tuple(inline_policies),
        attached_policies=tuple(attached(p) for p in policies),
        groups=tuple(groups),
        permissions_boundary_arn=boundary.arn if boundary is not None else None,
    )


def group(
    name: str,
    *,
    policies: Iterable[ManagedPolicy] = (),
    inline_policies: Iterable[InlinePolicy] = (),
) -> Group:
    """An IAM group."""
    return Group(
        name=name,
        arn=arn("group", name),
        group_id=f"AGPA{name.upper()[:12]}",
        path="/",
        create_date=ago(400),
        inline_policies=tuple(inline_policies),
        attached_policies=tuple(attached(p) for p in policies),
    )


def role(
    name: str,
    *,
    age_days: float = 400,
    used_days_ago: float | None = None,
    path: str = "/",
    policies: Iterable[ManagedPolicy] = (),
    inline_policies: Iterable[InlinePolicy] = (),
    trust: PolicyDoc | None = None,
) -> Role:
    """An IAM role created ``age_days`` ago, last used ``used_days_ago`` (None: no record)."""
    return Role(
        name=name,
        arn=arn("role", name, path=path),
        role_id=f"AROA{name.upper()[:12]}",
        path=path,
        create_date=ago(age_days),
        trust_policy=trust
        if trust is not None
        else document(
            {
                "Effect": "Allow",
                "Principal": {"Service": "ec2.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ),
        inline_policies=tuple(inline_policies),
        attached_policies=tuple(attached(p) for p in policies),
        last_used=ago(used_days_ago) if used_days_ago is not None else None,
        last_used_region="us-east-1" if used_days_ago is not None else None,
    )


def details(
    *,
    users: Iterable[User] = (),
    groups: Iterable[Group] = (),
    roles: Iterable[Role] = (),
    policies: Iterable[ManagedPolicy] = (),
) -> AuthorizationDetails:
    """Authorization details; ``policies`` are the managed policies whose documents it holds."""
    return AuthorizationDetails(
        users=tuple(users), groups=tuple(groups), roles=tuple(roles), policies=tuple(policies)
    )


# --- account-level parts -----------------------------------------------------------------


def summary(*, keys: int = 0, mfa: int = 1, password: int = 1) -> dict[str, int]:
    """A ``GetAccountSummary`` map with the root-related entries."""
    return {
        "AccountAccessKeysPresent": keys,
        "AccountMFAEnabled": mfa,
        "AccountPasswordPresent": password,
        "Users": 0,
    }


def vmfa(
    name: str, *, user_arn: str | None = None, user_name: str | None = None
) -> VirtualMfaDevice:
    """A virtual MFA device ``arn:aws:iam::ACCOUNT:mfa/NAME``, assigned when a user is given."""
    return VirtualMfaDevice(
        serial_number=f"arn:{PARTITION}:iam::{ACCOUNT}:mfa/{name}",
        user_arn=user_arn,
        user_name=user_name,
        enable_date=ago(100) if user_arn else None,
    )


def server_cert(name: str, *, expires_in_days: float) -> ServerCertificate:
    """A server certificate expiring ``expires_in_days`` after ``NOW`` (negative: expired)."""
    return ServerCertificate(
        name=name,
        arn=arn("server-certificate", name),
        certificate_id=f"ASCA{name.upper()[:12]}",
        path="/",
        expiration=NOW + timedelta(days=expires_in_days),
        upload_date=ago(300),
    )


def analyzer(
    region: str, *, name: str = "external", kind: str = "ACCOUNT", status: str = "ACTIVE"
) -> Analyzer:
    """An Access Analyzer analyzer."""
    return Analyzer(
        name=name,
        arn=f"arn:{PARTITION}:access-analyzer:{region}:{ACCOUNT}:analyzer/{name}",
        type=kind,
        status=status,
        region=region,
    )


def access_analyzer(regions: Iterable[str], *analyzers: Analyzer) -> AccessAnalyzerState:
    """Access Analyzer state: the enabled ``regions`` and the analyzers found in them."""
    return AccessAnalyzerState(regions=tuple(regions), analyzers=analyzers)


def analyzer_gap(region: str) -> Gap:
    """``ListAnalyzers`` refused in ``region``: the one regional gap a snapshot can hold."""
    return Gap(
        source=Source.ACCESS_ANALYZER,
        operation="access-analyzer:ListAnalyzers",
        error="AccessDeniedException",
        message="not authorized",
        region=region,
    )


def saml(name: str) -> SamlProvider:
    """A SAML identity provider."""
    return SamlProvider(arn=arn("saml-provider", name))


def oidc(host: str) -> OidcProvider:
    """An OIDC identity provider for issuer ``host``."""
    return OidcProvider(arn=arn("oidc-provider", host))


# --- snapshots and running checks --------------------------------------------------------


def snapshot(
    *,
    gaps: Iterable[Gap] = (),
    sources: Iterable[Source] | None = None,
    **parts: Any,
) -> Snapshot:
    """A snapshot at ``NOW`` of the given parts, each marked collected.

    ``credential_report`` may be a list of rows; ``authorization`` may be omitted in favour
    of ``users`` / ``groups`` / ``roles`` / ``policies`` lists.
    """
    if isinstance(parts.get("credential_report"), (list, tuple)):
        parts["credential_report"] = credential_report(*parts["credential_report"])
    entity_keys = ("users", "groups", "roles", "policies")
    if any(k in parts for k in entity_keys):
        parts["authorization"] = details(**{k: parts.pop(k) for k in entity_keys if k in parts})
    unknown = set(parts) - set(_PART_SOURCES)
    if unknown:
        raise TypeError(f"unknown snapshot parts: {sorted(unknown)}")
    collected = (
        frozenset(sources)
        if sources is not None
        else frozenset(_PART_SOURCES[name] for name in parts)
    )
    return Snapshot(
        account_id=ACCOUNT,
        partition=PARTITION,
        collected_at=NOW,
        sources=collected,
        gaps=tuple(gaps),
        **parts,
    )


def run_check(check_id: str, snap: Snapshot, **thresholds: int) -> list[Result]:
    """Run one registered check on ``snap``, with ``thresholds`` overriding the defaults."""
    found = get_check(check_id)
    if found is None:
        raise KeyError(f"no check {check_id} is registered")
    ctx = CheckContext(thresholds=Thresholds(**thresholds))
    return list(found.run(snap, ctx))


def only(results: list[Result]) -> Result:
    """The single result of a check that judged one resource."""
    assert len(results) == 1, f"expected one result, got {len(results)}: {results}"
    return results[0]


def by_name(results: list[Result]) -> dict[str, Result]:
    """Results keyed by resource name (for checks giving one result per resource)."""
    out: dict[str, Result] = {}
    for r in results:
        assert r.resource_name not in out, f"two results for {r.resource_name}"
        out[r.resource_name] = r
    return out


def statuses(results: list[Result]) -> dict[tuple[str, str], Status]:
    """``{(resource_name, qualifier): status}`` for checks with several results a resource."""
    return {(r.resource_name, r.qualifier): r.status for r in results}


def record_trust_reads(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Every trust document ``auditor.policy.trust`` parses from now on, in order."""
    reads: list[object] = []

    def counting(doc: object) -> Policy:
        reads.append(doc)
        return parse_policy(doc)

    monkeypatch.setattr(trust_module, "parse_policy", counting)
    return reads


# --- arbitrary trust documents -----------------------------------------------------------

_GITHUB = "token.actions.githubusercontent.com"
_TRUST_KEYS = st.sampled_from(
    [
        "Statement",
        "Effect",
        "Action",
        "NotAction",
        "Principal",
        "NotPrincipal",
        "Condition",
        "AWS",
        "Service",
        "Federated",
        "StringEquals",
        "StringLikeIfExists",
        "ForAllValues:StringLike",
        "sts:ExternalId",
        f"{_GITHUB}:sub",
        "x",
    ]
)
_TRUST_LEAVES = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.sampled_from(
        [
            "Allow",
            "Deny",
            "*",
            "sts:AssumeRole",
            "sts:AssumeRoleWith*",
            "444455556666",
            ACCOUNT,
            "arn:aws:iam::*:root",
            "AROAEXAMPLEEXAMPLE1234",
            arn("oidc-provider", _GITHUB),
            "cognito-identity.amazonaws.com",
            "repo:*",
            "system:serviceaccount:*",
            "organization:a:*",
            "org/o/project/*",
        ]
    )
    | st.text(max_size=8)
)
# Any JSON made of trust-policy words, wrong types in every place: nothing may raise on it.
TRUST_JSON = st.recursive(
    _TRUST_LEAVES,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(_TRUST_KEYS, children, max_size=5)
    ),
    max_leaves=30,
)
