"""Shape moto's in-process IAM backend where the AWS API cannot: dates, root state, scale.

moto creates everything "now", has no root user, dates every server certificate 2012 and
takes a minute to create thousands of users over HTTP. These helpers (but the two that
enable MFA through boto3, shared by the demo and the tests) change its objects in
this process (also that of a test's ``ThreadedMotoServer``); each change is tied to one
backend instance, which ``mock_aws()`` and ``POST /moto-api/reset`` replace. Dates are
naive UTC, as moto stores them.
"""

# moto and cryptography (a moto dependency) are optional extras: import them where used.
# ruff: noqa: PLC0415
from __future__ import annotations

import csv
import io
import json
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from types import TracebackType
from typing import Any

DEFAULT_ACCOUNT_ID = "123456789012"
"""The account moto serves when credentials do not name another one."""

# The credential report's date format, as AWS and moto write it.
_CSV_DATE = "%Y-%m-%dT%H:%M:%S+00:00"
_ROOT_PATCH_ATTR = "_iam_auditor_root_patch"
_REAL_CERT_DATES_ATTR = "_iam_auditor_real_certificate_dates"
_ROOT_MFA_SERIAL = "/root-account-mfa-device"


def iam_backend(account_id: str = DEFAULT_ACCOUNT_ID) -> Any:
    """moto's IAM backend object for ``account_id`` (IAM is global: one per account).

    Look it up again after every ``mock_aws()`` start or server reset: both replace it.
    """
    from moto.iam.models import iam_backends

    return iam_backends[account_id]["global"]


def utc_days_ago(days: float) -> datetime:
    """A naive UTC datetime ``days`` before now (moto's own clock, so freezegun applies)."""
    return datetime.now(UTC).replace(tzinfo=None) - timedelta(days=days)


# --- dates ---------------------------------------------------------------------------------


# These read moto's in-process objects, not the IAM API: named apart from boto3's
# get_user / get_role so a search for per-entity API calls in the auditor finds none here.
def _moto_user(account_id: str, name: str) -> Any:
    user = iam_backend(account_id).users.get(name)
    if user is None:
        raise KeyError(f"no IAM user {name!r} in moto account {account_id}")
    return user


def _moto_role(account_id: str, name: str) -> Any:
    for role in iam_backend(account_id).roles.values():
        if role.name == name:
            return role
    raise KeyError(f"no IAM role {name!r} in moto account {account_id}")


def backdate_user(
    name: str, *, created_days_ago: float, account_id: str = DEFAULT_ACCOUNT_ID
) -> None:
    """Make user ``name`` older.

    moto writes the user's creation time as ``password_last_changed`` too, so this also
    ages a console password that was never changed.
    """
    _moto_user(account_id, name).create_date = utc_days_ago(created_days_ago)


def backdate_access_key(
    user: str,
    slot_or_key_id: int | str,
    *,
    created_days_ago: float | None = None,
    last_used_days_ago: float | None = None,
    last_used_service: str = "s3",
    last_used_region: str = "us-east-1",
    account_id: str = DEFAULT_ACCOUNT_ID,
) -> str:
    """Set when a key was created (``last_rotated``) and last used; returns the key id.

    ``slot_or_key_id`` is the credential report's slot (1 or 2, in creation order) or the
    access key id. ``created_days_ago=None`` leaves the creation date alone;
    ``last_used_days_ago=None`` makes the key never used (the report shows ``N/A``).
    """
    from moto.iam.models import AccessKeyLastUsed

    key = _access_key(_moto_user(account_id, user), slot_or_key_id)
    if created_days_ago is not None:
        key.create_date = utc_days_ago(created_days_ago)
    key.last_used = (
        None
        if last_used_days_ago is None
        else AccessKeyLastUsed(
            timestamp=utc_days_ago(last_used_days_ago),
            service=last_used_service,
            region=last_used_region,
        )
    )
    return str(key.access_key_id)


