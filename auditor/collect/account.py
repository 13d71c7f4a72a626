"""Account-wide IAM settings: summary, password policy, virtual MFA, certificates, IdPs.

One call each (or per page, at the largest page IAM allows). ``NoSuchEntity`` from
``GetAccountPasswordPolicy`` is data, not failure: the account has no password policy.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from auditor.collect.common import as_source_error, as_utc, error_code, guarded
from auditor.snapshot import (
    OidcProvider,
    PasswordPolicy,
    SamlProvider,
    ServerCertificate,
    VirtualMfaDevice,
)

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient

SUMMARY = "iam:GetAccountSummary"
PASSWORD_POLICY = "iam:GetAccountPasswordPolicy"  # noqa: S105 - an action name, no secret
VIRTUAL_MFA = "iam:ListVirtualMFADevices"
SERVER_CERTIFICATES = "iam:ListServerCertificates"
SAML_PROVIDERS = "iam:ListSAMLProviders"
OIDC_PROVIDERS = "iam:ListOpenIDConnectProviders"

# IAM's MaxItems allows 1 to 1,000 and defaults to 100: without asking, 1,256 virtual MFA
# devices cost 13 calls instead of 2, and the call count grew with the users.
PAGE_SIZE = 1000


def fetch_account_summary(iam: IAMClient) -> dict[str, int]:
    """``GetAccountSummary``'s ``SummaryMap`` (``AccountMFAEnabled``, ``Users``, …)."""
    with guarded(SUMMARY):
        answer: Mapping[str, Any] = iam.get_account_summary()
    return {str(k): int(v) for k, v in (answer.get("SummaryMap") or {}).items()}


def build_password_policy(policy: Mapping[str, Any]) -> PasswordPolicy:
    """A ``PasswordPolicy`` from the API's ``PasswordPolicy`` object (absent -> AWS default)."""
    defaults = PasswordPolicy()
    max_age = policy.get("MaxPasswordAge")
    reuse = policy.get("PasswordReusePrevention")
    return PasswordPolicy(
        minimum_password_length=int(
            policy.get("MinimumPasswordLength", defaults.minimum_password_length)
        ),
        require_symbols=bool(policy.get("RequireSymbols", False)),
        require_numbers=bool(policy.get("RequireNumbers", False)),
        require_uppercase_characters=bool(policy.get("RequireUppercaseCharacters", False)),
        require_lowercase_characters=bool(policy.get("RequireLowercaseCharacters", False)),
        allow_users_to_change_password=bool(policy.get("AllowUsersToChangePassword", False)),
        expire_passwords=bool(policy.get("ExpirePasswords", False)),
        max_password_age=int(max_age) if max_age is not None else None,
        password_reuse_prevention=int(reuse) if reuse is not None else None,
        hard_expiry=bool(policy.get("HardExpiry", False)),
    )


def fetch_password_policy(iam: IAMClient) -> PasswordPolicy | None:
    """The account's password policy, or None when it has none (``NoSuchEntity``)."""
    try:
        answer: Mapping[str, Any] = iam.get_account_password_policy()
    except ClientError as exc:
        if error_code(exc) == "NoSuchEntity":
            return None
        raise as_source_error(PASSWORD_POLICY, exc) from exc
    except BotoCoreError as exc:
        raise as_source_error(PASSWORD_POLICY, exc) from exc
    return build_password_policy(answer["PasswordPolicy"])


def build_virtual_mfa_device(item: Mapping[str, Any]) -> VirtualMfaDevice:
    """A ``VirtualMfaDevice`` from one ``VirtualMFADevices`` entry.

    Root's device carries a ``User`` whose ARN is ``arn:…:root`` and which may lack a user
    name; an unassigned device has no ``User`` at all.
    """
    user: Mapping[str, Any] = item.get("User") or {}
    return VirtualMfaDevice(
        serial_number=str(item["SerialNumber"]),
        user_arn=str(user["Arn"]) if user.get("Arn") else None,
        user_name=str(user["UserName"]) if user.get("UserName") else None,
        enable_date=as_utc(item.get("EnableDate")),
    )


def fetch_virtual_mfa_devices(iam: IAMClient) -> tuple[VirtualMfaDevice, ...]:
    """Every virtual MFA device, assigned or not (all pages)."""
    devices: list[VirtualMfaDevice] = []
    with guarded(VIRTUAL_MFA):
        pages = iam.get_paginator("list_virtual_mfa_devices").paginate(
            AssignmentStatus="Any", PaginationConfig={"PageSize": PAGE_SIZE}
        )
        for page in pages:
            devices.extend(build_virtual_mfa_device(i) for i in page.get("VirtualMFADevices") or ())
    return tuple(devices)


def fetch_server_certificates(iam: IAMClient) -> tuple[ServerCertificate, ...]:
    """Metadata of every server certificate stored in IAM (never the certificate body)."""
    certs: list[ServerCertificate] = []
    with guarded(SERVER_CERTIFICATES):
        pages = iam.get_paginator("list_server_certificates").paginate(
            PaginationConfig={"PageSize": PAGE_SIZE}
        )
        for page in pages:
            for item in page.get("ServerCertificateMetadataList") or ():
                certs.append(
                    ServerCertificate(
                        name=str(item["ServerCertificateName"]),
                        arn=str(item["Arn"]),
                        certificate_id=str(item.get("ServerCertificateId", "")),
                        path=str(item.get("Path", "/")),
                        expiration=as_utc(item.get("Expiration")),
                        upload_date=as_utc(item.get("UploadDate")),
                    )
                )
    return tuple(certs)


def fetch_saml_providers(iam: IAMClient) -> tuple[SamlProvider, ...]:
    """Every SAML identity provider (the API is not paginated)."""
    with guarded(SAML_PROVIDERS):
        answer: Mapping[str, Any] = iam.list_saml_providers()
    return tuple(
        SamlProvider(
            arn=str(item["Arn"]),
            valid_until=as_utc(item.get("ValidUntil")),
            create_date=as_utc(item.get("CreateDate")),
        )
        for item in answer.get("SAMLProviderList") or ()
    )


def fetch_oidc_providers(iam: IAMClient) -> tuple[OidcProvider, ...]:
    """Every OpenID Connect identity provider's ARN (the API is not paginated)."""
    with guarded(OIDC_PROVIDERS):
        answer: Mapping[str, Any] = iam.list_open_id_connect_providers()
    return tuple(
        OidcProvider(arn=str(item["Arn"])) for item in answer.get("OpenIDConnectProviderList") or ()
    )
