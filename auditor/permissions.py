"""The least-privilege IAM policy iam-auditor needs, derived from what the collectors call.

``REQUIRED_ACTIONS`` maps each data source to exactly the API actions its collector
makes; ``policy_document`` turns the sources an audit needs into a ready-to-attach IAM
policy (``iam-auditor permissions`` prints it). Every action is a read, except
``iam:GenerateCredentialReport``, which only asks AWS to (re)build the credential report.
A test runs the collectors against a local AWS and fails if they call anything not
listed here, so the policy cannot drift from the code.

One action is optional: ``organizations:ListAccounts`` lets the Organization's member
accounts count as trusted (ROLE-003, ROLE-004, ROLE-014). It sits in a statement of its
own (``OPTIONAL_SID``) so it can be left out; without it - or outside the Organization's
management or delegated administrator account, where AWS denies it anyway - no check
reports ERROR and the audit stays complete: only ``trusted_account_ids`` count as trusted,
and the report says so in a note.

``sts:GetCallerIdentity`` needs no permission (AWS allows it even under an explicit
deny); it is listed anyway because the auditor calls it and the policy is meant to name
every call, which also keeps the call allow-list and the policy one and the same.

Sending findings to Security Hub (``audit --send-to-security-hub``) is a write, to the
caller's own Security Hub, made only when asked. It is therefore never part of the audit
policy: ``policy_document(security_hub=True)`` (``iam-auditor permissions --security-hub``)
appends a separate statement (``SECURITY_HUB_SID``) allowing ``BatchImportFindings`` on
custom-integration products only, for the identity that sends.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

from auditor.model import Source

POLICY_SID = "IamAuditorReadOnly"
OPTIONAL_SID = "IamAuditorOptionalOrganization"
SECURITY_HUB_SID = "IamAuditorSendToSecurityHub"
SECURITY_HUB_ACTIONS: tuple[str, ...] = ("securityhub:BatchImportFindings",)
# An account's own custom-integration product is product/<account>/default.
SECURITY_HUB_RESOURCE = "arn:*:securityhub:*:*:product/*/default"

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
        Source.ORGANIZATION: ("organizations:ListAccounts",),
    }
)

# Sources no check depends on: their actions go in the optional statement.
OPTIONAL_SOURCES: frozenset[Source] = frozenset({Source.ORGANIZATION})


def required_actions(sources: Iterable[Source] | None = None) -> tuple[str, ...]:
    """The sorted, de-duplicated actions collecting ``sources`` calls (None: every source).

    Optional sources' actions are included when their sources are: this is the call
    allow-list. ``policy_document`` splits them into their own statement.
    """
    chosen = list(Source) if sources is None else list(sources)
    actions = set(ALWAYS)
    for source in chosen:
        actions.update(REQUIRED_ACTIONS[source])
    return tuple(sorted(actions))


def optional_actions(sources: Iterable[Source] | None = None) -> tuple[str, ...]:
    """The sorted actions of the optional ones among ``sources`` (None: every source)."""
    chosen = set(Source) if sources is None else set(sources)
    return tuple(sorted({a for s in chosen & OPTIONAL_SOURCES for a in REQUIRED_ACTIONS[s]}))


def policy_document(
    sources: Iterable[Source] | None = None, *, security_hub: bool = False
) -> dict[str, Any]:
    """An IAM policy allowing exactly what collecting ``sources`` calls (None: everything).

    The first statement (``POLICY_SID``) holds what the checks need; the optional
    actions, when any of ``sources`` is optional, follow in a statement of their own
    (``OPTIONAL_SID``) that can be deleted without making any check ERROR. The actions do
    not support resource-level permissions, hence ``Resource: "*"``. With ``security_hub``
    a last statement (``SECURITY_HUB_SID``) allows sending findings to Security Hub.
    """
    chosen = list(Source) if sources is None else list(sources)
    optional = optional_actions(chosen)
    required = required_actions(s for s in chosen if s not in OPTIONAL_SOURCES)
    statements: list[dict[str, Any]] = [
        {"Sid": POLICY_SID, "Effect": "Allow", "Action": list(required), "Resource": "*"}
    ]
    if optional:
        statements.append(
            {"Sid": OPTIONAL_SID, "Effect": "Allow", "Action": list(optional), "Resource": "*"}
        )
    if security_hub:
        statements.append(
            {
                "Sid": SECURITY_HUB_SID,
                "Effect": "Allow",
                "Action": list(SECURITY_HUB_ACTIONS),
                "Resource": SECURITY_HUB_RESOURCE,
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}
