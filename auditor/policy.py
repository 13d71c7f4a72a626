"""IAM policy documents: normalisation, wildcard matching and a small evaluation engine.

Every policy question the checks ask goes through here, so that "does this grant ``*:*``",
"which policies does alice hold" and, later, trust-policy and privilege-escalation analysis
share one reading of IAM's loose JSON. ``parse_policy`` turns any document (``Statement``
a dict or a list, ``Action`` a string or a list, ``Principal`` ``"*"`` or a dict) into a
``Policy`` of frozen ``Statement``s and never raises: a statement it cannot read is recorded
in ``Policy.problems`` and left out, because a crash on one hostile policy would blind the
whole audit. Action patterns match case-insensitively with ``*`` and ``?`` as IAM does;
a *required* action may itself be a pattern (``iam:Put*``), meaning "all of them".
``PolicyEngine`` resolves what a user, group or role holds (inline, attached, and for a
user its groups'; permissions boundaries never grant) and caches parsed documents, so an
account of thousands of principals sharing one managed policy parses it once.
"""

from __future__ import annotations

import enum
import json
import urllib.parse
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from auditor.snapshot import AuthorizationDetails, Group, PolicyDocument, Role, User

__all__ = [
    "Condition",
    "Decision",
    "Effect",
    "EffectivePolicy",
    "IamPrincipal",
    "Policy",
    "PolicyEngine",
    "Principal",
    "Statement",
    "action_matches",
    "effective_documents",
    "evaluate",
    "grants_full_admin",
    "is_aws_policy",
    "is_full_admin_policy_arn",
    "parse_policy",
    "patterns_overlap",
    "resource_matches",
]

# The AWS managed policy whose document is exactly Allow * on *: recognised by ARN too, so a
# principal holding it is reported even when its document was not collected.
FULL_ADMIN_POLICY_NAME = "AdministratorAccess"


class Effect(enum.Enum):
    """A statement's effect."""

    ALLOW = "Allow"
    DENY = "Deny"


class Decision(enum.Enum):
    """The outcome of evaluating a request against a set of policies.

    ``CONDITIONAL_ALLOW`` means only statements with conditions allow it: whether the
    request succeeds depends on the request context, which a static audit cannot know.
    """

    EXPLICIT_DENY = "explicit_deny"
    ALLOW = "allow"
    CONDITIONAL_ALLOW = "conditional_allow"
    IMPLICIT_DENY = "implicit_deny"


@dataclass(frozen=True)
class Principal:
    """One principal of a ``Principal`` / ``NotPrincipal`` element.

    ``kind`` is ``AWS``, ``Service``, ``Federated``, ``CanonicalUser`` or, for the bare
    ``"Principal": "*"`` form, ``*``; ``value`` is as written (a bare 12-digit account id is
    kept as is: turning it into a root ARN needs the partition, which is the caller's).
    """

    kind: str
    value: str

    @property
    def is_wildcard(self) -> bool:
        """``"*"`` and ``{"AWS": "*"}`` both mean anyone."""
        return self.value == "*" and self.kind in ("*", "AWS")


@dataclass(frozen=True)
class Condition:
    """One ``operator -> key -> values`` entry of a ``Condition`` block.

    ``key`` is lower-cased (condition keys are case-insensitive in IAM); ``values`` are
    strings (JSON booleans and numbers become ``"true"`` / ``"12"``), in document order.
    """

    operator: str
    key: str
    values: tuple[str, ...]

    @property
    def set_qualifier(self) -> str | None:
        """``ForAnyValue`` or ``ForAllValues`` when the operator carries one."""
        head, sep, _ = self.operator.partition(":")
        return head if sep and head.lower() in ("foranyvalue", "forallvalues") else None

    @property
    def if_exists(self) -> bool:
        """True for ``…IfExists`` operators, which do not pin a key that is absent."""
        return self.operator.lower().endswith("ifexists")

    @property
    def base_operator(self) -> str:
        """The operator without its set qualifier and ``IfExists`` suffix."""
        op = self.operator.partition(":")[2] if self.set_qualifier else self.operator
        return op[: -len("IfExists")] if self.if_exists else op