def _access_key(user: Any, slot_or_key_id: int | str) -> Any:
    keys = list(user.access_keys)
    if isinstance(slot_or_key_id, int):
        if not 1 <= slot_or_key_id <= len(keys):
            raise ValueError(
                f"user {user.name} has {len(keys)} access key(s); no slot {slot_or_key_id}"
            )
        return keys[slot_or_key_id - 1]
    for key in keys:
        if key.access_key_id == slot_or_key_id:
            return key
    raise ValueError(f"user {user.name} has no access key {slot_or_key_id}")


def backdate_password(
    user: str, *, last_used_days_ago: float | None, account_id: str = DEFAULT_ACCOUNT_ID
) -> None:
    """Set when the user's console password was last used (``None``: never).

    The user must have a login profile; moto silently reports ``not_supported`` for the
    last use of a user without one, which would hide a mistake in the test.
    ``password_last_changed`` follows the user's creation time (see ``backdate_user``).
    """
    obj = _moto_user(account_id, user)
    if not obj.password:
        raise ValueError(f"user {user} has no console password (create a login profile)")
    obj.password_last_used = (
        None if last_used_days_ago is None else utc_days_ago(last_used_days_ago)
    )


def backdate_role(
    name: str,
    *,
    created_days_ago: float | None = None,
    last_used_days_ago: float | None = None,
    last_used_region: str = "us-east-1",
    account_id: str = DEFAULT_ACCOUNT_ID,
) -> None:
    """Set a role's creation date (``None``: unchanged) and ``RoleLastUsed`` (``None``: never)."""
    role = _moto_role(account_id, name)
    if created_days_ago is not None:
        role.create_date = utc_days_ago(created_days_ago)
    if last_used_days_ago is None:
        role.last_used = None
        role.last_used_region = None
    else:
        role.last_used = utc_days_ago(last_used_days_ago)
        role.last_used_region = last_used_region


# --- MFA through the API ------------------------------------------------------------------


def enable_mfa(iam: Any, user: str, serial: str) -> None:
    """Enable MFA device ``serial`` for ``user`` with boto3 (moto accepts any two codes)."""
    iam.enable_mfa_device(
        UserName=user,
        SerialNumber=serial,
        AuthenticationCode1="123456",
        AuthenticationCode2="654321",
    )


def add_virtual_mfa(iam: Any, user: str, *, device_name: str | None = None) -> str:
    """Create a virtual MFA device (named after ``user`` unless told), enable it for
    ``user`` with boto3, and return its serial number."""
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName=device_name or user)
    serial = str(device["VirtualMFADevice"]["SerialNumber"])
    enable_mfa(iam, user, serial)
    return serial


# --- root ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RootState:
    """What the account's root user looks like; ``set_root_state`` makes moto say it.

    Dates are fixed when the state is applied, like every other backdated date.
    """

    access_keys_present: bool
    mfa_enabled: bool
    password_present: bool = True
    access_key_active: bool = True
    root_key_created_days_ago: float = 400
    root_key_last_used_days_ago: float | None = None
    password_last_used_days_ago: float | None = None
    account_created_days_ago: float = 1000
    signing_certificate_active: bool = False
    virtual_mfa: bool = False

    def summary_values(self) -> dict[str, int]:
        """The ``GetAccountSummary`` keys that describe root, as AWS reports them (0/1)."""
        return {
            "AccountAccessKeysPresent": int(self.access_keys_present),
            "AccountMFAEnabled": int(self.mfa_enabled),
            "AccountPasswordPresent": int(self.password_present),
            "AccountSigningCertificatesPresent": int(self.signing_certificate_active),
        }

    def credential_report_row(self, account_id: str, partition: str = "aws") -> str:
        """The ``<root_account>`` line of the credential report (22 columns, newline)."""

        def date(days: float) -> str:
            return utc_days_ago(days).strftime(_CSV_DATE)

        created = date(self.account_created_days_ago)
        if not self.password_present:
            console_last_used = "N/A"
        elif self.password_last_used_days_ago is None:
            console_last_used = "no_information"
        else:
            console_last_used = date(self.password_last_used_days_ago)
        if self.access_keys_present:
            key1 = [
                "true" if self.access_key_active else "false",
                date(self.root_key_created_days_ago),
            ]
            if self.root_key_last_used_days_ago is None:
                key1 += ["N/A", "N/A", "N/A"]
            else:
                key1 += [date(self.root_key_last_used_days_ago), "us-east-1", "iam"]
        else:
            key1 = ["false", "N/A", "N/A", "N/A", "N/A"]
        cert1 = ["true", created] if self.signing_certificate_active else ["false", "N/A"]
        fields = [
            "<root_account>",
            f"arn:{partition}:iam::{account_id}:root",
            created,
            "not_supported",  # AWS never says whether root has a password here
            console_last_used,
            "not_supported",
            "not_supported",
            "true" if self.mfa_enabled else "false",
            *key1,
            "false",
            "N/A",
            "N/A",
            "N/A",
            "N/A",
            *cert1,
            "false",
            "N/A",
        ]
        return ",".join(fields) + "\n"


