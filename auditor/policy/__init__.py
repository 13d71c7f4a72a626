"""IAM policy analysis: the one reading of IAM's loose JSON that every check goes through."""

from __future__ import annotations

from auditor.policy.document import (
    Condition,
    Decision,
    Effect,
    Policy,
    Principal,
    Statement,
    action_matches,
    evaluate,
    grants_full_admin,
    parse_policy,
    patterns_overlap,
    resource_matches,
)
from auditor.policy.principals import (
    EffectivePolicy,
    IamPrincipal,
    PolicyEngine,
    effective_documents,
    is_aws_policy,
    is_full_admin_policy_arn,
)
from auditor.policy.privilege import (
    EscalationMatch,
    EscalationMethod,
    PrivilegeAnalysis,
    broad_resources,
    escalation_methods_catalog,
    is_broad_resource,
    privilege_analysis,
    restricts,
)

__all__ = [
    "Condition",
    "Decision",
    "Effect",
    "EffectivePolicy",
    "EscalationMatch",
    "EscalationMethod",
    "IamPrincipal",
    "Policy",
    "PolicyEngine",
    "Principal",
    "PrivilegeAnalysis",
    "Statement",
    "action_matches",
    "broad_resources",
    "effective_documents",
    "escalation_methods_catalog",
    "evaluate",
    "grants_full_admin",
    "is_aws_policy",
    "is_broad_resource",
    "is_full_admin_policy_arn",
    "parse_policy",
    "patterns_overlap",
    "privilege_analysis",
    "resource_matches",
    "restricts",
]