@dataclass(frozen=True)
class Statement:
    """One normalised policy statement.

    Exactly one of ``actions`` / ``not_actions`` is non-empty (a statement with neither is a
    problem, not a ``Statement``). Empty ``resources`` and ``not_resources`` mean the element
    was absent, as in trust policies: the statement then applies to any resource.
    ``index`` is the statement's position in the document, for messages.
    """

    effect: Effect
    actions: tuple[str, ...] = ()
    not_actions: tuple[str, ...] = ()
    resources: tuple[str, ...] = ()
    not_resources: tuple[str, ...] = ()
    principals: tuple[Principal, ...] = ()
    not_principals: tuple[Principal, ...] = ()
    conditions: tuple[Condition, ...] = ()
    sid: str | None = None
    index: int = 0

    @property
    def unconditional(self) -> bool:
        """True when the statement applies whatever the request context."""
        return not self.conditions

    def covers_action(self, action: str) -> bool:
        """True when every action matching ``action`` (itself possibly a pattern) is in scope.

        For ``NotAction`` that means no excluded pattern overlaps ``action`` at all.
        """
        if self.actions:
            return any(action_matches(p, action) for p in self.actions)
        return not any(patterns_overlap(p, action) for p in self.not_actions)

    def touches_action(self, action: str) -> bool:
        """True when at least one action matching ``action`` is in scope (partial grants)."""
        if self.actions:
            return any(patterns_overlap(p, action) for p in self.actions)
        return not any(action_matches(p, action) for p in self.not_actions)

    def covers_resource(self, resource: str) -> bool:
        """True when ``resource`` (an ARN, or a pattern such as ``*``) is in scope."""
        if self.resources:
            return any(resource_matches(p, resource) for p in self.resources)
        if self.not_resources:
            return not any(
                patterns_overlap(p, resource, ignore_case=False) for p in self.not_resources
            )
        return True

    def touches_resource(self, resource: str) -> bool:
        """True when at least one resource matching ``resource`` is in scope."""
        if self.resources:
            return any(patterns_overlap(p, resource, ignore_case=False) for p in self.resources)
        if self.not_resources:
            return not any(resource_matches(p, resource) for p in self.not_resources)
        return True


@dataclass(frozen=True)
class Policy:
    """A parsed policy document: its statements and what could not be read."""

    statements: tuple[Statement, ...] = ()
    problems: tuple[str, ...] = ()
    version: str | None = None

    @property
    def allows(self) -> tuple[Statement, ...]:
        """The ``Allow`` statements."""
        return tuple(s for s in self.statements if s.effect is Effect.ALLOW)

    @property
    def denies(self) -> tuple[Statement, ...]:
        """The ``Deny`` statements."""
        return tuple(s for s in self.statements if s.effect is Effect.DENY)

    def full_admin_statements(self) -> tuple[Statement, ...]:
        """Unconditional ``Allow`` of every action (``*`` or ``*:*``) on every resource."""
        return tuple(
            s
            for s in self.allows
            if s.unconditional and s.covers_action(_ALL_ACTIONS) and s.covers_resource("*")
        )

    def evaluate(self, action: str, resource: str = "*") -> Decision:
        """This document alone, for one request; see ``evaluate``."""
        return evaluate((self,), action, resource)


_ALL_ACTIONS = "*:*"


def evaluate(policies: Iterable[Policy], action: str, resource: str = "*") -> Decision:
    """Identity-policy logic for one request: explicit deny wins, then any allow.

    Only unconditional Deny statements deny here: a conditional deny may not apply to a
    given request, and an auditor asking "could this be allowed" must not assume it does.
    ``action`` and ``resource`` may be patterns (``iam:*``, ``*``): allow then means every
    matching request is allowed, and deny means some matching request is denied.
    """
    statements = [s for p in policies for s in p.statements]
    for s in statements:
        if (
            s.effect is Effect.DENY
            and s.unconditional
            and s.touches_action(action)
            and s.touches_resource(resource)
        ):
            return Decision.EXPLICIT_DENY
    allowing = [
        s
        for s in statements
        if s.effect is Effect.ALLOW and s.covers_action(action) and s.covers_resource(resource)
    ]
    if any(s.unconditional for s in allowing):
        return Decision.ALLOW
    if allowing:
        return Decision.CONDITIONAL_ALLOW
    return Decision.IMPLICIT_DENY


# --- wildcard matching -------------------------------------------------------------------


def action_matches(pattern: str, action: str) -> bool:
    """True when IAM action ``pattern`` matches ``action``, case-insensitively.

    ``action`` may be a concrete action (``iam:GetUser``) or itself a pattern (``iam:Get*``,
    ``*:*``); then the answer is whether ``pattern`` matches *every* action it stands for.
    ``*`` and ``*:*`` both match everything.
    """
    return _glob(pattern.lower(), action.lower())


