"""What each principal may do to which concrete principal of the snapshot, statement by statement.

The graph asks it for whole classes of principals sharing policies, and again, as evidence,
for the few steps of a reported path; both read the same compiled statements, resource index
and condition verdicts, so every step the graph takes has evidence.
"""

from __future__ import annotations

import bisect
import dataclasses
import enum
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import TypeVar

from auditor.policy.document import Condition, Effect, Statement, action_matches, wildcard_match
from auditor.policy.graph.conditions import (
    Applies,
    Caller,
    CallerKind,
    Context,
    Verdict,
    allow_applies,
    deny_applies,
    reads_caller,
    reads_target,
)
from auditor.policy.graph.model import Grant, GrantKind
from auditor.policy.principals import EffectivePolicy
from auditor.policy.privilege import escalation_methods_catalog, is_broad_resource

V = TypeVar("V")

# --- the actions the graph follows -------------------------------------------------------

ASSUME_ROLE = "sts:assumerole"
PASS_ROLE = "iam:passrole"  # noqa: S105 (an action name, not a secret)
CREATE_ACCESS_KEY = "iam:createaccesskey"
CREATE_LOGIN_PROFILE = "iam:createloginprofile"
UPDATE_LOGIN_PROFILE = "iam:updateloginprofile"
UPDATE_ASSUME_ROLE_POLICY = "iam:updateassumerolepolicy"
ADD_USER_TO_GROUP = "iam:addusertogroup"
ATTACH_USER_POLICY = "iam:attachuserpolicy"
PUT_USER_POLICY = "iam:putuserpolicy"
ATTACH_ROLE_POLICY = "iam:attachrolepolicy"
PUT_ROLE_POLICY = "iam:putrolepolicy"
ATTACH_GROUP_POLICY = "iam:attachgrouppolicy"
PUT_GROUP_POLICY = "iam:putgrouppolicy"
CREATE_POLICY_VERSION = "iam:createpolicyversion"
SET_DEFAULT_POLICY_VERSION = "iam:setdefaultpolicyversion"
DELETE_USER_BOUNDARY = "iam:deleteuserpermissionsboundary"
DELETE_ROLE_BOUNDARY = "iam:deleterolepermissionsboundary"
PUT_USER_BOUNDARY = "iam:putuserpermissionsboundary"
PUT_ROLE_BOUNDARY = "iam:putrolepermissionsboundary"

# How the documentation spells them, for evidence.
_SPELLING = {
    a.lower(): a
    for a in (
        "sts:AssumeRole",
        "iam:PassRole",
        "iam:CreateAccessKey",
        "iam:CreateLoginProfile",
        "iam:UpdateLoginProfile",
        "iam:UpdateAssumeRolePolicy",
        "iam:AddUserToGroup",
        "iam:AttachUserPolicy",
        "iam:PutUserPolicy",
        "iam:AttachRolePolicy",
        "iam:PutRolePolicy",
        "iam:AttachGroupPolicy",
        "iam:PutGroupPolicy",
        "iam:CreatePolicyVersion",
        "iam:SetDefaultPolicyVersion",
        "iam:DeleteUserPermissionsBoundary",
        "iam:DeleteRolePermissionsBoundary",
        "iam:PutUserPermissionsBoundary",
        "iam:PutRolePermissionsBoundary",
    )
}

_IAM_ACTIONS = tuple(a for a in _SPELLING if a != ASSUME_ROLE)

