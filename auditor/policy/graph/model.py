"""The attack-path vocabulary: nodes, hops, grants, paths and cuts, frozen values with a
``to_dict`` for reports, and a plain-text rendering no hostile name can turn into a terminal
escape.
"""

from __future__ import annotations

import enum
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

# --- nodes -------------------------------------------------------------------------------


class NodeKind(enum.Enum):
    """What a node of the attack graph stands for."""

    USER = "user"
    ROLE = "role"
    GROUP = "group"  # a set of permissions a user can join, not a principal that acts
    ACCOUNT = "account"  # another AWS account some trust policy admits
    OIDC = "oidc"  # the tokens an OIDC provider issues that a trust policy admits
    SAML = "saml"  # the assertions a SAML provider issues
    ANYONE = "anyone"  # any AWS principal of any account
    ADMIN = "admin"  # the sink: administrator rights in this account

    @property
    def outside(self) -> bool:
        """True for entry points outside this account's own users and roles."""
        return self in _OUTSIDE


_OUTSIDE = frozenset({NodeKind.ACCOUNT, NodeKind.OIDC, NodeKind.SAML, NodeKind.ANYONE})


@dataclass(frozen=True)
class Node:
    """One node: a user, role or group of the account, an entry point, or ``admin``.

    ``id`` is stable across runs: the ARN of a user, role or group; ``account:ID``;
    ``oidc:PROVIDER|CLAIMS`` and ``saml:PROVIDER|CLAIMS``; ``*`` for anyone; ``admin``.
    ``claims`` lists, for OIDC and SAML nodes, the token claims the admitting trust
    statement holds (``("StringLike token…:sub repo:org/app:*",)``); empty means any token of
    that provider. ``provider`` is the federated principal as the trust policy names it.
    """

    id: str
    kind: NodeKind
    name: str
    arn: str | None = None
    account_id: str | None = None
    provider: str | None = None
    claims: tuple[str, ...] = ()

    @property
    def starts_outside(self) -> bool:
        """True for another account, an OIDC or SAML provider, or anyone."""
        return self.kind.outside

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        out: dict[str, Any] = {"id": self.id, "kind": self.kind.value, "name": self.name}
        for key in ("arn", "account_id", "provider"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        if self.claims:
            out["claims"] = list(self.claims)
        return out


ADMIN_NODE = Node(id="admin", kind=NodeKind.ADMIN, name="admin")


# --- steps -------------------------------------------------------------------------------


class Reason(enum.Enum):
    """Why the source of a hop can act as (or make itself) its target."""

    ADMIN_EQUIVALENT = "admin-equivalent"  # the source already is an administrator
    ASSUME_ROLE = "assume-role"
    PASS_ROLE_TO_SERVICE = "pass-role"  # noqa: S105 (not a secret); new compute (passrole_new_compute) runs as the role
    EXISTING_COMPUTE = "existing-compute"  # an existing resource that may run as the role
    CREATE_ACCESS_KEY = "create-access-key"
    CREATE_LOGIN_PROFILE = "create-login-profile"
    UPDATE_LOGIN_PROFILE = "update-login-profile"
    UPDATE_ASSUME_ROLE_POLICY = "update-assume-role-policy"
    ADD_USER_TO_GROUP = "add-user-to-group"
    ATTACH_POLICY = "attach-policy"
    PUT_POLICY = "put-policy"
    POLICY_VERSION = "policy-version"  # CreatePolicyVersion / SetDefaultPolicyVersion
    DELETE_PERMISSIONS_BOUNDARY = "delete-permissions-boundary"  # or replace it

    @property
    def rewrites(self) -> bool:
        """True for reasons that change a principal's permissions rather than act as it."""
        return self in _REWRITES


_REWRITES = frozenset(
    {
        Reason.ATTACH_POLICY,
        Reason.PUT_POLICY,
        Reason.POLICY_VERSION,
        Reason.DELETE_PERMISSIONS_BOUNDARY,
    }
)


class GrantKind(enum.Enum):
    """Which kind of policy a grant comes from."""

    IDENTITY = "identity"  # a policy the principal holds (inline, managed, via a group)
    BOUNDARY = "boundary"  # its permissions boundary, which must allow the action too
    TRUST = "trust"  # the target role's trust policy


@dataclass(frozen=True)
class StatementRef:
    """One statement of one policy, as a cut names it.

    ``policy_ref`` is the managed policy's ARN, ``OWNER_ARN#NAME`` for an inline policy and
    ``ROLE_ARN#trust`` for a trust policy; equality is on (``policy_ref``, ``index``).
    """

    policy_ref: str
    index: int
    policy: str = field(default="", compare=False)
    sid: str | None = field(default=None, compare=False)
    aws_managed: bool = field(default=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return {
            "policy": self.policy,
            "policy_ref": self.policy_ref,
            "statement_index": self.index,
            "sid": self.sid,
        }


@dataclass(frozen=True)
class Grant:
    """One statement that grants (part of) a hop, and what it grants there.

    ``need`` names the requirement it meets: an action (``iam:PassRole``), ``trust`` for a
    trust statement, ``admin`` for an admin-equivalent grant, ``boundary:ACTION`` for a
    permissions boundary's allow. A hop needs every ``need`` of its evidence met, each by
    any one of the grants listing it. ``resources`` are the patterns as written
    (``NotResource`` ones prefixed ``not ``); ``principal`` is the trust principal admitted.
    """

    kind: GrantKind
    policy: str
    policy_ref: str
    statement_index: int
    sid: str | None
    need: str
    actions: tuple[str, ...] = ()
    resources: tuple[str, ...] = ()
    principal: str | None = None
    aws_managed: bool = False

    @property
    def statement(self) -> StatementRef:
        """The statement this grant comes from."""
        return StatementRef(
            self.policy_ref, self.statement_index, self.policy, self.sid, self.aws_managed
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        out: dict[str, Any] = {
            "kind": self.kind.value,
            "policy": self.policy,
            "policy_ref": self.policy_ref,
            "statement_index": self.statement_index,
            "sid": self.sid,
            "need": self.need,
            "actions": list(self.actions),
            "resources": list(self.resources),
        }
        if self.principal is not None:
            out["principal"] = self.principal
        return out


@dataclass(frozen=True)
class Hop:
    """One step: ``source`` can act as ``target`` (or, for a rewrite, make ``subject`` an
    administrator, ``target`` then being ``admin``).

    ``evidence`` holds every statement that grants the chosen way of taking the step;
    ``critical`` the statements whose removal alone breaks the step, counting every other
    way (any reason) of going from ``source`` to ``target``. ``undecided`` names conditions
    the snapshot cannot decide (the step is kept, flagged); ``needs_unseen_resource`` marks
    steps that depend on a resource the snapshot does not show (which Lambda function runs
    as which role, a non-default policy version). ``service`` and ``method`` say how a
    pass-role or existing-compute step is taken; ``alternatives`` other reasons that also
    lead from ``source`` to ``target``.
    """

    source: Node
    target: Node
    reason: Reason
    evidence: tuple[Grant, ...] = ()
    critical: tuple[StatementRef, ...] = ()
    undecided: tuple[str, ...] = ()
    needs_unseen_resource: bool = False
    subject: Node | None = None
    service: str | None = None
    method: str | None = None
    notes: tuple[str, ...] = ()
    alternatives: tuple[Reason, ...] = ()

    @property
    def certain(self) -> bool:
        """True when nothing about this step is left undecided."""
        return not self.undecided and not self.needs_unseen_resource

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        out: dict[str, Any] = {
            "source": self.source.id,
            "target": self.target.id,
            "reason": self.reason.value,
            "certain": self.certain,
            "evidence": [g.to_dict() for g in self.evidence],
            "critical": [s.to_dict() for s in self.critical],
        }
        if self.subject is not None:
            out["subject"] = self.subject.id
        if self.service is not None:
            out["service"] = self.service
        if self.method is not None:
            out["method"] = self.method
        if self.undecided:
            out["undecided"] = list(self.undecided)
        if self.needs_unseen_resource:
            out["needs_unseen_resource"] = True
        if self.notes:
            out["notes"] = list(self.notes)
        if self.alternatives:
            out["alternatives"] = [r.value for r in self.alternatives]
        return out


@dataclass(frozen=True)
class AttackPath:
    """How ``start`` ends up an administrator (or at another node), one hop at a time.

    Each hop's source is a node already reached: usually the previous hop's target, but a
    rewrite may need two footholds (one principal that can rewrite, another it rewrites),
    and the hops then list the route to each before the rewrite.
    """

    start: Node
    hops: tuple[Hop, ...]

    @property
    def end(self) -> Node:
        """The last node reached (``admin`` for a path to admin)."""
        return self.hops[-1].target if self.hops else self.start

    @property
    def starts_outside(self) -> bool:
        """True when the path begins at another account, a federation provider or anyone."""
        return self.start.starts_outside

    @property
    def nodes(self) -> tuple[Node, ...]:
        """Every node reached, in order, the start first."""
        out = [self.start]
        for hop in self.hops:
            if hop.target not in out:
                out.append(hop.target)
        return tuple(out)

    @property
    def reasons(self) -> tuple[Reason, ...]:
        """The hops' reasons, in order."""
        return tuple(h.reason for h in self.hops)

    @property
    def certain(self) -> bool:
        """True when no hop depends on an undecided condition or an unseen resource."""
        return all(h.certain for h in self.hops)

    @property
    def undecided(self) -> tuple[str, ...]:
        """Every undecided condition along the path, once each."""
        return tuple(dict.fromkeys(u for h in self.hops for u in h.undecided))

    def breaking_statements(self, *, include_admin_grants: bool = False) -> frozenset[StatementRef]:
        """The statements whose removal alone breaks some hop of this path; the grants that
        make the last principal an administrator only with ``include_admin_grants``."""
        return frozenset(
            s
            for h in self.hops
            if include_admin_grants or h.reason is not Reason.ADMIN_EQUIVALENT
            for s in h.critical
        )

    def render(self) -> str:
        """``render_path`` of this path."""
        return render_path(self)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields, with the rendered text."""
        return {
            "start": self.start.to_dict(),
            "end": self.end.id,
            "starts_outside": self.starts_outside,
            "certain": self.certain,
            "length": len(self.hops),
            # Whole node dicts, not ids: a renderer labels them without the snapshot.
            "nodes": [n.to_dict() for n in self.nodes],
            "hops": [h.to_dict() for h in self.hops],
            "undecided": list(self.undecided),
            "text": render_path(self),
        }


# --- the cheapest cut --------------------------------------------------------------------


@dataclass(frozen=True)
class Cut:
    """The statement whose removal breaks the most of the given paths, and which ones."""

    statement: StatementRef
    paths_broken: int
    starts: tuple[str, ...]  # the ids of the broken paths' start nodes

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return {
            **self.statement.to_dict(),
            "paths_broken": self.paths_broken,
            "starts": list(self.starts),
        }


def cheapest_cut(paths: Iterable[AttackPath], *, include_admin_grants: bool = False) -> Cut | None:
    """The one statement whose removal breaks the most ``paths`` (None when none breaks any).

    A statement breaks a path when it is critical to one of its hops (``Hop.critical``):
    every way of taking that step needs it. The grant that makes the path's last principal
    an administrator is left out unless ``include_admin_grants``: it is what the paths lead
    to, usually on purpose, not a step of them. Other routes the attacker might take once the
    statement is gone are not searched again; re-run the analysis on the fixed account for
    that. Ties go to a statement one can edit (not in an AWS managed policy), then to the
    lowest reference.
    """
    counts: Counter[StatementRef] = Counter()
    starts: dict[StatementRef, list[str]] = {}
    for path in paths:
        for ref in path.breaking_statements(include_admin_grants=include_admin_grants):
            counts[ref] += 1
            starts.setdefault(ref, []).append(path.start.id)
    if not counts:
        return None
    best = min(counts, key=lambda r: (-counts[r], r.aws_managed, r.policy_ref, r.index))
    return Cut(best, counts[best], tuple(starts[best]))


# --- text --------------------------------------------------------------------------------

_SHOWN_LEN = 80


def inert(text: str, limit: int = _SHOWN_LEN) -> str:
    """``text`` on one line with every control or format character shown as ``?``, cut to
    ``limit`` characters: names and Sids are other people's strings, and on a terminal an
    escape sequence or a bidi override in them would act instead of being read."""
    clean = "".join("?" if unicodedata.category(ch).startswith("C") else ch for ch in text)
    return clean if len(clean) <= limit else clean[: limit - 1] + "…"


def describe_grants(grants: Iterable[Grant]) -> str:
    """``policy X stmt 0 (Sid)``, for the first distinct statement, ``+N more`` after it."""
    seen: dict[StatementRef, Grant] = {}
    for g in grants:
        seen.setdefault(g.statement, g)
    if not seen:
        return ""
    first = next(iter(seen.values()))
    sid = f" ({inert(first.sid, 40)})" if first.sid else ""
    text = f"{inert(first.policy)} stmt {first.statement_index}{sid}"
    more = len(seen) - 1
    return f"{text} +{more} more" if more else text


def render_hop(hop: Hop) -> str:
    """The label between two nodes: ``assume-role: policy X stmt 0``."""
    label = hop.reason.value
    if hop.subject is not None and hop.subject != hop.source:
        label += f" on {inert(hop.subject.name)}"
    if hop.service:
        label += f" to {inert(hop.service)}"
    if hop.method:
        label += f" [{inert(hop.method)}]"
    evidence = describe_grants(hop.evidence)
    if evidence:
        label += f": {evidence}"
    flags = []
    if hop.undecided:
        flags.append("undecided: " + "; ".join(inert(u) for u in hop.undecided[:2]))
        if len(hop.undecided) > 2:
            flags[-1] += f" +{len(hop.undecided) - 2} more"
    if hop.needs_unseen_resource:
        flags.append("needs a resource not in the snapshot")
    if flags:
        label += " [" + "; ".join(flags) + "]"
    return label


def render_path(path: AttackPath) -> str:
    """``alice -(assume-role: p (inline) stmt 0)-> ops -(admin-equivalent: …)-> admin``.

    Plain text on one line; every name passes through ``inert``. When a hop starts from a
    node reached earlier rather than the previous one (a rewrite needing two footholds),
    the text starts a new segment after ``; ``.
    """
    parts = [inert(path.start.name)]
    current = path.start
    for hop in path.hops:
        if hop.source != current:
            parts.append(f"; {inert(hop.source.name)}")
        parts.append(f" -({render_hop(hop)})-> {inert(hop.target.name)}")
        current = hop.target
    return "".join(parts)
