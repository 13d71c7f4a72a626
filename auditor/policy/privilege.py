"""Privilege analysis: what a principal effectively holds, admin-equivalence, escalation.

Only unconditional statements count, so answers are certain: effective permissions are the
unconditional Allows of everything the principal holds, minus unconditional Denies, limited
by a collected permissions boundary (which never grants). Admin-equivalent and escalation
follow docs/architecture.md and ``data/privesc_methods.json`` (an escalation needs every
action of a method on a broad resource). Documents are compiled once per
``AuthorizationDetails`` into bit sets over the actions the methods name.
"""

from __future__ import annotations

import enum
import json
import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from typing import Any

from auditor.policy.document import (
    Condition,
    Effect,
    Policy,
    Statement,
    action_matches,
    parse_policy,
    patterns_overlap,
    resource_matches,
)
from auditor.policy.memo import ByIdentity, forget, is_cached
from auditor.policy.principals import (
    EffectivePolicy,
    IamPrincipal,
    PolicyEngine,
    effective_documents,
    is_full_admin_policy_arn,
)
from auditor.snapshot import AuthorizationDetails, Role

PRIVESC_RESOURCE = "privesc_methods.json"

# Actions the checks ask about besides the escalation methods' own (PERM-006).
_EXTRA_ACTIONS = ("iam:PassRole", "sts:AssumeRole")

_ALL = "*:*"
_IAM_ALL = "iam:*"


# --- the escalation catalogue ------------------------------------------------------------


@dataclass(frozen=True)
class EscalationMethod:
    """One method of ``privesc_methods.json``: its name, its group and the actions it needs."""

    name: str
    category: str
    actions: tuple[str, ...]


@dataclass(frozen=True)
class EscalationMatch:
    """One privilege-escalation method a principal can use.

    ``actions`` are the method's actions as the catalogue writes them; ``policies`` the
    labels (``EffectivePolicy.label``) of the held policies that grant any of them.
    """

    method: str
    actions: tuple[str, ...]
    policies: tuple[str, ...]


def load_escalation_methods(text: str) -> tuple[EscalationMethod, ...]:
    """Parse a ``privesc_methods.json`` text; ``ValueError`` says what is malformed."""
    raw: Any = json.loads(text)
    groups = raw.get("methods") if isinstance(raw, Mapping) else None
    if not isinstance(groups, Mapping):
        raise ValueError("privesc methods: no 'methods' object")
    out: list[EscalationMethod] = []
    seen: set[str] = set()
    for category, methods in groups.items():
        if not isinstance(methods, Mapping):
            raise ValueError(f"privesc methods: group {category!r} is not an object")
        for name, actions in methods.items():
            if (
                not isinstance(actions, list)
                or not actions
                or not all(isinstance(a, str) and ":" in a for a in actions)
            ):
                raise ValueError(f"privesc methods: {name!r} is not a list of service:action")
            if name in seen:
                raise ValueError(f"privesc methods: {name!r} appears twice")
            seen.add(name)
            out.append(EscalationMethod(str(name), str(category), tuple(actions)))
    return tuple(out)


@cache
def escalation_methods_catalog() -> tuple[EscalationMethod, ...]:
    """The methods shipped in ``auditor/data/privesc_methods.json``, in file order."""
    text = resources.files("auditor.data").joinpath(PRIVESC_RESOURCE).read_text("utf-8")
    return load_escalation_methods(text)


# --- the action universe: bit sets over the actions that matter --------------------------


@dataclass(frozen=True)
class _Universe:
    """The actions the analysis tracks (lower-case), their bits and a by-service index."""

    actions: tuple[str, ...]
    index: Mapping[str, int]
    patterns: frozenset[int]  # the tracked actions that are themselves patterns (iam:Put*)
    by_service: Mapping[str, tuple[int, ...]]
    all_bits: int

    def bit(self, action: str) -> int:
        return 1 << self.index[action.lower()]

    def bits(self, actions: Iterable[str]) -> int:
        out = 0
        for a in actions:
            out |= self.bit(a)
        return out