class _SummaryWithRoot:
    """moto's ``AccountSummary`` with root's keys replaced; everything else delegates."""

    def __init__(self, original: Any, values: dict[str, int]) -> None:
        self._original = original
        self._values = values

    def __getattr__(self, name: str) -> Any:
        # moto reads quotas off the summary object elsewhere; keep them answering.
        return getattr(self._original, name)

    @property
    def summary_map(self) -> dict[str, Any]:
        return {**self._original.summary_map, **self._values}


@dataclass(frozen=True)
class _RootDevicePrincipal:
    """The ``User`` of root's virtual MFA device, as ListVirtualMFADevices shows it."""

    id: str
    arn: str
    create_date: datetime
    name: str = "<root_account>"
    path: str = "/"


class RootStatePatch:
    """An applied ``RootState``; ``undo()`` (or leaving its ``with`` block) removes it.

    Undoing after the backend was reset is a harmless no-op: the reset already discarded
    the patch together with the backend instance it was tied to.
    """

    def __init__(self, backend: Any, state: RootState) -> None:
        self.backend = backend
        self.state = state
        self._original_summary = backend.account_summary
        self._summary = _SummaryWithRoot(self._original_summary, state.summary_values())
        original_report: Callable[[], str] = backend.get_credential_report
        row = state.credential_report_row(backend.account_id, backend.partition)

        def report_with_root() -> str:
            # AWS lists root first, right below the header.
            header, _, rows = original_report().partition("\n")
            return f"{header}\n{row}{rows}"

        self._report = report_with_root
        self._mfa_serial: str | None = None

    def _apply(self) -> None:
        backend = self.backend
        backend.account_summary = self._summary
        # An instance attribute shadows the class method for this backend only.
        backend.get_credential_report = self._report
        if self.state.mfa_enabled and self.state.virtual_mfa:
            self._mfa_serial = _add_root_virtual_mfa(backend)
        setattr(backend, _ROOT_PATCH_ATTR, self)

    def undo(self) -> None:
        """Give root back moto's defaults (no row, zeros), unless a reset already did."""
        backend = self.backend
        if getattr(backend, _ROOT_PATCH_ATTR, None) is not self:
            return
        backend.account_summary = self._original_summary
        if backend.__dict__.get("get_credential_report") is self._report:
            del backend.__dict__["get_credential_report"]
        if self._mfa_serial is not None:
            backend.virtual_mfa_devices.pop(self._mfa_serial, None)
        delattr(backend, _ROOT_PATCH_ATTR)

    def __enter__(self) -> RootStatePatch:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.undo()


def _add_root_virtual_mfa(backend: Any) -> str:
    from moto.iam.models import VirtualMfaDevice

    device: Any = VirtualMfaDevice(backend.account_id, "us-east-1", _ROOT_MFA_SERIAL)
    device.enable_date = utc_days_ago(30)
    device.user = _RootDevicePrincipal(
        id=backend.account_id,
        arn=f"arn:{backend.partition}:iam::{backend.account_id}:root",
        create_date=utc_days_ago(1000),
    )
    backend.virtual_mfa_devices[device.serial_number] = device
    return str(device.serial_number)


