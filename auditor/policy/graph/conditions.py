"""Deciding policy conditions for one attack step, where IAM's semantics decide them.

A key is *known* (the request fixes it), *chosen* (the caller sets it: request tags, session
name, ExternalId...) or *unknown* (the snapshot cannot show it, MFA included). An Allow
applies when every condition can hold and is flagged when one is unknown; a Deny applies only
when every condition is forced true, as ``auditor.policy.privilege`` treats conditional Denies.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterable
from dataclasses import dataclass

from auditor.policy.document import Condition, Statement, patterns_overlap, resource_matches


class Verdict(enum.IntEnum):
    """Whether a statement applies to a step; ordered from best to worst for the attacker."""

    HOLDS = 0
    UNDECIDED = 1
    NEVER = 2


class CallerKind(enum.Enum):
    """Who sends the request, as far as condition keys about the principal go."""

    USER = "user"
    ROLE = "role"
    GROUP = "group"  # a member of the group, not known which
    ACCOUNT = "account"  # some principal of another account
    FEDERATED = "federated"  # a web-identity or SAML caller (no AWS principal yet)
    SERVICE = "service"  # an AWS service assuming a role for a resource of this account
    ANYONE = "anyone"


@dataclass(frozen=True)
class Caller:
    """The principal a request comes from; only what condition keys about it read."""

    kind: CallerKind
    arn: str | None = None
    name: str | None = None
    unique_id: str | None = None
    account_id: str | None = None
    claim_prefixes: tuple[str, ...] = ()  # federation claims that define the caller node
    tags: tuple[tuple[str, str], ...] = ()  # the principal's tags, for policy variables


@dataclass(frozen=True)
class Context:
    """One step's request: its action, caller and target, and what the step fixes.

    ``service`` is the service principal a role is passed to (pass-role steps) or that
    assumes it (trust of a service); ``target_boundary`` the permissions boundary ARN of the
    user or role whose policies the action writes (``""`` for none, None when unknown).
    ``tag_session`` says the trust policy lets callers tag sessions (``sts:TagSession``).
    """

    action: str  # lower-case
    account_id: str
    caller: Caller | None = None
    service: str | None = None
    target_arn: str | None = None
    target_boundary: str | None = None
    in_trust: bool = False
    tag_session: bool = False
    admin_policy_arns: tuple[str, ...] = ()


class _Read(enum.Enum):
    KNOWN = "known"
    CHOSEN = "chosen"
    UNKNOWN = "unknown"


# Keys holding a value in every request an attacker sends directly.
_ALWAYS_PRESENT = frozenset(
    {
        "aws:sourceip",
        "aws:currenttime",
        "aws:epochtime",
        "aws:securetransport",
        "aws:principalarn",
        "aws:principalaccount",
        "aws:principaltype",
        "aws:userid",
        "aws:useragent",
        "aws:requestedregion",
    }
)
# Keys read from the caller's identity: a statement using them differs from one caller to
# the next, so the engine evaluates it per caller.
CALLER_KEYS = frozenset({"aws:principalarn", "aws:username", "aws:userid", "aws:principaltype"})
# Keys read from the step's target (the principal whose policies an action writes).
TARGET_KEYS = frozenset({"iam:permissionsboundary"})

_ATTACH_ACTIONS = frozenset(
    {"iam:attachuserpolicy", "iam:attachrolepolicy", "iam:attachgrouppolicy"}
)
_BOUNDARY_READ_ACTIONS = frozenset(
    {
        "iam:attachuserpolicy",
        "iam:putuserpolicy",
        "iam:attachrolepolicy",
        "iam:putrolepolicy",
        "iam:deleteuserpermissionsboundary",
        "iam:deleterolepermissionsboundary",
    }
)
_BOUNDARY_SET_ACTIONS = frozenset(
    {"iam:putuserpermissionsboundary", "iam:putrolepermissionsboundary"}
)
_STS_CHOSEN = frozenset(
    {"sts:externalid", "sts:rolesessionname", "sts:sourceidentity", "sts:transitivetagkeys"}
)
# Verbs of actions that create a resource and take its tags in the same request; IAM's own
# actions here (CreateAccessKey, CreatePolicyVersion...) take none.
_TAGGING_VERBS = ("create", "run", "register", "requestspot", "submit", "startrun")


def _takes_tags(action: str) -> bool | None:
    service, _, verb = action.partition(":")
    if service in ("iam", "sts"):
        return False if service == "iam" else None
    return True if verb.startswith(_TAGGING_VERBS) else None


@dataclass(frozen=True)
class _Reading:
    read: _Read
    value: str | None = None  # KNOWN: the value, None when absent
    domain: tuple[str, ...] | None = None  # CHOSEN among these values only (None: any)
    patterns: tuple[str, ...] = ()  # CHOSEN: any value these wildcard patterns match
    note: str | None = None


_UNKNOWN = _Reading(_Read.UNKNOWN)
_ABSENT = _Reading(_Read.KNOWN, None)
_FREE = _Reading(_Read.CHOSEN)


def _reading(key: str, ctx: Context) -> _Reading:  # noqa: PLR0911, PLR0912 (one rule a key)
    caller = ctx.caller
    kind = caller.kind if caller is not None else None
    if caller is not None and any(key.startswith(p) for p in caller.claim_prefixes):
        return _FREE  # a claim the federated caller node is defined by
    if key == "iam:passedtoservice":
        if ctx.action != "iam:passrole":
            return _ABSENT
        return _Reading(_Read.KNOWN, ctx.service) if ctx.service else _UNKNOWN
    if key == "iam:policyarn":
        if ctx.action not in _ATTACH_ACTIONS:
            return _ABSENT
        return _Reading(_Read.CHOSEN, domain=ctx.admin_policy_arns)
    if key == "iam:permissionsboundary":
        if ctx.action in _BOUNDARY_SET_ACTIONS:
            return _FREE
        if ctx.action not in _BOUNDARY_READ_ACTIONS:
            return _ABSENT
        if ctx.target_boundary is None:
            return _UNKNOWN
        return _Reading(_Read.KNOWN, ctx.target_boundary or None)
    if key.startswith("aws:requesttag/") or key == "aws:tagkeys":
        if ctx.in_trust:
            # Session tags need sts:TagSession in the trust policy; without it, none is sent.
            return _FREE if ctx.tag_session else _ABSENT
        takes = _takes_tags(ctx.action)
        return _FREE if takes else _ABSENT if takes is False else _UNKNOWN
    if key in _STS_CHOSEN:
        if ctx.in_trust or ctx.action.startswith("sts:assumerole"):
            note = None
            if key == "sts:externalid":
                note = (
                    "sts:ExternalId is pinned, which does not stop the trusted account "
                    "itself (it knows the id), nor anyone who can read the trust policy"
                )
            return _Reading(_Read.CHOSEN, note=note)
        return _ABSENT
    if key == "aws:resourceaccount":
        return _Reading(_Read.KNOWN, ctx.account_id)
    if key == "aws:securetransport":
        return _Reading(_Read.KNOWN, "true")  # IAM and STS only answer over TLS
    if key == "aws:requestedregion":
        return _FREE if not ctx.action.startswith("iam:") else _UNKNOWN
    if key == "aws:sourceaccount":
        if ctx.in_trust and kind is CallerKind.SERVICE:
            return _Reading(_Read.KNOWN, ctx.account_id)
        return _UNKNOWN
    if key in ("aws:multifactorauthpresent", "aws:multifactorauthage"):
        if ctx.in_trust and kind is CallerKind.ACCOUNT:
            return _Reading(
                _Read.CHOSEN,
                note="MFA is required of the other account's principal, which that account "
                "controls",
            )
        return _UNKNOWN
    return _caller_reading(key, ctx)


def _caller_reading(key: str, ctx: Context) -> _Reading:  # noqa: PLR0911, PLR0912 (one rule a key)
    caller = ctx.caller
    if caller is None:
        return _UNKNOWN
    kind = caller.kind
    if key == "aws:principalaccount":
        if kind in (CallerKind.USER, CallerKind.ROLE, CallerKind.GROUP):
            return _Reading(_Read.KNOWN, ctx.account_id)
        if kind is CallerKind.ACCOUNT:
            return _Reading(_Read.KNOWN, caller.account_id)
        return _UNKNOWN
    if key == "aws:principalarn":
        if kind in (CallerKind.USER, CallerKind.ROLE) and caller.arn:
            return _Reading(_Read.KNOWN, caller.arn)
        if kind is CallerKind.ACCOUNT and caller.account_id:
            return _Reading(_Read.CHOSEN, patterns=(f"arn:*:iam::{caller.account_id}:*",))
        return _UNKNOWN
    if key == "aws:principaltype":
        if kind is CallerKind.USER:
            return _Reading(_Read.KNOWN, "User")
        if kind is CallerKind.ROLE:
            return _Reading(_Read.KNOWN, "AssumedRole")
        return _UNKNOWN
    if key == "aws:username":
        if kind is CallerKind.USER:
            return _Reading(_Read.KNOWN, caller.name)
        return _ABSENT if kind is CallerKind.ROLE else _UNKNOWN
    if key == "aws:userid":
        if kind is CallerKind.USER:
            return _Reading(_Read.KNOWN, caller.unique_id)
        if kind is CallerKind.ROLE and caller.unique_id:
            # ROLEID:SESSION, and the session name is the caller's to choose.
            return _Reading(_Read.CHOSEN, patterns=(f"{caller.unique_id}:*",))
        return _UNKNOWN
    return _UNKNOWN


# --- operators ---------------------------------------------------------------------------

_NEGATED = frozenset(
    {
        "stringnotequals",
        "stringnotequalsignorecase",
        "stringnotlike",
        "arnnotequals",
        "arnnotlike",
        "numericnotequals",
        "datenotequals",
        "notipaddress",
    }
)


def _absent_passes(c: Condition) -> bool:
    op = c.base_operator.lower()
    if op == "null":
        return any(v.lower() == "true" for v in c.values)
    qualifier = (c.set_qualifier or "").lower()
    if c.if_exists or qualifier == "forallvalues":
        return True
    if qualifier == "foranyvalue":
        return False
    return op in _NEGATED


def _value_passes(c: Condition, value: str) -> bool | None:
    """The condition on a present key of value ``value``; None when not decidable here."""
    op = c.base_operator.lower()
    if op == "null":
        return any(v.lower() == "false" for v in c.values)
    negated = op in _NEGATED
    base = op.replace("not", "", 1) if negated else op
    if base == "stringequals":
        hit = value in c.values
    elif base == "stringequalsignorecase":
        hit = value.lower() in (v.lower() for v in c.values)
    elif base in ("stringlike", "arnlike", "arnequals"):  # ArnEquals takes wildcards too
        hit = any(resource_matches(v, value) for v in c.values)
    elif base == "bool":
        hit = value.lower() in (v.lower() for v in c.values)
    else:
        return None
    return not hit if negated else hit


def _pattern_passes(c: Condition, pattern: str) -> tuple[bool, bool] | None:
    """(can pass, can fail) for a key whose value is any string matching ``pattern``."""
    op = c.base_operator.lower()
    if op == "null":
        return (any(v.lower() == "false" for v in c.values), True)
    negated = op in _NEGATED
    base = op.replace("not", "", 1) if negated else op
    if base not in ("stringequals", "stringlike", "arnequals", "arnlike"):
        return None
    overlap = any(patterns_overlap(v, pattern, ignore_case=False) for v in c.values)
    covered = any(resource_matches(v, pattern) for v in c.values)
    if negated:
        return (not covered, overlap)
    return (overlap, not covered)


def _matches_anything(c: Condition) -> bool:
    op = c.base_operator.lower()
    return op in ("stringlike", "arnlike") and any(v and not v.strip("*") for v in c.values)


@dataclass(frozen=True)
class Outcome:
    """One condition for one step: whether it can hold and whether it can fail.

    ``can_hold`` / ``can_fail`` are None when the snapshot does not tell. A condition the
    caller sets can both hold and fail; one the request fixes does exactly one.
    """

    can_hold: bool | None
    can_fail: bool | None
    note: str | None = None


def outcome(c: Condition, ctx: Context) -> Outcome:
    """Read one condition for the step ``ctx``."""
    r = _reading(c.key, ctx)
    if r.read is _Read.KNOWN:
        result = _absent_passes(c) if r.value is None else _value_passes(c, r.value)
        if result is None:
            return Outcome(None, None)
        return Outcome(result, not result, r.note)
    if r.read is _Read.CHOSEN:
        return _chosen_outcome(c, r)
    if c.key in _ALWAYS_PRESENT and _matches_anything(c) and c.base_operator.lower() != "null":
        negated = c.base_operator.lower() in _NEGATED
        return Outcome(not negated, negated)
    return Outcome(None, None)


def _chosen_outcome(c: Condition, r: _Reading) -> Outcome:
    if r.domain is not None:
        # Only these values help the attacker (the admin policies it would attach); the key
        # is always sent with the action.
        results = [_value_passes(c, v) for v in r.domain]
        if any(x is None for x in results):
            return Outcome(None, None, r.note)
        return Outcome(any(results), not all(results), r.note)
    if r.patterns:
        outcomes = [_pattern_passes(c, p) for p in r.patterns]
        if any(o is None for o in outcomes):
            return Outcome(None, None, r.note)
        decided = [o for o in outcomes if o is not None]
        return Outcome(any(o[0] for o in decided), any(o[1] for o in decided), r.note)
    # Any value or none at all: sending a listed value (or, for negated operators, any
    # other one) or leaving the key out satisfies every operator but a contradiction.
    can_hold = bool(c.values) or _absent_passes(c)
    return Outcome(can_hold, True, r.note)


def describe(c: Condition) -> str:
    """``StringEquals aws:SourceIp "10.0.0.0/8"`` as written (values JSON-quoted)."""
    shown = ", ".join(json.dumps(v) for v in c.values[:4])
    if len(c.values) > 4:
        shown += f", +{len(c.values) - 4} more"
    return f"{c.operator} {c.key} {shown}"


@dataclass(frozen=True)
class Applies:
    """Whether one statement applies to one step, with what was left undecided."""

    verdict: Verdict
    undecided: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


_ALWAYS = Applies(Verdict.HOLDS)


def allow_applies(conditions: Iterable[Condition], ctx: Context) -> Applies:
    """An ``Allow``'s conditions for one step: NEVER if one cannot hold, HOLDS if all can."""
    undecided: list[str] = []
    notes: list[str] = []
    for c in conditions:
        o = outcome(c, ctx)
        if o.can_hold is False:
            return Applies(Verdict.NEVER)
        if o.can_hold is None:
            undecided.append(describe(c))
        if o.note:
            notes.append(o.note)
    if not undecided and not notes:
        return _ALWAYS
    verdict = Verdict.UNDECIDED if undecided else Verdict.HOLDS
    return Applies(verdict, tuple(undecided), tuple(dict.fromkeys(notes)))


def deny_applies(conditions: Iterable[Condition], ctx: Context) -> bool:
    """True when a ``Deny``'s conditions are all forced true for this step."""
    return all(outcome(c, ctx).can_fail is False for c in conditions)


def reads_caller(statement: Statement) -> bool:
    """True when a statement's conditions or resources depend on who the caller is."""
    if any(c.key in CALLER_KEYS for c in statement.conditions):
        return True
    return any("${" in r for r in (*statement.resources, *statement.not_resources))


def reads_target(statement: Statement) -> bool:
    """True when a statement's conditions depend on the step's target principal."""
    return any(c.key in TARGET_KEYS for c in statement.conditions)