@cache
def _universe() -> _Universe:
    names: list[str] = []
    for method in escalation_methods_catalog():
        names.extend(a.lower() for a in method.actions)
    names.extend(a.lower() for a in _EXTRA_ACTIONS)
    actions = tuple(dict.fromkeys(names))
    by_service: dict[str, list[int]] = {}
    for i, a in enumerate(actions):
        by_service.setdefault(a.partition(":")[0], []).append(i)
    return _Universe(
        actions=actions,
        index={a: i for i, a in enumerate(actions)},
        patterns=frozenset(i for i, a in enumerate(actions) if "*" in a or "?" in a),
        by_service={k: tuple(v) for k, v in by_service.items()},
        all_bits=(1 << len(actions)) - 1,
    )


@lru_cache(maxsize=65536)
def _pattern_bits(pattern: str) -> tuple[int, int]:
    """(actions ``pattern`` covers entirely, actions it touches) as bit sets.

    A pattern whose service part is literal can only match that service's actions, so only
    those are tried: most patterns of AWS managed policies name services no method uses.
    """
    u = _universe()
    service, sep, _ = pattern.partition(":")
    candidates: Iterable[int]
    if sep and "*" not in service and "?" not in service:
        candidates = u.by_service.get(service, ())
    else:
        candidates = range(len(u.actions))
    covers = touches = 0
    for i in candidates:
        action = u.actions[i]
        if action_matches(pattern, action):
            covers |= 1 << i
            touches |= 1 << i
        # Overlap is a quadratic walk; for a concrete action it is the same as matching.
        elif i in u.patterns and patterns_overlap(pattern, action):
            touches |= 1 << i
    return covers, touches


def _union(patterns: Iterable[str], which: int) -> int:
    out = 0
    for p in patterns:
        out |= _pattern_bits(p.lower())[which]
    return out


_COVERS, _TOUCHES = 0, 1


def _statement_bits(s: Statement) -> int:
    """For an Allow, the tracked actions it grants in full; for a Deny, those it touches."""
    all_bits = _universe().all_bits
    if s.effect is Effect.ALLOW:
        if s.actions:
            return _union(s.actions, _COVERS)
        return all_bits & ~_union(s.not_actions, _TOUCHES)
    if s.actions:
        return _union(s.actions, _TOUCHES)
    return all_bits & ~_union(s.not_actions, _COVERS)


def grants_action(s: Statement, action: str) -> bool:
    """True when Allow statement ``s`` covers ``action`` whatever its resource or condition.

    The same answer as ``s.covers_action`` but, for the actions this module tracks
    (``iam:PassRole``, ``sts:AssumeRole``, the methods'), from the cached pattern bit sets:
    a statement of ReadOnlyAccess lists thousands of patterns.
    """
    u = _universe()
    index = u.index.get(action.lower())
    if s.effect is not Effect.ALLOW:
        return False
    if index is None:
        return s.covers_action(action)
    return bool(_statement_bits(s) >> index & 1)


def grants_everything(s: Statement) -> bool:
    """True when ``s`` names every action (``*`` / ``*:*`` in ``Action``)."""
    return bool(s.actions) and _covers_all(s.actions)


# --- resources and conditions ------------------------------------------------------------

# ``arn:PARTITION:SERVICE:REGION:ACCOUNT:`` then an optional resource type and only stars.
_BROAD_ARN = re.compile(r"^arn:[^:]*:[^:]*:[^:]*:[^:]*:(?:[A-Za-z0-9._-]+[/:])?\*+$")


def is_broad_resource(pattern: str) -> bool:
    """True for ``*`` and patterns covering every resource of a type in some account.

    ``*``, ``arn:*``, ``arn:aws:iam::*:role/*``, ``arn:aws:lambda:*:*:function:*`` are
    broad; ``arn:aws:iam::*:role/app-*``, ``role/service-role/*`` and
    ``user/${aws:username}`` are not.
    """
    return (
        resource_matches(pattern, "*")
        or resource_matches(pattern, "arn:*")
        or bool(_BROAD_ARN.match(pattern))
    )


def broad_resources(s: Statement) -> tuple[str, ...]:
    """The broad patterns among a statement's ``Resource`` (``("*",)`` when it has none).

    A ``NotResource`` statement counts as broad (shown as ``NotResource``) unless it
    excludes a broad pattern itself: it applies to everything but the named resources.
    """
    if s.resources:
        return tuple(p for p in s.resources if is_broad_resource(p))
    if s.not_resources:
        return () if any(is_broad_resource(p) for p in s.not_resources) else ("NotResource",)
    return ("*",)


