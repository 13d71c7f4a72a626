"""Attack paths: who can end up an administrator of the account, through which principals,
and the one statement whose removal breaks the most of those paths. ``attack_graph(snapshot)``
reads only the snapshot (authorization details, the account id, the OIDC and SAML providers
when collected) and caches one graph per authorization details, as ``privilege_analysis``
does; ``AttackGraph.paths_to_admin()`` gives one shortest path per user, role or outside entry
point (another account, an OIDC or SAML provider's tokens, anyone) that is not an
administrator but can become one; each ``Hop`` says why (``Reason``), which statements grant
it (``Grant``), which conditions the snapshot could not decide, and which statements are
critical to it, so ``cheapest_cut(paths)`` can name the fix that breaks the most paths and
``render_path`` prints one safely on a terminal.
"""

from __future__ import annotations

from auditor.policy.graph.conditions import Verdict
from auditor.policy.graph.engine import UNCERTAIN, AttackGraph, build_graph
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
    "attack_graph",
    "cheapest_cut",
    "inert",
    "render_hop",
    "render_path",
]