def set_root_state(
    *,
    access_keys_present: bool,
    mfa_enabled: bool,
    password_present: bool = True,
    access_key_active: bool = True,
    root_key_created_days_ago: float = 400,
    root_key_last_used_days_ago: float | None = None,
    password_last_used_days_ago: float | None = None,
    account_created_days_ago: float = 1000,
    signing_certificate_active: bool = False,
    virtual_mfa: bool = False,
    account_id: str = DEFAULT_ACCOUNT_ID,
) -> RootStatePatch:
    """Give the account a root user: ``GetAccountSummary`` and the credential report agree.

    The summary reports ``AccountAccessKeysPresent``, ``AccountMFAEnabled``,
    ``AccountPasswordPresent`` and ``AccountSigningCertificatesPresent``; the credential
    report gains a ``<root_account>`` row (first, as in AWS). With ``virtual_mfa`` (and
    ``mfa_enabled``) ``ListVirtualMFADevices`` also lists root's
    ``…:mfa/root-account-mfa-device``. A second call replaces the first. Returns the
    patch; use it as a context manager or call ``undo()`` to scope it tighter than the
    backend's lifetime.
    """
    backend = iam_backend(account_id)
    previous = getattr(backend, _ROOT_PATCH_ATTR, None)
    if previous is not None:
        previous.undo()
    state = RootState(
        access_keys_present=access_keys_present,
        mfa_enabled=mfa_enabled,
        password_present=password_present,
        access_key_active=access_key_active,
        root_key_created_days_ago=root_key_created_days_ago,
        root_key_last_used_days_ago=root_key_last_used_days_ago,
        password_last_used_days_ago=password_last_used_days_ago,
        account_created_days_ago=account_created_days_ago,
        signing_certificate_active=signing_certificate_active,
        virtual_mfa=virtual_mfa,
    )
    patch = RootStatePatch(backend, state)
    patch._apply()
    return patch


# --- AWS managed policies ------------------------------------------------------------------


@cache
def _aws_managed_policy_data() -> dict[str, Any]:
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    data: dict[str, Any] = json.loads(aws_managed_policies_data)
    return data


def add_aws_managed_policies(*names: str, account_id: str = DEFAULT_ACCOUNT_ID) -> list[str]:
    """Make the named AWS managed policies exist, with their real documents; return ARNs.

    ``MOTO_IAM_LOAD_MANAGED_POLICIES=true`` loads all ~1,600 of them (slow, and they all
    appear in ``GetAccountAuthorizationDetails``); this adds just the ones a story needs,
    under their real ``arn:aws:iam::aws:policy/…`` ARNs, from moto's bundled copy.
    """
    from moto.iam.models import AWSManagedPolicy

    backend = iam_backend(account_id)
    data = _aws_managed_policy_data()
    arns = []
    for name in names:
        if name not in data:
            raise ValueError(f"{name} is not an AWS managed policy moto knows")
        policy = AWSManagedPolicy.from_data(name, account_id, backend.region_name, data[name])
        if policy.arn not in backend.managed_policies:
            backend.aws_managed_policies.append(policy)
            backend.managed_policies[policy.arn] = policy
        arns.append(str(policy.arn))
    return arns


# --- server certificates -------------------------------------------------------------------