# The service principals a compute method's role must trust, by the start of the method's
# name in privesc_methods.json; the longest prefix wins. An unknown method falls back to the
# service of its first non-IAM action.
_METHOD_SERVICES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("AgentCore", ("bedrock-agentcore",)),
    ("AppRunner", ("tasks.apprunner", "build.apprunner")),
    ("AutoScaling", ("ec2",)),
    ("Batch", ("ecs-tasks", "batch")),
    ("Braket", ("braket",)),
    ("CFN", ("cloudformation",)),
    ("CloudFormation", ("cloudformation",)),
    ("CodeBuild", ("codebuild",)),
    ("CodeDeploy", ("ec2",)),
    ("CodeStar", ("codestar",)),
    ("CognitoSetIdentityPoolRoles", ("cognito-identity",)),
    ("DataPipeline", ("datapipeline",)),
    ("EC2", ("ec2",)),
    ("ECS", ("ecs-tasks",)),
    ("EMR", ("elasticmapreduce", "ec2")),
    ("EMRServerless", ("emr-serverless",)),
    ("GameLift", ("gamelift",)),
    ("Glue", ("glue",)),
    ("ImageBuilder", ("ec2",)),
    ("KinesisAnalytics", ("kinesisanalytics",)),
    ("Lambda", ("lambda",)),
    ("Omics", ("omics",)),
    ("SSMAutomation", ("ssm",)),
    ("SSMSendCommand", ("ec2",)),
    ("SSMStartSession", ("ec2",)),
    ("SageMaker", ("sagemaker",)),
    ("Scheduler", ("scheduler",)),
    ("StepFunctions", ("states",)),
)
_PASSROLE_GROUP = "passrole_new_compute"
_EXISTING_GROUP = "existing_resource"


@dataclass(frozen=True)
class ComputeMethod:
    """A method of ``privesc_methods.json`` that runs code as a role through a service.

    ``actions`` are lower-case, without ``iam:PassRole``; ``services`` the service
    principals (``lambda.amazonaws.com``) the role must trust; ``passes_role`` is False for
    the existing-resource methods, which use a resource already running as some role.
    """

    name: str
    actions: tuple[str, ...]
    services: tuple[str, ...]
    passes_role: bool


def _services_of(name: str, actions: Sequence[str]) -> tuple[str, ...]:
    best = max(
        ((p, s) for p, s in _METHOD_SERVICES if name.startswith(p)),
        key=lambda item: len(item[0]),
        default=None,
    )
    if best is not None:
        return tuple(f"{s}.amazonaws.com" for s in best[1])
    service = next((a.split(":", 1)[0] for a in actions if not a.startswith("iam:")), "")
    return (f"{service}.amazonaws.com",) if service else ()


@cache
def compute_methods() -> tuple[ComputeMethod, ...]:
    """The pass-role and existing-resource methods of the shipped catalogue, in file order."""
    out = []
    for m in escalation_methods_catalog():
        passes = m.category == _PASSROLE_GROUP
        if not passes and not m.category.startswith(_EXISTING_GROUP):
            continue
        actions = tuple(a.lower() for a in m.actions if a.lower() != PASS_ROLE)
        services = _services_of(m.name, actions)
        if services and actions:
            out.append(ComputeMethod(m.name, actions, services, passes))
    return tuple(out)


@cache
def _universe() -> tuple[tuple[str, ...], dict[str, int], dict[str, tuple[int, ...]]]:
    names = [ASSUME_ROLE, *_IAM_ACTIONS]
    for m in compute_methods():
        names.extend(m.actions)
    actions = tuple(dict.fromkeys(names))
    by_service: dict[str, list[int]] = {}
    for i, a in enumerate(actions):
        by_service.setdefault(a.partition(":")[0], []).append(i)
    return (
        actions,
        {a: i for i, a in enumerate(actions)},
        {k: tuple(v) for k, v in by_service.items()},
    )


@cache
def _spellings() -> dict[str, str]:
    out = {a.lower(): a for m in escalation_methods_catalog() for a in m.actions}
    out.update(_SPELLING)
    return out


def spelled(action: str) -> str:
    """An action as the documentation spells it, when the graph knows it."""
    return _spellings().get(action, action)


@lru_cache(maxsize=65536)
def _pattern_bits(pattern: str) -> int:
    """The tracked (concrete) actions ``pattern`` matches, as a bit set."""
    actions, _, by_service = _universe()
    service, sep, _ = pattern.partition(":")
    candidates: Iterable[int]
    if sep and "*" not in service and "?" not in service:
        candidates = by_service.get(service, ())
    else:
        candidates = range(len(actions))
    out = 0
    for i in candidates:
        if action_matches(pattern, actions[i]):
            out |= 1 << i
    return out