# Operators that narrow a key to the listed values; negated ones (StringNotEquals, Null, ...)
# leave everything else allowed, so they restrict nothing.
_POSITIVE_OPERATORS = (
    "stringequals",
    "stringequalsignorecase",
    "stringlike",
    "arnequals",
    "arnlike",
)


def restricts(condition: Condition, keys: Sequence[str]) -> bool:
    """True when ``condition`` pins one of ``keys`` (lower-case; ``x/`` matches a prefix).

    Pinned means a positive string or ARN operator, not ``…IfExists`` (absent key passes),
    and at least one value that is not made only of wildcards (``*`` restricts nothing).
    """
    key = condition.key.lower()
    if not any(key == k or (k.endswith("/") and key.startswith(k)) for k in keys):
        return False
    if condition.if_exists or condition.base_operator.lower() not in _POSITIVE_OPERATORS:
        return False
    return any(v.strip("*?") for v in condition.values)


# --- compiled policies -------------------------------------------------------------------


class _Kind(enum.Enum):
    FULL = "full"  # * / *:* on *
    IAM = "iam"  # iam:* on *
    NOT_ACTION = "not_action"  # everything but a list, on *


@dataclass(frozen=True)
class _Grant:
    """An admin-equivalent grant, or what is left of one after Denies and a boundary."""

    kind: _Kind
    excluded: tuple[str, ...] = ()

    @property
    def touches_iam(self) -> bool:
        return any(patterns_overlap(x, _IAM_ALL) for x in self.excluded)


_FULL_GRANT = _Grant(_Kind.FULL)


@lru_cache(maxsize=65536)
def _pattern_reach(pattern: str) -> tuple[bool, bool]:
    """(covers every action, covers ``iam:*``) for one action pattern, cached: the same
    few thousand patterns recur across every AWS managed policy."""
    return action_matches(pattern, _ALL), action_matches(pattern, _IAM_ALL)


def _covers_all(patterns: Iterable[str]) -> bool:
    return any(_pattern_reach(p)[0] for p in patterns)


def _covers_iam(patterns: Iterable[str]) -> bool:
    return any(_pattern_reach(p)[1] for p in patterns)


def _admin_grant(s: Statement) -> _Grant | None:
    """The admin form of an unconditional Allow on ``*``, if it has one."""
    if s.actions:
        if _covers_all(s.actions):
            return _FULL_GRANT
        return _Grant(_Kind.IAM) if _covers_iam(s.actions) else None
    if _covers_all(s.not_actions):  # excludes every action: grants nothing
        return None
    return _Grant(_Kind.NOT_ACTION, s.not_actions)


def _subtract(g: _Grant, deny: Statement) -> _Grant | None:
    """``g`` minus an unconditional Deny on ``*``; None when nothing admin is left."""
    if not deny.actions:
        return _keep_only(g, deny.not_actions)
    if _covers_all(deny.actions):
        return None
    if g.kind is _Kind.IAM:
        return None if _covers_iam(deny.actions) else g
    # Everything (or everything but X) minus some actions is a NotAction grant still.
    return _Grant(_Kind.NOT_ACTION, g.excluded + deny.actions)


def _keep_only(g: _Grant, kept: tuple[str, ...]) -> _Grant | None:
    """``g`` under a Deny of ``NotAction kept``, which denies all but ``kept``."""
    if _covers_all(kept):
        return g
    if not _covers_iam(kept) or (g.kind is _Kind.NOT_ACTION and g.touches_iam):
        return None
    return _Grant(_Kind.IAM)


def _intersect(g: _Grant, b: _Grant) -> _Grant | None:
    """What of grant ``g`` a boundary allowing ``b`` lets through, if still admin."""
    if b.kind is _Kind.FULL:
        return g
    if g.kind is _Kind.FULL:
        return b
    if g.kind is _Kind.NOT_ACTION and b.kind is _Kind.NOT_ACTION:
        return _Grant(_Kind.NOT_ACTION, g.excluded + b.excluded)
    if g.kind is _Kind.IAM and b.kind is _Kind.IAM:
        return g
    other = b if g.kind is _Kind.IAM else g  # one IAM, one NotAction
    return None if other.touches_iam else _Grant(_Kind.IAM)