def resource_matches(pattern: str, resource: str) -> bool:
    """Like ``action_matches`` for ARNs, which IAM compares case-sensitively."""
    return _glob(pattern, resource)


@lru_cache(maxsize=8192)
def _glob(pattern: str, text: str) -> bool:
    # The classic one-star-backtrack matcher: O(len * len) at worst, where a regex of many
    # ``.*`` could backtrack exponentially on a hostile pattern. ``?`` never consumes a
    # literal ``*`` of ``text`` (a required pattern), while ``*`` may: that is what makes
    # "pattern covers pattern" sound, so ``iam:?ut*`` does not claim to cover ``iam:*``.
    p = t = 0
    star, mark = -1, 0
    while t < len(text):
        if p < len(pattern) and pattern[p] == "*":
            star, mark = p, t
            p += 1
        elif p < len(pattern) and (pattern[p] == text[t] or (pattern[p] == "?" and text[t] != "*")):
            p += 1
            t += 1
        elif star >= 0:
            p, mark = star + 1, mark + 1
            t = mark
        else:
            return False
    while p < len(pattern) and pattern[p] == "*":
        p += 1
    return p == len(pattern)


def patterns_overlap(a: str, b: str, *, ignore_case: bool = True) -> bool:
    """True when some string matches both wildcard patterns ``a`` and ``b``."""
    if ignore_case:
        a, b = a.lower(), b.lower()
    return _overlap(a, b)


@lru_cache(maxsize=4096)
def _overlap(a: str, b: str) -> bool:
    # ok[i][j]: the suffixes a[i:] and b[j:] share a string. Filled back to front without
    # recursion, so a hostile 10 KB pattern cannot exhaust the stack.
    la, lb = len(a), len(b)
    nxt = [False] * (lb + 1)  # row i + 1
    for i in range(la, -1, -1):
        row = [False] * (lb + 1)
        for j in range(lb, -1, -1):
            if i == la and j == lb:
                row[j] = True
            elif i < la and a[i] == "*":
                row[j] = nxt[j] or (j < lb and row[j + 1])
            elif j < lb and b[j] == "*":
                row[j] = row[j + 1] or (i < la and nxt[j])
            elif i == la or j == lb:
                row[j] = False
            else:
                row[j] = (a[i] == b[j] or "?" in (a[i], b[j])) and nxt[j + 1]
        nxt = row
    return nxt[0]


# --- normalisation -----------------------------------------------------------------------


def parse_policy(document: object) -> Policy:
    """Normalise any policy document; never raises.

    Accepts a mapping, or JSON text (URL-encoded or not, as the IAM API returns it). A
    statement that cannot be read is left out and described in ``problems``: an Allow with an
    unreadable ``Condition`` must not be taken for an unconditional one.
    """
    problems: list[str] = []
    doc = _as_mapping(document, problems)
    if doc is None:
        return Policy(problems=tuple(problems))
    version = doc.get("Version")
    raw = doc.get("Statement")
    if raw is None:
        return Policy(problems=("document has no Statement",), version=_str_or_none(version))
    entries: list[Any]
    if isinstance(raw, Mapping):
        entries = [raw]
    elif isinstance(raw, list):
        entries = raw
    else:
        problems.append(f"Statement is a {type(raw).__name__}, not an object or a list")
        entries = []
    statements = []
    for index, entry in enumerate(entries):
        stmt = _parse_statement(entry, index, problems)
        if stmt is not None:
            statements.append(stmt)
    return Policy(tuple(statements), tuple(problems), _str_or_none(version))


def _as_mapping(document: object, problems: list[str]) -> Mapping[str, Any] | None:
    if isinstance(document, Mapping):
        return document
    if isinstance(document, (str, bytes)):
        text = document.decode("utf-8", "replace") if isinstance(document, bytes) else document
        if text.lstrip().startswith("%"):
            text = urllib.parse.unquote(text)
        try:
            loaded = json.loads(text)
        except (ValueError, RecursionError):
            problems.append("document is not valid JSON")
            return None
        if isinstance(loaded, Mapping):
            return loaded
        problems.append(f"document is a JSON {type(loaded).__name__}, not an object")
        return None
    problems.append(f"document is a {type(document).__name__}, not an object")
    return None


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None


class _Unreadable(ValueError):
    """One element of a statement cannot be read; the message says which and why."""


