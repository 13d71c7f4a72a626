"""Attack paths: who can end up an administrator of the account, through which principals, and
the one statement whose removal breaks the most of those paths (one graph per snapshot,
cached like ``privilege_analysis``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from auditor.policy.graph.conditions import Verdict
from auditor.policy.graph.engine import UNCERTAIN, AttackGraph, build_graph, forget_graph, has_graph
from auditor.policy.graph.model import (
    ADMIN_NODE,
    AttackPath,
    Cut,
    Grant,
    GrantKind,
    Hop,
    Node,
    NodeKind,
    Reason,
    StatementRef,
    cheapest_cut,
    inert,
    render_hop,
    render_path,
)
from auditor.policy.privilege import forget_privilege_analysis, has_privilege_analysis
from auditor.policy.trust import forget_trust_analysis, has_trust_analysis
from auditor.snapshot import AuthorizationDetails, Snapshot


def attack_graph(
    source: Snapshot | AuthorizationDetails,
    *,
    account_id: str | None = None,
    partition: str | None = None,
) -> AttackGraph:
    """The attack graph of a snapshot, or of bare authorization details.

    From a ``Snapshot`` the account id, partition and identity providers come with it; from
    ``AuthorizationDetails`` the account and partition are read from the principals' ARNs
    unless given, and providers are taken as not collected. Cached per details object (a few
    kept), so the check, the CLI and the report share one build. ``ValueError`` when the
    snapshot has no authorization details.
    """
    return build_graph(source, account_id=account_id, partition=partition)


# The per-account analyses that are cached by authorization details: (is cached, forget).
_ANALYSES = (
    (has_privilege_analysis, forget_privilege_analysis),
    (has_trust_analysis, forget_trust_analysis),
    (has_graph, forget_graph),
)


@contextmanager
def analyses_scope(details: AuthorizationDetails | None) -> Iterator[None]:
    """Share the analyses of ``details`` inside the block and drop those built in it.

    The privilege analysis, the trust analysis and the attack graph are cached per
    authorization details so that every check of an audit reads each policy once; the
    analyzer runs the checks in this scope, so once the findings are made those caches do
    not stay in memory while the reports are written (on an account of thousands of
    principals they are megabytes). Analyses built before the block are left cached.
    """
    if details is None:
        yield
        return
    kept = [has(details) for has, _forget in _ANALYSES]
    try:
        yield
    finally:
        for held, (_has, forget) in zip(kept, _ANALYSES, strict=True):
            if not held:
                forget(details)


__all__ = [
    "ADMIN_NODE",
    "UNCERTAIN",
    "AttackGraph",
    "AttackPath",
    "Cut",
    "Grant",
    "GrantKind",
    "Hop",
    "Node",
    "NodeKind",
    "Reason",
    "StatementRef",
    "Verdict",
    "analyses_scope",
    "attack_graph",
    "cheapest_cut",
    "inert",
    "render_hop",
    "render_path",
]
