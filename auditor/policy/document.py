"""IAM policy documents: normalisation, wildcard matching and statement evaluation.

``parse_policy`` turns any document - a mapping or JSON text, ``Statement`` a dict or a
list - into a ``Policy`` of frozen ``Statement``s and never raises: a statement it cannot
read is left out and named in ``Policy.problems``, since one hostile policy must not blind
the audit. Actions match case-insensitively with ``*`` and ``?``, as IAM matches them.
"""

from __future__ import annotations

import enum
import json
import urllib.parse
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

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
    return wildcard_match(pattern, text, text_is_pattern=True)


def wildcard_match(pattern: str, text: str, *, text_is_pattern: bool) -> bool:
    """True when IAM wildcard ``pattern`` matches ``text``, case-sensitively.

    With ``text_is_pattern`` the answer is whether ``pattern`` matches every string ``text``
    stands for; otherwise ``text`` is taken literally, a ``*`` in it being one character.
    """
    # The classic one-star-backtrack matcher: O(len * len) at worst, where a regex of many
    # ``.*`` could backtrack exponentially on a hostile pattern. ``?`` never consumes a
    # ``*`` of a text that is a pattern (a required run), while ``*`` may: that is what makes
    # "pattern covers pattern" sound, so ``iam:?ut*`` does not claim to cover ``iam:*``.
    p = t = 0
    star, mark = -1, 0
    while t < len(text):
        if p < len(pattern) and pattern[p] == "*":
            star, mark = p, t
            p += 1
        elif p < len(pattern) and (
            pattern[p] == text[t]
            or (pattern[p] == "?" and not (text_is_pattern and text[t] == "*"))
        ):
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
    doc = as_mapping(document, problems)
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


def as_mapping(document: object, problems: list[str]) -> Mapping[str, Any] | None:
    """``document`` decoded as ``parse_policy`` decodes it; None (with ``problems`` saying
    why) when it is no JSON object."""
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