def _statement_bits(s: Statement) -> int:
    # Tracked actions are concrete, so "covers" and "touches" coincide: one set for both.
    bits = 0
    for p in s.actions or s.not_actions:
        bits |= _pattern_bits(p.lower())
    if s.not_actions:
        return ((1 << len(_universe()[0])) - 1) & ~bits
    return bits


def action_bit(action: str) -> int:
    """The bit of a tracked action."""
    return 1 << _universe()[1][action]


def bit_actions(bits: int) -> Iterable[str]:
    """The tracked actions of a bit set."""
    actions = _universe()[0]
    i = 0
    while bits:
        if bits & 1:
            yield actions[i]
        bits >>= 1
        i += 1


# --- compiled statements and where they come from ----------------------------------------


@dataclass(frozen=True)
class Source:
    """A policy statements come from, as evidence names it."""

    kind: GrantKind
    label: str
    ref: str
    aws_managed: bool = False


@dataclass(frozen=True)
class Compiled:
    """One statement read once: its tracked actions and what its evaluation depends on.

    ``content`` is the statement without its index and Sid, so that equal statements of
    different policies share every cached answer.
    """

    statement: Statement
    content: Statement
    bits: int
    reads_caller: bool
    reads_target: bool

    @property
    def allow(self) -> bool:
        """True for an Allow statement."""
        return self.statement.effect is Effect.ALLOW


def compile_statements(statements: Iterable[Statement]) -> tuple[Compiled, ...]:
    """The statements that name at least one tracked action."""
    out = []
    for s in statements:
        bits = _statement_bits(s)
        if bits:
            content = dataclasses.replace(s, index=0, sid=None)
            out.append(Compiled(s, content, bits, reads_caller(s), reads_target(s)))
    return tuple(out)


@dataclass(frozen=True)
class SRef:
    """One compiled statement of one held policy (or boundary)."""

    source: Source
    stmt: Compiled

    def grant(self, need: str, actions: tuple[str, ...]) -> Grant:
        """Evidence that this statement meets ``need``."""
        s = self.stmt.statement
        resources = s.resources or tuple(f"not {r}" for r in s.not_resources) or ("*",)
        return Grant(
            kind=self.source.kind,
            policy=self.source.label,
            policy_ref=self.source.ref,
            statement_index=s.index,
            sid=s.sid,
            need=need,
            actions=tuple(spelled(a) for a in actions),
            resources=resources,
            aws_managed=self.source.aws_managed,
        )


def identity_source(held: EffectivePolicy, principal_arn: str, group_arn: str | None) -> Source:
    """How evidence names one held policy; an inline one by its owner and name."""
    if held.arn is not None:
        return Source(GrantKind.IDENTITY, held.label, held.arn, ":iam::aws:policy/" in held.arn)
    owner = group_arn if held.via_group is not None and group_arn else principal_arn
    return Source(GrantKind.IDENTITY, held.label, f"{owner}#{held.name}")


def boundary_source(name: str, arn: str) -> Source:
    """How evidence names a permissions boundary."""
    return Source(
        GrantKind.BOUNDARY, f"{name} (permissions boundary)", arn, ":iam::aws:policy/" in arn
    )


