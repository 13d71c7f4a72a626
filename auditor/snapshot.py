"""The typed, immutable picture of one account that every check reads, and its JSON form.

Checks see nothing but a ``Snapshot``, so a saved one re-audits to the same findings
offline. Every datetime in it is timezone-aware UTC: the collectors and the JSON decoder
(which takes a naive time as UTC) make it so, and the checks rely on it. The codec is
driven by the dataclasses' type hints, so a new field needs no serialisation code.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache, cached_property
from typing import Any, TypeVar

from auditor.errors import AuditorError
from auditor.model import Gap, Source

SNAPSHOT_FORMAT = 1

# IAM policy documents are JSON objects of arbitrary shape; the policy engine normalises them.
PolicyDocument = Mapping[str, Any]


# --- credential report -------------------------------------------------------------------


@dataclass(frozen=True)
class AccessKeyState:
    """One of a user's two access-key slots, as the credential report describes it."""

    slot: int
    active: bool
    last_rotated: datetime | None
    last_used: datetime | None
    last_used_region: str | None = None
    last_used_service: str | None = None


@dataclass(frozen=True)
class SigningCertState:
    """One of a user's two X.509 signing-certificate slots."""

    slot: int
    active: bool
    last_rotated: datetime | None


@dataclass(frozen=True)
class CredentialRow:
    """One row of the credential report; ``is_root`` for the ``<root_account>`` row.

    ``password_enabled`` is None where AWS writes ``not_supported`` (the root row).
    ``problems`` lists cells that could not be parsed; checks report ERROR for this user
    rather than guess.
    """

    user: str
    arn: str
    user_creation_time: datetime | None
    password_enabled: bool | None
    password_last_used: datetime | None
    password_last_changed: datetime | None
    password_next_rotation: datetime | None
    mfa_active: bool
    access_keys: tuple[AccessKeyState, ...]
    signing_certs: tuple[SigningCertState, ...]
    is_root: bool = False
    problems: tuple[str, ...] = ()

    @property
    def active_keys(self) -> tuple[AccessKeyState, ...]:
        """The access keys that can be used now."""
        return tuple(k for k in self.access_keys if k.active)


@dataclass(frozen=True)
class CredentialReport:
    """The parsed credential report and when AWS generated it.

    ``ignored_columns`` names header columns the parser does not know (AWS added one, or
    the report is not quite AWS's); they are skipped, and the report notes them.
    """

    generated_at: datetime | None
    rows: tuple[CredentialRow, ...]
    ignored_columns: tuple[str, ...] = ()

    @property
    def root(self) -> CredentialRow | None:
        """The ``<root_account>`` row, absent in some emulators."""
        return next((r for r in self.rows if r.is_root), None)

    @property
    def users(self) -> tuple[CredentialRow, ...]:
        """Every IAM user's row (root excluded)."""
        return tuple(r for r in self.rows if not r.is_root)


# --- GetAccountAuthorizationDetails ------------------------------------------------------


@dataclass(frozen=True)
class InlinePolicy:
    """A policy embedded in a user, group or role."""

    name: str
    document: PolicyDocument


@dataclass(frozen=True)
class AttachedPolicy:
    """A managed policy attached to a user, group or role (by ARN)."""

    name: str
    arn: str


@dataclass(frozen=True)
class User:
    """An IAM user with its directly held and group-inherited policy references."""

    name: str
    arn: str
    user_id: str
    path: str
    create_date: datetime | None
    inline_policies: tuple[InlinePolicy, ...] = ()
    attached_policies: tuple[AttachedPolicy, ...] = ()
    groups: tuple[str, ...] = ()
    permissions_boundary_arn: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Group:
    """An IAM group and its policies."""

    name: str
    arn: str
    group_id: str
    path: str
    create_date: datetime | None
    inline_policies: tuple[InlinePolicy, ...] = ()
    attached_policies: tuple[AttachedPolicy, ...] = ()


@dataclass(frozen=True)
class Role:
    """An IAM role, its trust policy, its policies and when it was last used."""

    name: str
    arn: str
    role_id: str
    path: str
    create_date: datetime | None
    trust_policy: PolicyDocument
    inline_policies: tuple[InlinePolicy, ...] = ()
    attached_policies: tuple[AttachedPolicy, ...] = ()
    last_used: datetime | None = None
    last_used_region: str | None = None
    permissions_boundary_arn: str | None = None
    description: str = ""
    tags: Mapping[str, str] = field(default_factory=dict)

    @property
    def service_linked(self) -> bool:
        """Service-linked roles' trust cannot be edited, so trust checks skip them."""
        return self.path.startswith("/aws-service-role/")


