"""The least-privilege IAM policy iam-auditor needs, derived from what the collectors call.

``REQUIRED_ACTIONS`` maps each data source to exactly the API actions its collector
makes; ``policy_document`` turns the sources an audit needs into a ready-to-attach IAM
policy (``iam-auditor permissions`` prints it). Every action is a read, except
``iam:GenerateCredentialReport``, which only asks AWS to (re)build the credential report.
A test runs the collectors against a local AWS and fails if they call anything not
listed here, so the policy cannot drift from the code.

``sts:GetCallerIdentity`` needs no permission (AWS allows it even under an explicit
deny); it is listed anyway because the auditor calls it and the policy is meant to name
every call, which also keeps the call allow-list and the policy one and the same.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

from auditor.model import Source

POLICY_SID = "IamAuditorReadOnly"

# Called on every audit, whatever sources are wanted: it names the account and partition.
ALWAYS: tuple[str, ...] = ("sts:GetCallerIdentity",)

REQUIRED_ACTIONS: Mapping[Source, tuple[str, ...]] = MappingProxyType(
    {
        Source.CREDENTIAL_REPORT: ("iam:GenerateCredentialReport", "iam:GetCredentialReport"),
        Source.AUTHORIZATION_DETAILS: ("iam:GetAccountAuthorizationDetails",),
        Source.ACCOUNT_SUMMARY: ("iam:GetAccountSummary",),
        Source.PASSWORD_POLICY: ("iam:GetAccountPasswordPolicy",),
        Source.VIRTUAL_MFA: ("iam:ListVirtualMFADevices",),
        Source.SERVER_CERTIFICATES: ("iam:ListServerCertificates",),
        Source.SAML_PROVIDERS: ("iam:ListSAMLProviders",),
        Source.OIDC_PROVIDERS: ("iam:ListOpenIDConnectProviders",),
        Source.ACCESS_ANALYZER: ("ec2:DescribeRegions", "access-analyzer:ListAnalyzers"),
    }
)


def required_actions(sources: Iterable[Source] | None = None) -> tuple[str, ...]:
    """The sorted, de-duplicated actions collecting ``sources`` needs (None: every source)."""
    chosen = list(Source) if sources is None else list(sources)
    actions = set(ALWAYS)
    for source in chosen:
        actions.update(REQUIRED_ACTIONS[source])
    return tuple(sorted(actions))


def policy_document(sources: Iterable[Source] | None = None) -> dict[str, Any]:
    """An IAM policy allowing exactly what collecting ``sources`` calls (None: everything).

    The actions do not support resource-level permissions, hence ``Resource: "*"``.
    """
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": POLICY_SID,
                "Effect": "Allow",
                "Action": list(required_actions(sources)),
                "Resource": "*",
            }
        ],
    }