@dataclass
class Profile:
    """What one combination of held policies (and boundary) says about the tracked actions.

    Principals holding the same policies share one profile; ``boundary_allows`` is None when
    no boundary limits them. The per-action keys identify the statement contents involved,
    so two profiles with equal statements share every target computation.
    """

    allows: dict[str, list[SRef]] = field(default_factory=dict)
    denies: dict[str, list[SRef]] = field(default_factory=dict)
    boundary_allows: dict[str, list[SRef]] | None = None
    boundary_denies: dict[str, list[SRef]] = field(default_factory=dict)
    _keys: dict[str, tuple[object, ...]] = field(default_factory=dict)
    _bits: int | None = None

    def allow_bits(self) -> int:
        """The tracked actions some identity statement allows (on some resource, maybe
        under conditions): what is not in here the profile can never do."""
        if self._bits is None:
            bits = 0
            for action in self.allows:
                bits |= action_bit(action)
            self._bits = bits
        return self._bits

    def add(self, ref: SRef, boundary: bool) -> None:
        """File a compiled statement under each tracked action it names."""
        if boundary:
            if self.boundary_allows is None:
                self.boundary_allows = {}
            table = self.boundary_allows if ref.stmt.allow else self.boundary_denies
        else:
            table = self.allows if ref.stmt.allow else self.denies
        for action in bit_actions(ref.stmt.bits):
            table.setdefault(action, []).append(ref)

    def refs(self, action: str) -> Iterable[SRef]:
        """Every statement this profile has about ``action``."""
        yield from self.allows.get(action, ())
        yield from self.denies.get(action, ())
        if self.boundary_allows is not None:
            yield from self.boundary_allows.get(action, ())
        yield from self.boundary_denies.get(action, ())

    def reads_caller(self, action: str) -> bool:
        """True when some statement about ``action`` depends on the caller."""
        return any(r.stmt.reads_caller for r in self.refs(action))

    def key(self, action: str) -> tuple[object, ...]:
        """The statement contents that decide ``action`` for this profile."""
        hit = self._keys.get(action)
        if hit is None:
            hit = (
                frozenset(r.stmt.content for r in self.allows.get(action, ())),
                frozenset(r.stmt.content for r in self.denies.get(action, ())),
                None
                if self.boundary_allows is None
                else frozenset(r.stmt.content for r in self.boundary_allows.get(action, ())),
                frozenset(r.stmt.content for r in self.boundary_denies.get(action, ())),
            )
            self._keys[action] = hit
        return hit


# --- the resources of the snapshot -------------------------------------------------------


class ArnKind(enum.Enum):
    """The kinds of concrete resource a tracked action's Resource names."""

    USER = "user"
    ROLE = "role"
    GROUP = "group"
    POLICY = "policy"  # customer managed policies only: AWS's own cannot be rewritten


class ArnIndex:
    """The ARNs of one kind, sorted, answering "which match this pattern" with a cache."""

    def __init__(self, arns: Iterable[str]) -> None:
        self.arns = tuple(sorted(set(arns)))
        self.all = frozenset(self.arns)
        self._memo: dict[str, frozenset[str]] = {}

    def match(self, pattern: str) -> frozenset[str]:
        """The ARNs ``pattern`` matches (IAM wildcards, case-sensitive)."""
        hit = self._memo.get(pattern)
        if hit is not None:
            return hit
        cut = next((i for i, ch in enumerate(pattern) if ch in "*?"), len(pattern))
        if cut == len(pattern):
            hit = frozenset((pattern,)) if pattern in self.all else frozenset()
        else:
            prefix = pattern[:cut]
            lo = bisect.bisect_left(self.arns, prefix)
            hi = bisect.bisect_left(self.arns, prefix + "\U0010ffff")
            window = self.arns[lo:hi]
            if not pattern[cut:].strip("*"):
                hit = frozenset(window)
            else:
                hit = frozenset(filter(_matcher(pattern), window))
        self._memo[pattern] = hit
        return hit


# A regex per pattern runs in C; more than a few wildcards could make it backtrack badly on a
# hostile pattern, so those use the one-star-backtrack matcher, linear in practice.
_REGEX_WILDCARDS = 4


@lru_cache(maxsize=4096)
def _matcher(pattern: str) -> Callable[[str], bool]:
    if pattern.count("*") + pattern.count("?") <= _REGEX_WILDCARDS:
        body = "".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern)
        compiled = re.compile(body, re.DOTALL)
        return lambda text: compiled.fullmatch(text) is not None
    return lambda text: wildcard_match(pattern, text, text_is_pattern=False)


_VARIABLE = re.compile(r"\$\{([^}]*)\}")


def resolve(pattern: str, caller: Caller) -> tuple[str | None, bool]:
    """``pattern`` with its policy variables replaced for ``caller``.

    Returns (None, _) when a variable the request does not carry makes the pattern match
    nothing (a role has no ``aws:username``), and (pattern, True) when a variable could not
    be resolved and was widened to ``*`` (the step is then flagged).
    """
    unresolved = False
    absent = False

    def value(match: re.Match[str]) -> str:
        nonlocal unresolved, absent
        name, _, default = match.group(1).partition(",")
        key = name.strip().lower()
        if key in ("*", "?", "$"):
            return key
        found = _variable(key, caller)
        if found is None and default:
            return default.strip().strip("'")
        if found is None:
            absent = True
            return ""
        if found == "*":
            unresolved = True
        return found

    out = _VARIABLE.sub(value, pattern)
    return (None, unresolved) if absent else (out, unresolved)