def _parse_statement(entry: object, index: int, problems: list[str]) -> Statement | None:
    if not isinstance(entry, Mapping):
        problems.append(f"statement {index} is a {type(entry).__name__}, not an object")
        return None
    sid = entry.get("Sid")
    sid = sid if isinstance(sid, str) and sid else None
    try:
        return _statement(entry, index, sid)
    except _Unreadable as exc:
        where = f"statement {index} ({sid})" if sid else f"statement {index}"
        problems.append(f"{where}: {exc}")
        return None


def _statement(entry: Mapping[str, Any], index: int, sid: str | None) -> Statement:
    effect = _parse_effect(entry.get("Effect"))
    fields = {
        key: _strings(key, entry[key])
        for key in ("Action", "NotAction", "Resource", "NotResource")
        if key in entry
    }
    if ("Action" in fields) == ("NotAction" in fields):
        raise _Unreadable("needs exactly one of Action and NotAction")
    if "Resource" in fields and "NotResource" in fields:
        raise _Unreadable("has both Resource and NotResource")
    return Statement(
        effect=effect,
        actions=fields.get("Action", ()),
        not_actions=fields.get("NotAction", ()),
        resources=fields.get("Resource", ()),
        not_resources=fields.get("NotResource", ()),
        principals=_parse_principals("Principal", entry.get("Principal")),
        not_principals=_parse_principals("NotPrincipal", entry.get("NotPrincipal")),
        conditions=_parse_conditions(entry.get("Condition")),
        sid=sid,
        index=index,
    )


def _parse_effect(value: object) -> Effect:
    # IAM rejects any other spelling on write; accepting case variants costs nothing.
    if isinstance(value, str):
        for effect in Effect:
            if value.strip().lower() == effect.value.lower():
                return effect
    raise _Unreadable(f"Effect {_short(value)} is neither Allow nor Deny")


def _short(value: object) -> str:
    # Containers are named by type only: repr of a hostile, deeply nested one could recurse.
    if value is None or isinstance(value, (str, int, float, bool)):
        text = repr(value)
        return text if len(text) <= 40 else text[:39] + "…"
    return f"a {type(value).__name__}"