@dataclass(frozen=True)
class _Compiled:
    """One policy document, read once for every question this module asks of it."""

    policy: Policy
    allow_bits: int  # tracked actions unconditionally allowed on a broad resource
    deny_bits: int  # tracked actions an unconditional Deny on a broad resource touches
    grants: tuple[_Grant, ...]  # admin forms of unconditional Allows on *
    full_denies: tuple[Statement, ...]  # unconditional Denies on *


def _compile(policy: Policy) -> _Compiled:
    allow_bits = deny_bits = 0
    grants: list[_Grant] = []
    full_denies: list[Statement] = []
    for s in policy.statements:
        if not s.unconditional:
            continue
        if broad_resources(s):
            if s.effect is Effect.ALLOW:
                allow_bits |= _statement_bits(s)
            else:
                deny_bits |= _statement_bits(s)
        if s.covers_resource("*"):
            if s.effect is Effect.DENY:
                full_denies.append(s)
            elif (grant := _admin_grant(s)) is not None:
                grants.append(grant)
    return _Compiled(policy, allow_bits, deny_bits, tuple(grants), tuple(full_denies))


_ADMIN_COMPILED = _compile(
    parse_policy({"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}})
)


# --- per principal -----------------------------------------------------------------------


@dataclass(frozen=True)
class _Held:
    """One held policy and its compiled document (None: known by ARN only)."""

    policy: EffectivePolicy
    compiled: _Compiled | None


@dataclass(frozen=True)
class _PrincipalFacts:
    held: tuple[_Held, ...]
    boundary: _Compiled | None
    admin: tuple[EffectivePolicy, ...]
    effective_bits: int
    escalations: tuple[EscalationMatch, ...]


class PrivilegeAnalysis:
    """Privilege questions about one account's users, groups and roles, all cached.

    Get one with ``privilege_analysis(details)``, which shares it between the checks and
    the analyzer's context rule for the same snapshot.
    """

    def __init__(self, details: AuthorizationDetails) -> None:
        self.details = details
        # The engine's parse cache is the one every check of this snapshot shares.
        self.engine = PolicyEngine(details)
        self._compiled: ByIdentity[object, _Compiled] = ByIdentity()
        self._facts: dict[str, _PrincipalFacts] = {}
        self._by_arn: dict[str, IamPrincipal] | None = None

    # --- documents ---

    def compiled(self, document: object) -> _Compiled:
        """The compiled form of ``document``, parsed once per document object."""
        return self._compiled.get(document, self._compile_document)

    def _compile_document(self, document: object) -> _Compiled:
        return _compile(self.engine.parse(document))

    def parse(self, document: object) -> Policy:
        """``parse_policy`` with this analysis' cache."""
        return self.engine.parse(document)

    def grants_full_admin(self, held: EffectivePolicy) -> bool:
        """True when the one policy ``held`` allows ``*`` / ``*:*`` on ``*`` with no
        condition (AdministratorAccess by ARN too): PERM-002's question, from the cache."""
        compiled = self._held_compiled(held)
        return compiled is not None and any(g.kind is _Kind.FULL for g in compiled.grants)

    def _held_compiled(self, held: EffectivePolicy) -> _Compiled | None:
        if held.arn is not None and is_full_admin_policy_arn(held.arn):
            return _ADMIN_COMPILED
        return self.compiled(held.document) if held.document is not None else None

    def _boundary(self, principal: IamPrincipal) -> _Compiled | None:
        arn = getattr(principal, "permissions_boundary_arn", None)
        if not arn:
            return None
        if is_full_admin_policy_arn(arn):
            return _ADMIN_COMPILED
        managed = self.details.policy(arn)
        return self.compiled(managed.document) if managed is not None else None

    # --- principals ---

    def _facts_of(self, principal: IamPrincipal) -> _PrincipalFacts:
        hit = self._facts.get(principal.arn)
        if hit is not None:
            return hit
        held = tuple(
            _Held(p, self._held_compiled(p)) for p in effective_documents(principal, self.details)
        )
        boundary = self._boundary(principal)
        admin = _admin_policies(held, boundary)
        bits = _effective_bits(held, boundary)
        escalations = () if admin else _escalations(held, bits)
        facts = _PrincipalFacts(held, boundary, admin, bits, escalations)
        self._facts[principal.arn] = facts
        return facts

    def held_policies(self, principal: IamPrincipal) -> tuple[EffectivePolicy, ...]:
        """Every policy that can grant ``principal`` permissions (boundaries excluded)."""
        return tuple(h.policy for h in self._facts_of(principal).held)

    def admin_policies(self, principal: IamPrincipal) -> tuple[EffectivePolicy, ...]:
        """The held policies that make ``principal`` admin-equivalent (empty if none)."""
        return self._facts_of(principal).admin

    def admin_grants(self, principal: IamPrincipal) -> tuple[str, ...]:
        """Labels of the policies that make ``principal`` admin-equivalent (empty if none)."""
        return tuple(p.label for p in self._facts_of(principal).admin)

    def is_admin_equivalent(self, principal: IamPrincipal) -> bool:
        """True when ``principal`` effectively holds an admin-equivalent grant."""
        return bool(self._facts_of(principal).admin)

    def escalation_methods(self, principal: IamPrincipal) -> tuple[EscalationMatch, ...]:
        """The escalation methods ``principal`` can use; empty for admin-equivalents."""
        return self._facts_of(principal).escalations

    def can_escalate(self, principal: IamPrincipal) -> bool:
        """True when a non-admin ``principal`` matches at least one escalation method."""
        return bool(self._facts_of(principal).escalations)

    def allows(self, principal: IamPrincipal, action: str) -> bool:
        """True when ``principal`` effectively holds ``action`` (a name or a pattern meaning
        all it matches) on a broad resource, unconditionally, after Denies and boundary.
        """
        facts = self._facts_of(principal)
        u = _universe()
        if action.lower() in u.index:
            return bool(facts.effective_bits & u.bit(action))
        return _allows_slow(facts, action)

    def effective_actions(self, principal: IamPrincipal) -> frozenset[str]:
        """The tracked actions (those the escalation methods and PERM-006 name, lower-case)
        that ``principal`` effectively holds on a broad resource."""
        bits = self._facts_of(principal).effective_bits
        return frozenset(a for i, a in enumerate(_universe().actions) if bits >> i & 1)

    def unreadable(self, principal: IamPrincipal) -> dict[str, list[str]]:
        """``{policy ref: problems}`` for held policies (or boundary) not fully readable."""
        facts = self._facts_of(principal)
        out = {
            h.policy.ref: list(h.compiled.policy.problems)
            for h in facts.held
            if h.compiled is not None and h.compiled.policy.problems
        }
        if facts.boundary is not None and facts.boundary.policy.problems:
            arn = getattr(principal, "permissions_boundary_arn", None) or "boundary"
            out[arn] = list(facts.boundary.policy.problems)
        return out

    def holds_policy(self, principal: IamPrincipal, policy_name: str) -> bool:
        """True when ``principal`` holds the AWS managed policy ``policy_name`` (any path,
        any partition; through a group for a user). Boundaries do not count."""
        return any(
            p.arn is not None
            and ":iam::aws:policy/" in p.arn
            and p.arn.rsplit("/", 1)[-1] == policy_name
            for p in self.held_policies(principal)
        )

    def principal_by_arn(self, arn: str) -> IamPrincipal | None:
        """The user, group or role with this ARN, or None."""
        if self._by_arn is None:
            index: dict[str, IamPrincipal] = {}
            for kind in (self.details.users, self.details.groups, self.details.roles):
                for p in kind:
                    index.setdefault(p.arn, p)
            self._by_arn = index
        return self._by_arn.get(arn)

    def principals(self) -> tuple[IamPrincipal, ...]:
        """Every user, group and role, in that order."""
        return (*self.details.users, *self.details.groups, *self.details.roles)


def _admin_policies(
    held: Sequence[_Held], boundary: _Compiled | None
) -> tuple[EffectivePolicy, ...]:
    denies = [d for h in held if h.compiled is not None for d in h.compiled.full_denies]
    if boundary is not None:
        denies.extend(boundary.full_denies)
    return tuple(
        h.policy
        for h in held
        if h.compiled is not None
        and any(_survives(grant, denies, boundary) for grant in h.compiled.grants)
    )


def _survives(grant: _Grant, denies: Sequence[Statement], boundary: _Compiled | None) -> bool:
    candidates: list[_Grant]
    if boundary is None:
        candidates = [grant]
    else:
        candidates = [g for b in boundary.grants if (g := _intersect(grant, b)) is not None]
    return any(_after_denies(left, denies) for left in candidates)


def _after_denies(grant: _Grant, denies: Sequence[Statement]) -> bool:
    current = grant
    for deny in denies:
        left = _subtract(current, deny)
        if left is None:
            return False
        current = left
    return True


def _effective_bits(held: Sequence[_Held], boundary: _Compiled | None) -> int:
    allow = deny = 0
    for h in held:
        if h.compiled is not None:
            allow |= h.compiled.allow_bits
            deny |= h.compiled.deny_bits
    if boundary is not None:
        allow &= boundary.allow_bits
        deny |= boundary.deny_bits
    return allow & ~deny


@cache
def _method_bits() -> tuple[tuple[EscalationMethod, int], ...]:
    u = _universe()
    return tuple((m, u.bits(m.actions)) for m in escalation_methods_catalog())


def _escalations(held: Sequence[_Held], bits: int) -> tuple[EscalationMatch, ...]:
    out: list[EscalationMatch] = []
    for method, needed in _method_bits():
        if bits & needed != needed:
            continue
        labels = tuple(
            dict.fromkeys(
                h.policy.label
                for h in held
                if h.compiled is not None and h.compiled.allow_bits & needed
            )
        )
        out.append(EscalationMatch(method.name, method.actions, labels))
    return tuple(out)


def _allows_slow(facts: _PrincipalFacts, action: str) -> bool:
    """``allows`` for an action outside the tracked set: the same rules, statement by
    statement."""

    def unconditional(policy: Policy, effect: Effect) -> bool:
        # An Allow must cover all that ``action`` stands for; a Deny touching any of it counts.
        return any(
            s.effect is effect
            and s.unconditional
            and broad_resources(s)
            and (s.covers_action(action) if effect is Effect.ALLOW else s.touches_action(action))
            for s in policy.statements
        )

    def allowed_by(policy: Policy) -> bool:
        return unconditional(policy, Effect.ALLOW)

    def denied_by(policy: Policy) -> bool:
        return unconditional(policy, Effect.DENY)

    compiled = [h.compiled for h in facts.held if h.compiled is not None]
    if not any(allowed_by(c.policy) for c in compiled):
        return False
    if facts.boundary is not None and not allowed_by(facts.boundary.policy):
        return False
    denying = [*compiled, *([facts.boundary] if facts.boundary is not None else [])]
    return not any(denied_by(c.policy) for c in denying)


# --- one analysis per authorization details ----------------------------------------------

_CACHE: dict[int, tuple[AuthorizationDetails, PrivilegeAnalysis]] = {}
_CACHE_LIMIT = 8
_CACHE_LOCK = threading.Lock()


def privilege_analysis(details: AuthorizationDetails) -> PrivilegeAnalysis:
    """The analysis of ``details``, shared by every caller holding the same object.

    Keyed by the object's identity and holding a reference to it (so the id cannot be
    reused); a few recent snapshots are kept, enough for an Organization run's accounts
    one after another without growing without bound.
    """
    with _CACHE_LOCK:
        hit = _CACHE.get(id(details))
        if hit is not None and hit[0] is details:
            return hit[1]
        analysis = PrivilegeAnalysis(details)
        if len(_CACHE) >= _CACHE_LIMIT:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[id(details)] = (details, analysis)
        return analysis


def has_privilege_analysis(details: AuthorizationDetails) -> bool:
    """Whether the analysis of ``details`` is cached."""
    return is_cached(_CACHE, _CACHE_LOCK, details)


def forget_privilege_analysis(details: AuthorizationDetails) -> bool:
    """Drop the cached analysis of ``details``, if any; True when there was one.

    ``auditor.analyze`` drops what it built once the findings are made, so the parsed and
    compiled policies of a large account do not stay in memory while reports are written.
    """
    return forget(_CACHE, _CACHE_LOCK, details)


def is_service_linked(principal: IamPrincipal) -> bool:
    """True for a service-linked role: only its AWS service assumes it, nobody edits it."""
    return isinstance(principal, Role) and principal.service_linked