def make_server_certificate(
    common_name: str, *, issued_days_ago: float, expires_in_days: float
) -> tuple[str, str]:
    """A self-signed certificate and its private key, both PEM; negative days: expired."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=issued_days_ago))
        .not_valid_after(now + timedelta(days=expires_in_days))
        .sign(key, hashes.SHA256())
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM).decode("ascii")
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")
    return cert_pem, key_pem


def use_real_certificate_dates(account_id: str = DEFAULT_ACCOUNT_ID) -> None:
    """Make this backend report each server certificate's own validity dates and id.

    moto answers ``Expiration: 2012-05-08`` and one fixed ``ServerCertificateId`` for every
    certificate. After this call, ``ListServerCertificates`` and ``GetServerCertificate``
    report the uploaded certificate's ``notAfter`` as ``Expiration``, its ``notBefore``
    as ``UploadDate`` and moto's real id. The switch lives on the backend instance (a
    reset turns it off); the response hook it needs is inert for every other backend.
    """
    _install_certificate_response_hook()
    setattr(iam_backend(account_id), _REAL_CERT_DATES_ATTR, True)


_HOOK_LOCK = threading.Lock()


def _install_certificate_response_hook() -> None:
    from moto.iam import responses

    # Typed as Any: this replaces methods on moto's class, which mypy rightly dislikes.
    response_cls: Any = responses.IamResponse
    with _HOOK_LOCK:
        if getattr(response_cls, "_iam_auditor_certificate_hook", False):
            return
        original_list = response_cls.list_server_certificates
        original_get = response_cls.get_server_certificate

        def list_server_certificates(self: Any) -> Any:
            result = original_list(self)
            if getattr(self.backend, _REAL_CERT_DATES_ATTR, False):
                for meta in result.result["ServerCertificateMetadataList"]:
                    _fix_certificate_metadata(self.backend, meta)
            return result

        def get_server_certificate(self: Any) -> Any:
            result = original_get(self)
            if getattr(self.backend, _REAL_CERT_DATES_ATTR, False):
                meta = result.result["ServerCertificate"]["ServerCertificateMetadata"]
                _fix_certificate_metadata(self.backend, meta)
            return result

        response_cls.list_server_certificates = list_server_certificates
        response_cls.get_server_certificate = get_server_certificate
        response_cls._iam_auditor_certificate_hook = True


def _fix_certificate_metadata(backend: Any, meta: dict[str, Any]) -> None:
    from cryptography import x509

    for cert_id, cert in backend.certificates.items():
        if cert.arn != meta["Arn"]:
            continue
        meta["ServerCertificateId"] = cert_id
        try:
            parsed = x509.load_pem_x509_certificate(cert.cert_body.encode("ascii"))
        except ValueError:
            return  # not a certificate moto could have parsed either: keep its dates
        meta["Expiration"] = parsed.not_valid_after_utc.replace(tzinfo=None)
        meta["UploadDate"] = parsed.not_valid_before_utc.replace(tzinfo=None)
        return


# --- large accounts ------------------------------------------------------------------------

_NARROW_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:ListBucket"],
                "Resource": ["arn:aws:s3:::example-reports", "arn:aws:s3:::example-reports/*"],
            }
        ],
    }
)
_INLINE_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"}],
    }
)


def _trust(principal: dict[str, str]) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}],
        }
    )


_ROLE_TRUSTS = (
    _trust({"Service": "lambda.amazonaws.com"}),
    _trust({"Service": "ec2.amazonaws.com"}),
    _trust({"AWS": "arn:aws:iam::111122223333:root"}),
)


@dataclass(frozen=True)
class BulkAccount:
    """What ``bulk_create`` made (counts), so a test can compare the audit against it."""

    account_id: str
    users: int
    roles: int
    groups: int
    access_keys: int
    console_users: int
    mfa_users: int
    inline_policies: int
    virtual_mfa_devices: int = 0


def _enable_mfa(backend: Any, user_name: str, *, virtual: bool) -> None:
    if virtual:
        # Through the backend, which links the device to its user as EnableMFADevice
        # does; enabling it on the user object alone would leave the device unassigned.
        device = backend.create_virtual_mfa_device(user_name, "/")
        backend.enable_mfa_device(user_name, device.serial_number, "1", "2")
    else:
        serial = f"arn:{backend.partition}:iam::{backend.account_id}:mfa/{user_name}"
        backend.users[user_name].enable_mfa_device(serial, "1", "2")


def bulk_create(
    account_id: str = DEFAULT_ACCOUNT_ID,
    *,
    users: int,
    roles: int,
    keys_per_user: int = 1,
    groups: int | None = None,
    console_fraction: float = 0.3,
    mfa_fraction: float = 0.6,
    inline_policy_fraction: float = 0.1,
    seed: int = 0,
    prefix: str = "bulk",
    virtual_mfa: bool = True,
) -> BulkAccount:
    """Fill the account with a realistic mix of principals, straight in moto's objects.

    Thousands of users in well under a few seconds (boto3 over HTTP needs a minute for
    5,000). Users get random but seeded ages, key ages and last uses; a share have a
    console password (some with MFA) or an inline policy; every user is in one of
    ``groups`` groups (default one per 100 users, at most AWS's 300) that hold a narrow
    customer policy; roles trust Lambda, EC2 or another account and are used or not.
    With ``virtual_mfa`` (the default) each MFA user's device is a real virtual MFA
    device, assigned to the user, so ``ListVirtualMFADevices`` lists as many as there
    are MFA users, as in AWS; without it the users have MFA and the list stays empty.
    """
    from moto.iam.models import AccessKeyLastUsed

    if not 0 <= keys_per_user <= 2:
        raise ValueError("AWS allows 0 to 2 access keys per user")
    # Deterministic, not secret: the same seed must build the same account.
    rng = random.Random(seed)  # noqa: S311
    backend = iam_backend(account_id)
    group_count = min(300, max(1, users // 100)) if groups is None else groups
    policy = backend.create_policy(
        description="Read the reports bucket",
        path="/",
        policy_document=_NARROW_POLICY,
        policy_name=f"{prefix}-read-reports",
        tags=[],
    )
    group_names = [f"{prefix}-group-{i:03d}" for i in range(group_count)]
    group_objs = []
    for name in group_names:
        group = backend.create_group(name, "/")
        policy.attach_to(group)
        group_objs.append(group)

    keys = console = mfa = inline = 0
    for i in range(users):
        name = f"{prefix}-user-{i:05d}"
        user = backend.create_user(region_name="us-east-1", user_name=name)
        user.create_date = utc_days_ago(rng.uniform(1, 1000))
        if group_objs:
            group_objs[i % len(group_objs)].users.append(user)
        if rng.random() < console_fraction:
            console += 1
            user.password = "not-a-real-password"  # noqa: S105 - moto needs a value
            if rng.random() < 0.8:
                user.password_last_used = utc_days_ago(rng.uniform(0, 200))
            if rng.random() < mfa_fraction:
                mfa += 1
                _enable_mfa(backend, name, virtual=virtual_mfa)
        if rng.random() < inline_policy_fraction:
            inline += 1
            user.put_policy(f"{prefix}-inline", _INLINE_POLICY)
        for _ in range(keys_per_user):
            key = backend.create_access_key(name)
            key.create_date = utc_days_ago(rng.uniform(0, 500))
            if rng.random() < 0.7:
                key.last_used = AccessKeyLastUsed(
                    timestamp=utc_days_ago(rng.uniform(0, 150)),
                    service="s3",
                    region="us-east-1",
                )
            keys += 1

    for i in range(roles):
        role = backend.create_role(
            role_name=f"{prefix}-role-{i:05d}",
            assume_role_policy_document=_ROLE_TRUSTS[i % len(_ROLE_TRUSTS)],
            path="/",
            permissions_boundary=None,
            description="",
            tags=[],
            max_session_duration=None,
        )
        policy.attach_to(role)
        role.create_date = utc_days_ago(rng.uniform(1, 800))
        if rng.random() < 0.6:
            role.last_used = utc_days_ago(rng.uniform(0, 300))
            role.last_used_region = "us-east-1"

    return BulkAccount(
        account_id=account_id,
        users=users,
        roles=roles,
        groups=group_count,
        access_keys=keys,
        console_users=console,
        mfa_users=mfa,
        inline_policies=inline,
        virtual_mfa_devices=mfa if virtual_mfa else 0,
    )


def credential_report_rows(text: str) -> list[dict[str, str]]:
    """The credential report CSV as one dict per row, keyed by column name."""
    return list(csv.DictReader(io.StringIO(text)))


# --- Organizations and cross-account roles -------------------------------------------------

ORG_ROLE_NAME = "OrganizationAccountAccessRole"
_DENIED_ROLES_ATTR = "_iam_auditor_denied_roles"


@dataclass(frozen=True)
class OrgMember:
    """A member account ``create_organization`` made: its random id and its name."""

    account_id: str
    name: str


def create_organization(
    *member_names: str,
    management_account_id: str = DEFAULT_ACCOUNT_ID,
    role_name: str = ORG_ROLE_NAME,
) -> list[OrgMember]:
    """An Organization managed by ``management_account_id``, with one new member per name.

    moto gives each member a random 12-digit id and creates ``role_name`` in its own IAM
    (trusting the management account), as AWS does for accounts an Organization creates;
    the management account is listed too, named ``master``. Returns the members in the
    order named. Like every helper here it changes moto's in-process objects, so it works
    for ``mock_aws()`` and for a ``ThreadedMotoServer`` in this process alike.
    """
    from moto.organizations.models import organizations_backends

    backend = organizations_backends[management_account_id]["aws"]
    backend.create_organization(region="us-east-1", FeatureSet="ALL")
    members = []
    for index, name in enumerate(member_names):
        status = backend.create_account(
            AccountName=name, Email=f"member-{index}@example.com", RoleName=role_name
        )
        members.append(OrgMember(str(status["CreateAccountStatus"]["AccountId"]), name))
    return members


def deny_assume_role(
    *role_arns: str,
    caller_account_id: str = DEFAULT_ACCOUNT_ID,
    partition: str = "aws",
) -> None:
    """Make ``sts:AssumeRole`` of each of ``role_arns`` fail with ``AccessDenied`` (403).

    moto lets anyone assume any role, even one that does not exist; AWS refuses a caller
    that the role's trust policy (or the caller's own policy) does not allow. This makes
    the STS backend that answers ``caller_account_id``'s requests refuse those ARNs the way
    AWS does; other ARNs are assumed as before. Calls add up; a reset of moto (or a new
    ``mock_aws()``) forgets them with the backend.
    """
    from moto.core.exceptions import AccessDeniedError
    from moto.sts.models import sts_backends

    backend: Any = sts_backends[caller_account_id][partition]
    denied: set[str] | None = backend.__dict__.get(_DENIED_ROLES_ATTR)
    if denied is None:
        denied = set()
        original: Callable[..., Any] = backend.assume_role
        refused = denied
        caller = f"arn:{partition}:iam::{caller_account_id}:user/iam-auditor"

        def assume_role(**kwargs: Any) -> Any:
            arn = kwargs.get("role_arn")
            if arn in refused:
                # moto's own 403 AccessDenied, worded as AWS words a refused AssumeRole.
                raise AccessDeniedError(caller, f"sts:AssumeRole on resource: {arn}")
            return original(**kwargs)

        # An instance attribute shadows the class method for this backend only.
        backend.assume_role = assume_role
        setattr(backend, _DENIED_ROLES_ATTR, denied)
    denied.update(role_arns)


def fail_list_accounts(
    code: str = "AccessDeniedException",
    message: str = "You don't have permissions to access this resource.",
    *,
    account_id: str = DEFAULT_ACCOUNT_ID,
) -> None:
    """Make ``organizations:ListAccounts`` called from ``account_id`` fail with ``code``.

    AWS refuses the call outside the management and delegated administrator accounts
    (``AccessDeniedException``) and in an account in no Organization
    (``AWSOrganizationsNotInUseException``); moto lists an empty page in both cases, and
    its policy enforcement answers this JSON service in XML, which botocore cannot read.
    A reset forgets the failure with the backend.
    """
    from moto.organizations.exceptions import OrganizationsClientError
    from moto.organizations.models import organizations_backends

    backend: Any = organizations_backends[account_id]["aws"]

    def list_accounts(**_: Any) -> Any:
        raise OrganizationsClientError(code, message)

    # An instance attribute shadows the class method for this backend only.
    backend.list_accounts = list_accounts