def _strings(key: str, value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        if not value:
            raise _Unreadable(f"{key} is empty")
        return tuple(value)
    raise _Unreadable(f"{key} is not a string or a list of strings")


def _scalar(value: object) -> str:
    # JSON booleans are written lower-case in conditions ("true"); numbers as their digits.
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    raise _Unreadable(f"Condition value {_short(value)} is not a string, number or boolean")


def _parse_principals(element: str, value: object) -> tuple[Principal, ...]:
    if value is None:
        return ()
    if value == "*":
        return (Principal("*", "*"),)
    if not isinstance(value, Mapping):
        raise _Unreadable(f'{element} is not "*" or an object')
    out: list[Principal] = []
    for kind, raw in value.items():
        if not isinstance(kind, str):
            raise _Unreadable(f"{element} has a non-string key {_short(kind)}")
        out.extend(Principal(kind, v) for v in _strings(f"{element}.{kind}", raw))
    return tuple(out)


def _parse_conditions(value: object) -> tuple[Condition, ...]:
    if value is None:
        return ()
    if not isinstance(value, Mapping):
        raise _Unreadable("Condition is not an object of operator -> key -> values")
    out: list[Condition] = []
    for operator, block in value.items():
        if not isinstance(operator, str) or not isinstance(block, Mapping):
            raise _Unreadable(f"Condition operator {_short(operator)} does not map keys to values")
        for key, raw in block.items():
            if not isinstance(key, str):
                raise _Unreadable(f"Condition key {_short(key)} is not a string")
            items = raw if isinstance(raw, list) else [raw]
            out.append(Condition(operator, key.lower(), tuple(_scalar(v) for v in items)))
    return tuple(out)


def grants_full_admin(document: object) -> bool:
    """True when the document has an unconditional Allow of ``*`` / ``*:*`` on ``*``."""
    policy = document if isinstance(document, Policy) else parse_policy(document)
    return bool(policy.full_admin_statements())


# --- principals and the policies they hold -----------------------------------------------


@dataclass(frozen=True)
class EffectivePolicy:
    """One policy a principal holds, and how.

    ``arn`` is set for managed policies and None for inline ones; ``via_group`` names the
    group a user inherits it from. ``document`` is None when a managed policy's document was
    not in the authorization details (it is then known by ARN only).
    """

    name: str
    arn: str | None
    document: PolicyDocument | None
    via_group: str | None = None

    @property
    def inline(self) -> bool:
        """True for an inline (embedded) policy."""
        return self.arn is None

    @property
    def label(self) -> str:
        """How a finding names it: ``AdministratorAccess (managed, via group admins)``."""
        kind = "inline" if self.inline else "managed"
        via = f", via group {self.via_group}" if self.via_group else ""
        return f"{self.name} ({kind}{via})"

    @property
    def ref(self) -> str:
        """A stable reference for evidence: the ARN, or ``inline:NAME``."""
        return self.arn if self.arn is not None else f"inline:{self.name}"


IamPrincipal = User | Group | Role


def effective_documents(
    principal: IamPrincipal, details: AuthorizationDetails
) -> tuple[EffectivePolicy, ...]:
    """Every policy that can grant ``principal`` permissions.

    A user holds its inline and attached policies and those of each of its groups; a group
    or a role its own. Permissions boundaries only limit, so they are never included.
    """
    out = list(_own_policies(principal, details, via_group=None))
    if isinstance(principal, User):
        for name in principal.groups:
            group = details.group(name)
            if group is not None:
                out.extend(_own_policies(group, details, via_group=group.name))
    return tuple(out)


def _own_policies(
    principal: IamPrincipal, details: AuthorizationDetails, via_group: str | None
) -> Iterable[EffectivePolicy]:
    for inline in principal.inline_policies:
        yield EffectivePolicy(inline.name, None, inline.document, via_group)
    for attached in principal.attached_policies:
        managed = details.policy(attached.arn)
        document = managed.document if managed is not None else None
        yield EffectivePolicy(attached.name, attached.arn, document, via_group)


def is_aws_policy(arn: str, name: str) -> bool:
    """True for the AWS managed policy ``name`` (no path) in any partition."""
    return arn.startswith("arn:") and arn.endswith(f":iam::aws:policy/{name}")


def is_full_admin_policy_arn(arn: str) -> bool:
    """True for ``arn:<any partition>:iam::aws:policy/AdministratorAccess``."""
    return is_aws_policy(arn, FULL_ADMIN_POLICY_NAME)


class PolicyEngine:
    """Policy questions about one account's principals, with parsed documents cached.

    The cache is keyed by the identity of the document object, holding a reference to it so
    the identity cannot be reused: managed policies are shared by many principals, and
    parsing a large AWS managed policy thousands of times would dominate an audit.
    """

    def __init__(self, details: AuthorizationDetails) -> None:
        self.details = details
        self._parsed: dict[int, tuple[object, Policy]] = {}

    def parse(self, document: object) -> Policy:
        """``parse_policy`` with the engine's cache."""
        hit = self._parsed.get(id(document))
        if hit is not None and hit[0] is document:
            return hit[1]
        policy = parse_policy(document)
        self._parsed[id(document)] = (document, policy)
        return policy

    def policies_of(self, principal: IamPrincipal) -> tuple[EffectivePolicy, ...]:
        """``effective_documents`` for this account."""
        return effective_documents(principal, self.details)

    def direct_policies_of(self, principal: IamPrincipal) -> tuple[EffectivePolicy, ...]:
        """Only the policies attached to or embedded in ``principal`` itself."""
        return tuple(_own_policies(principal, self.details, via_group=None))

    def grants_full_admin(self, held: EffectivePolicy) -> bool:
        """True when ``held`` allows ``*:*`` on ``*`` (or is AdministratorAccess by ARN)."""
        if held.document is None:
            return held.arn is not None and is_full_admin_policy_arn(held.arn)
        return bool(self.parse(held.document).full_admin_statements())

    def full_admin_grants(
        self, principal: IamPrincipal, *, inherited: bool = True
    ) -> tuple[EffectivePolicy, ...]:
        """The policies that make ``principal`` a full administrator (empty if none).

        With ``inherited=False`` a user's group policies are not considered: the group
        itself is then where the grant is reported and fixed.
        """
        held = self.policies_of(principal) if inherited else self.direct_policies_of(principal)
        return tuple(p for p in held if self.grants_full_admin(p))

    def evaluate(self, principal: IamPrincipal, action: str, resource: str = "*") -> Decision:
        """What ``principal``'s identity policies decide for one request.

        Policies known only by ARN contribute nothing (except AdministratorAccess, whose
        document is fixed), so an uncollected document can only under-state permissions.
        """
        parsed = []
        for held in self.policies_of(principal):
            if held.document is not None:
                parsed.append(self.parse(held.document))
            elif held.arn is not None and is_full_admin_policy_arn(held.arn):
                parsed.append(_ADMIN_POLICY)
        return evaluate(parsed, action, resource)


_ADMIN_POLICY = parse_policy(
    {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}
)