def _variable(key: str, caller: Caller) -> str | None:  # noqa: PLR0911 (one rule a key)
    kind = caller.kind
    if kind not in (CallerKind.USER, CallerKind.ROLE):
        return "*"
    if key == "aws:username":
        return caller.name if kind is CallerKind.USER else None
    if key == "aws:userid":
        if kind is CallerKind.USER:
            return caller.unique_id
        return f"{caller.unique_id}:*" if caller.unique_id else "*"
    if key == "aws:principalaccount":
        return caller.account_id
    if key == "aws:principalarn":
        return caller.arn
    if key.startswith("aws:principaltag/"):
        tag = key.split("/", 1)[1]
        return next((v for k, v in caller.tags if k.lower() == tag), None)
    return "*"


# --- answering for a profile -------------------------------------------------------------

_NEVER = int(Verdict.NEVER)
_HOLDS = Applies(Verdict.HOLDS)


class Reader:
    """Evaluates profiles against the snapshot's ARNs, caching every shared answer."""

    def __init__(
        self,
        account_id: str,
        indexes: Mapping[ArnKind, ArnIndex],
        boundaries: Mapping[str, str],
        admin_policy_arns: tuple[str, ...],
    ) -> None:
        self.account_id = account_id
        self.indexes = indexes
        self.boundaries = boundaries  # principal ARN -> boundary ARN
        self.admin_policy_arns = admin_policy_arns
        self._matched: dict[tuple[object, ...], tuple[frozenset[str], bool]] = {}
        self._applies: dict[tuple[object, ...], Applies] = {}
        self._denies: dict[tuple[object, ...], bool] = {}
        self._targets: dict[tuple[object, ...], dict[str, int]] = {}
        self._anywhere: dict[tuple[object, ...], Applies] = {}

    # --- one statement ---

    def matched(self, ref: SRef, kind: ArnKind, caller: Caller) -> tuple[frozenset[str], bool]:
        """The ARNs of ``kind`` a statement's resources cover, and whether a variable was
        widened to ``*``."""
        s = ref.stmt.content
        caller_key = caller.arn if ref.stmt.reads_caller else None
        key = (s.resources, s.not_resources, kind, caller_key)
        hit = self._matched.get(key)
        if hit is not None:
            return hit
        index = self.indexes[kind]
        widened = False
        patterns: list[str] = []
        for raw in s.resources or s.not_resources:
            resolved, wide = resolve(raw, caller) if "${" in raw else (raw, False)
            widened = widened or wide
            if resolved is not None:
                patterns.append(resolved)
        if not s.resources and not s.not_resources:
            found = index.all
        else:
            union: set[str] = set()
            for p in patterns:
                union.update(index.match(p))
            found = frozenset(union) if s.resources else index.all - union
        hit = (found, widened)
        self._matched[key] = hit
        return hit

    def context(
        self,
        action: str,
        caller: Caller,
        *,
        service: str | None = None,
        target: str | None = None,
        stmt: Compiled | None = None,
    ) -> Context:
        """The request context of ``action`` by ``caller`` (on ``target``)."""
        boundary = None
        if target is not None and stmt is not None and stmt.reads_target:
            boundary = self.boundaries.get(target, "")
        admin = self.admin_policy_arns if action.startswith("iam:attach") else ()
        return Context(
            action=action,
            account_id=self.account_id,
            caller=caller,
            service=service,
            target_arn=target if boundary is not None else None,
            target_boundary=boundary,
            admin_policy_arns=admin,
        )

    @staticmethod
    def _key(s: Compiled, ctx: Context) -> tuple[object, ...]:
        # A statement that does not read the caller gets the same answer for every caller of
        # one kind, so thousands of principals share one evaluation.
        caller = ctx.caller
        who: object = caller if s.reads_caller or caller is None else caller.kind
        return (s.content.conditions, ctx.action, ctx.service, ctx.target_boundary, who)

    @staticmethod
    def _general(s: Compiled, ctx: Context) -> Context:
        caller = ctx.caller
        if caller is None or s.reads_caller:
            return ctx
        return dataclasses.replace(ctx, caller=Caller(caller.kind, account_id=caller.account_id))

    def applies(self, ref: SRef, ctx: Context) -> Applies:
        """``allow_applies`` for one statement, cached across equal statements and callers."""
        if not ref.stmt.content.conditions:
            return _HOLDS
        return self._judged(self._applies, allow_applies, ref.stmt, ctx)

    def deny_applies(self, ref: SRef, ctx: Context) -> bool:
        """``deny_applies`` for one Deny statement, cached likewise."""
        if not ref.stmt.content.conditions:
            return True
        return self._judged(self._denies, deny_applies, ref.stmt, ctx)

    def _judged(
        self,
        cache: dict[tuple[object, ...], V],
        judge: Callable[[tuple[Condition, ...], Context], V],
        s: Compiled,
        ctx: Context,
    ) -> V:
        key = self._key(s, ctx)
        hit = cache.get(key)
        if hit is None:
            hit = judge(s.content.conditions, self._general(s, ctx))
            cache[key] = hit
        return hit

    # --- a profile against all ARNs of a kind ---

    def targets(
        self,
        profile: Profile,
        action: str,
        kind: ArnKind,
        caller: Caller,
        service: str | None = None,
    ) -> dict[str, int]:
        """ARN -> verdict for every ARN of ``kind`` the profile may call ``action`` on.

        An ARN is in when some identity Allow covers it and can apply, the boundary (if
        any) allows it likewise, and no Deny that surely applies touches it.
        """
        caller_key: object = caller.arn if profile.reads_caller(action) else caller.kind
        key = (action, kind, service, profile.key(action), caller_key)
        hit = self._targets.get(key)
        if hit is not None:
            return hit
        result = self._allowed(profile.allows.get(action, ()), action, kind, caller, service)
        if result and profile.boundary_allows is not None:
            limit = self._allowed(
                profile.boundary_allows.get(action, ()), action, kind, caller, service
            )
            result = {a: max(v, limit[a]) for a, v in result.items() if a in limit}
        if result:
            for ref in (*profile.denies.get(action, ()), *profile.boundary_denies.get(action, ())):
                for arn in self._denied(ref, action, kind, caller, service):
                    result.pop(arn, None)
        self._targets[key] = result
        return result

    def _allowed(
        self,
        refs: Iterable[SRef],
        action: str,
        kind: ArnKind,
        caller: Caller,
        service: str | None,
    ) -> dict[str, int]:
        out: dict[str, int] = {}
        for ref in refs:
            found, widened = self.matched(ref, kind, caller)
            if not found:
                continue
            if ref.stmt.reads_target:
                for arn in found:
                    ctx = self.context(action, caller, service=service, target=arn, stmt=ref.stmt)
                    v = int(self.applies(ref, ctx).verdict)
                    v = max(v, int(Verdict.UNDECIDED)) if widened and v < _NEVER else v
                    if v < out.get(arn, _NEVER):
                        out[arn] = v
                continue
            v = int(self.applies(ref, self.context(action, caller, service=service)).verdict)
            if widened and v < _NEVER:
                v = max(v, int(Verdict.UNDECIDED))
            if v == _NEVER:
                continue
            for arn in found:
                if v < out.get(arn, _NEVER):
                    out[arn] = v
        return out

    def _denied(
        self, ref: SRef, action: str, kind: ArnKind, caller: Caller, service: str | None
    ) -> Iterable[str]:
        found, widened = self.matched(ref, kind, caller)
        if widened:
            return ()  # a deny on a pattern we could not resolve is not assumed to apply
        if not ref.stmt.reads_target:
            ctx = self.context(action, caller, service=service)
            return found if self.deny_applies(ref, ctx) else ()
        return [
            arn
            for arn in found
            if self.deny_applies(
                ref, self.context(action, caller, service=service, target=arn, stmt=ref.stmt)
            )
        ]

    # --- a profile for one ARN (evidence) ---

    def grants(
        self,
        profile: Profile,
        action: str,
        kind: ArnKind,
        arn: str,
        caller: Caller,
        *,
        service: str | None = None,
    ) -> tuple[list[tuple[SRef, Applies]], list[tuple[SRef, Applies]] | None, bool]:
        """For one ARN: (identity allows that cover it, boundary allows or None without a
        boundary, whether a Deny surely applies). Same reading as ``targets``."""
        allows = self._grants_in(profile.allows.get(action, ()), action, kind, arn, caller, service)
        limit = None
        if profile.boundary_allows is not None:
            refs = profile.boundary_allows.get(action, ())
            limit = self._grants_in(refs, action, kind, arn, caller, service)
        denied = any(
            arn in self._denied(ref, action, kind, caller, service)
            for ref in (*profile.denies.get(action, ()), *profile.boundary_denies.get(action, ()))
        )
        return allows, limit, denied

    def _grants_in(  # noqa: PLR0917 (private; the same arguments as ``grants``)
        self,
        refs: Iterable[SRef],
        action: str,
        kind: ArnKind,
        arn: str,
        caller: Caller,
        service: str | None,
    ) -> list[tuple[SRef, Applies]]:
        out = []
        for ref in refs:
            found, widened = self.matched(ref, kind, caller)
            if arn not in found:
                continue
            ctx = self.context(action, caller, service=service, target=arn, stmt=ref.stmt)
            applies = self.applies(ref, ctx)
            if applies.verdict is Verdict.NEVER:
                continue
            if widened:
                applies = Applies(
                    Verdict.UNDECIDED,
                    (*applies.undecided, "a policy variable in Resource was not resolved"),
                    applies.notes,
                )
            out.append((ref, applies))
        return out

    # --- a profile for an action on any resource (compute methods) ---

    def anywhere(self, profile: Profile, action: str, caller: Caller) -> Applies:
        """Whether the profile may call ``action`` on some resource (the attacker names the
        new function, stack or instance), with boundary and Denies on every resource."""
        caller_key: object = caller.arn if profile.reads_caller(action) else caller.kind
        key = (action, profile.key(action), caller_key)
        hit = self._anywhere.get(key)
        if hit is None:
            hit = self._anywhere_uncached(profile, action, caller)
            self._anywhere[key] = hit
        return hit

    def anywhere_grants(
        self, profile: Profile, action: str, caller: Caller
    ) -> tuple[list[tuple[SRef, Applies]], list[tuple[SRef, Applies]] | None]:
        """The statements behind ``anywhere``: identity allows, boundary allows (or None)."""
        ctx = self.context(action, caller)
        allows = [(r, self.applies(r, ctx)) for r in profile.allows.get(action, ())]
        allows = [(r, a) for r, a in allows if a.verdict is not Verdict.NEVER]
        limit = None
        if profile.boundary_allows is not None:
            limit = [(r, self.applies(r, ctx)) for r in profile.boundary_allows.get(action, ())]
            limit = [(r, a) for r, a in limit if a.verdict is not Verdict.NEVER]
        return allows, limit

    def _anywhere_uncached(self, profile: Profile, action: str, caller: Caller) -> Applies:
        ctx = self.context(action, caller)
        for ref in (*profile.denies.get(action, ()), *profile.boundary_denies.get(action, ())):
            s = ref.stmt.statement
            broad = not s.resources or any(is_broad_resource(p) for p in s.resources)
            if broad and not s.not_resources and self.deny_applies(ref, ctx):
                return Applies(Verdict.NEVER)
        allows, limit = self.anywhere_grants(profile, action, caller)
        best = best_of(allows)
        if limit is not None:
            bound = best_of(limit)
            if bound.verdict > best.verdict:
                best = bound
        return best


def best_of(graded: Sequence[tuple[SRef, Applies]]) -> Applies:
    """The most favourable of several statements' verdicts (NEVER when there are none)."""
    if not graded:
        return Applies(Verdict.NEVER)
    return min((a for _, a in graded), key=lambda a: a.verdict)
