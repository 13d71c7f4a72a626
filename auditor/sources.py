"""What each data source is: the one table the collector, the IAM policy and the analyzer read.

A ``SourceSpec`` per ``Source`` names the operation a failure of the whole source is
blamed on (in gaps and ERROR texts), every IAM action its collector calls, the
``Snapshot`` field it fills, and whether it is optional (no check needs it, so its absence
never makes the audit incomplete). It sits outside ``auditor.collect`` so that the
analyzer and ``iam-auditor permissions`` read it without importing the AWS SDK.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from auditor.model import Source


@dataclass(frozen=True)
class SourceSpec:
    """One data source: what it calls and where its data goes."""

    source: Source
    operation: str
    actions: tuple[str, ...]
    snapshot_field: str
    optional: bool = False


SOURCES: Mapping[Source, SourceSpec] = MappingProxyType(
    {
        spec.source: spec
        for spec in (
            SourceSpec(
                Source.CREDENTIAL_REPORT,
                "iam:GetCredentialReport",
                ("iam:GenerateCredentialReport", "iam:GetCredentialReport"),
                "credential_report",
            ),
            SourceSpec(
                Source.AUTHORIZATION_DETAILS,
                "iam:GetAccountAuthorizationDetails",
                ("iam:GetAccountAuthorizationDetails",),
                "authorization",
            ),
            SourceSpec(
                Source.ACCOUNT_SUMMARY,
                "iam:GetAccountSummary",
                ("iam:GetAccountSummary",),
                "account_summary",
            ),
            SourceSpec(
                Source.PASSWORD_POLICY,
                "iam:GetAccountPasswordPolicy",
                ("iam:GetAccountPasswordPolicy",),
                "password_policy",
            ),
            SourceSpec(
                Source.VIRTUAL_MFA,
                "iam:ListVirtualMFADevices",
                ("iam:ListVirtualMFADevices",),
                "virtual_mfa_devices",
            ),
            SourceSpec(
                Source.SERVER_CERTIFICATES,
                "iam:ListServerCertificates",
                ("iam:ListServerCertificates",),
                "server_certificates",
            ),
            SourceSpec(
                Source.SAML_PROVIDERS,
                "iam:ListSAMLProviders",
                ("iam:ListSAMLProviders",),
                "saml_providers",
            ),
            SourceSpec(
                Source.OIDC_PROVIDERS,
                "iam:ListOpenIDConnectProviders",
                ("iam:ListOpenIDConnectProviders",),
                "oidc_providers",
            ),
            # Blamed on DescribeRegions: a region's ListAnalyzers failure is a regional gap.
            SourceSpec(
                Source.ACCESS_ANALYZER,
                "ec2:DescribeRegions",
                ("ec2:DescribeRegions", "access-analyzer:ListAnalyzers"),
                "access_analyzer",
            ),
            # Only widens who counts as trusted; AWS denies it outside the Organization's
            # management or delegated administrator account.
            SourceSpec(
                Source.ORGANIZATION,
                "organizations:ListAccounts",
                ("organizations:ListAccounts",),
                "organization_account_ids",
                optional=True,
            ),
        )
    }
)

OPTIONAL_SOURCES: frozenset[Source] = frozenset(s for s, spec in SOURCES.items() if spec.optional)