@dataclass(frozen=True)
class ManagedPolicy:
    """A managed policy (AWS or customer) with its default version's document."""

    name: str
    arn: str
    policy_id: str
    path: str
    default_version_id: str
    document: PolicyDocument
    attachment_count: int
    permissions_boundary_usage_count: int = 0
    is_attachable: bool = True
    create_date: datetime | None = None
    update_date: datetime | None = None

    @property
    def aws_managed(self) -> bool:
        """AWS-owned policies live under the ``aws`` account in every partition."""
        return ":iam::aws:policy/" in self.arn


@dataclass(frozen=True)
class AuthorizationDetails:
    """Everything ``GetAccountAuthorizationDetails`` returned, across all its pages."""

    users: tuple[User, ...] = ()
    groups: tuple[Group, ...] = ()
    roles: tuple[Role, ...] = ()
    policies: tuple[ManagedPolicy, ...] = ()

    def policy(self, arn: str) -> ManagedPolicy | None:
        """Look a managed policy up by ARN (None if it was not returned)."""
        return self._policies_by_arn.get(arn)

    def group(self, name: str) -> Group | None:
        """Look a group up by name."""
        return self._groups_by_name.get(name)

    # cached_property writes to the instance __dict__ directly, so it works on a frozen
    # dataclass; the indexes make per-principal lookups O(1) on accounts of thousands.
    @cached_property
    def _policies_by_arn(self) -> dict[str, ManagedPolicy]:
        return {p.arn: p for p in self.policies}

    @cached_property
    def _groups_by_name(self) -> dict[str, Group]:
        return {g.name: g for g in self.groups}


# --- account-level calls -----------------------------------------------------------------


@dataclass(frozen=True)
class PasswordPolicy:
    """``GetAccountPasswordPolicy``'s answer; absent fields are AWS's defaults."""

    minimum_password_length: int = 8
    require_symbols: bool = False
    require_numbers: bool = False
    require_uppercase_characters: bool = False
    require_lowercase_characters: bool = False
    allow_users_to_change_password: bool = False
    expire_passwords: bool = False
    max_password_age: int | None = None
    password_reuse_prevention: int | None = None
    hard_expiry: bool = False


@dataclass(frozen=True)
class VirtualMfaDevice:
    """A virtual MFA device; ``user_arn`` is set when it is assigned (root: ``…:root``)."""

    serial_number: str
    user_arn: str | None
    user_name: str | None
    enable_date: datetime | None


@dataclass(frozen=True)
class ServerCertificate:
    """A server certificate stored in IAM."""

    name: str
    arn: str
    certificate_id: str
    path: str
    expiration: datetime | None
    upload_date: datetime | None


@dataclass(frozen=True)
class SamlProvider:
    """An IAM SAML identity provider."""

    arn: str
    valid_until: datetime | None = None
    create_date: datetime | None = None


@dataclass(frozen=True)
class OidcProvider:
    """An IAM OpenID Connect identity provider (``ListOpenIDConnectProviders`` gives ARNs)."""

    arn: str

    @property
    def host(self) -> str:
        """``token.actions.githubusercontent.com`` from ``…:oidc-provider/token.actions…``."""
        return self.arn.split(":oidc-provider/", 1)[-1]


@dataclass(frozen=True)
class Analyzer:
    """An IAM Access Analyzer analyzer in one region."""

    name: str
    arn: str
    type: str
    status: str
    region: str


@dataclass(frozen=True)
class AccessAnalyzerState:
    """Analyzers per enabled region; regions whose call failed appear in the snapshot's gaps."""

    regions: tuple[str, ...]
    analyzers: tuple[Analyzer, ...] = ()


# --- the snapshot ------------------------------------------------------------------------


