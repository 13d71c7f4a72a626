"""The least-privilege IAM policy iam-auditor needs, derived from the actions per source.

Every action in ``auditor.sources.SOURCES`` is a read except ``iam:GenerateCredentialReport``.
Optional sources' actions go in a statement of their own (``OPTIONAL_SID``) that can be
deleted without making any check ERROR. Sending to Security Hub is a write to the caller's
own account, so it is a separate statement (``SECURITY_HUB_SID``), added only when asked.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from auditor.model import Source
from auditor.sources import OPTIONAL_SOURCES, SOURCES

POLICY_SID = "IamAuditorReadOnly"
OPTIONAL_SID = "IamAuditorOptionalOrganization"
SECURITY_HUB_SID = "IamAuditorSendToSecurityHub"
SECURITY_HUB_ACTIONS: tuple[str, ...] = ("securityhub:BatchImportFindings",)
# An account's own custom-integration product is product/<account>/default.
SECURITY_HUB_RESOURCE = "arn:*:securityhub:*:*:product/*/default"

# Called on every audit, whatever sources are wanted: it names the account and partition.
# It needs no permission (AWS allows it even under an explicit deny); it is listed because
# the policy names every call, which keeps it and the call allow-list one and the same.
ALWAYS: tuple[str, ...] = ("sts:GetCallerIdentity",)


def required_actions(sources: Iterable[Source] | None = None) -> tuple[str, ...]:
    """The sorted, de-duplicated actions collecting ``sources`` calls (None: every source).

    Optional sources' actions are included when their sources are: this is the call
    allow-list. ``policy_document`` splits them into their own statement.
    """
    chosen = list(Source) if sources is None else list(sources)
    actions = set(ALWAYS)
    for source in chosen:
        actions.update(SOURCES[source].actions)
    return tuple(sorted(actions))


def optional_actions(sources: Iterable[Source] | None = None) -> tuple[str, ...]:
    """The sorted actions of the optional ones among ``sources`` (None: every source)."""
    chosen = set(Source) if sources is None else set(sources)
    return tuple(sorted({a for s in chosen & OPTIONAL_SOURCES for a in SOURCES[s].actions}))


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