@dataclass(frozen=True)
class Snapshot:
    """One account, collected once. ``None`` parts were not collected or failed (see gaps).

    ``sources`` lists what was collected successfully; ``gaps`` what failed and why;
    ``api_calls`` counts calls by operation (for the benchmark and call-count tests).
    A missing password policy is ``password_policy=None`` with ``PASSWORD_POLICY`` in
    ``sources``: collected, and there is none. Every datetime is UTC-aware.
    """

    account_id: str
    partition: str
    collected_at: datetime
    sources: frozenset[Source] = frozenset()
    gaps: tuple[Gap, ...] = ()
    credential_report: CredentialReport | None = None
    authorization: AuthorizationDetails | None = None
    account_summary: Mapping[str, int] | None = None
    password_policy: PasswordPolicy | None = None
    virtual_mfa_devices: tuple[VirtualMfaDevice, ...] | None = None
    server_certificates: tuple[ServerCertificate, ...] | None = None
    saml_providers: tuple[SamlProvider, ...] | None = None
    oidc_providers: tuple[OidcProvider, ...] | None = None
    access_analyzer: AccessAnalyzerState | None = None
    api_calls: Mapping[str, int] = field(default_factory=dict)
    # ACTIVE member accounts of the AWS Organization (``organizations:ListAccounts``);
    # None when not collected or when the call failed (then a gap says why).
    organization_account_ids: frozenset[str] | None = None

    def __post_init__(self) -> None:
        # Ages are differences from collected_at: a naive one would not mix with aware parts.
        if self.collected_at.tzinfo is None:
            raise ValueError("Snapshot.collected_at must be timezone-aware (UTC)")

    @property
    def root_arn(self) -> str:
        """The account root ARN, the resource of account-level findings."""
        return f"arn:{self.partition}:iam::{self.account_id}:root"

    def has(self, source: Source) -> bool:
        """True when ``source`` was collected successfully."""
        return source in self.sources

    def gap(self, source: Source) -> Gap | None:
        """The account-wide gap for ``source``, if its call failed."""
        return next((g for g in self.gaps if g.source is source and g.region is None), None)


# --- JSON codec --------------------------------------------------------------------------

T = TypeVar("T")


def to_jsonable(value: Any) -> Any:  # noqa: PLR0911 (one branch per JSON kind)
    """Dataclasses, enums, datetimes, tuples and sets to plain JSON values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (frozenset, set)):
        return sorted(to_jsonable(v) for v in value)
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    return value


def from_jsonable(tp: Any, value: Any) -> Any:  # noqa: PLR0911 (one branch per type kind)
    """Rebuild a value of type ``tp`` from ``to_jsonable``'s output."""
    if tp is Any:
        return value
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        if value is None:
            return None
        inner = [a for a in args if a is not type(None)]
        return from_jsonable(inner[0], value)
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        hints = _hints(tp)
        kwargs = {
            f.name: from_jsonable(hints[f.name], value[f.name])
            for f in dataclasses.fields(tp)
            if f.name in value
        }
        return tp(**kwargs)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return tp(value)
    if tp is datetime:
        return _utc(datetime.fromisoformat(value))
    if origin is tuple:
        item = args[0] if args else Any
        return tuple(from_jsonable(item, v) for v in value)
    if origin is frozenset:
        return frozenset(from_jsonable(args[0], v) for v in value)
    if origin in (Mapping, dict) or tp is dict:
        vt = args[1] if len(args) == 2 else Any
        return {k: from_jsonable(vt, v) for k, v in value.items()}
    return value


def _utc(value: datetime) -> datetime:
    """``value`` in UTC; a naive time (a hand-written or another tool's file) is UTC already."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@cache
def _hints(tp: type) -> dict[str, Any]:
    return typing.get_type_hints(tp)


def dumps(snapshot: Snapshot) -> str:
    """The snapshot as JSON text, with a format marker for future migrations."""
    payload = {"snapshot_format": SNAPSHOT_FORMAT, "snapshot": to_jsonable(snapshot)}
    return json.dumps(payload, indent=1, sort_keys=True)


class SnapshotError(AuditorError, ValueError):
    """A snapshot file that cannot be read back."""


def loads(text: str) -> Snapshot:
    """Parse ``dumps``' output; ``SnapshotError`` says what is wrong with the file."""
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SnapshotError(f"not JSON: {exc}") from exc
    if not isinstance(payload, dict) or payload.get("snapshot_format") != SNAPSHOT_FORMAT:
        raise SnapshotError(f"not an iam-auditor snapshot of format {SNAPSHOT_FORMAT}")
    try:
        snap = from_jsonable(Snapshot, payload["snapshot"])
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise SnapshotError(f"malformed snapshot: {exc!r}") from exc
    if not isinstance(snap, Snapshot):
        raise SnapshotError("malformed snapshot: not a snapshot object")
    return snap
